//! What an AWS SDK error surfaced after the SDK's own retries means to the
//! hydration engine: one mapping to [`ReadError`] shared by the Kinesis and
//! DynamoDB Streams adapters, each of which says how its modeled errors
//! classify ([`Kind`]).

use aws_sdk_kinesis::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use crate::stream::ReadError;

/// What a service error means to the engine, whichever call raised it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Throttled,
    Expired,
    Trimmed,
    NotFound,
    AccessDenied,
    Transient,
    Other,
}

/// Errors a service may answer that a given operation does not model.
fn unmodeled_kind(code: Option<&str>, status: u16) -> Kind {
    match code {
        Some(
            "LimitExceededException"
            | "ProvisionedThroughputExceededException"
            | "ThrottlingException",
        ) => Kind::Throttled,
        Some("ExpiredIteratorException") => Kind::Expired,
        Some("TrimmedDataAccessException") => Kind::Trimmed,
        Some("ResourceNotFoundException") => Kind::NotFound,
        Some("AccessDeniedException") => Kind::AccessDenied,
        _ if status == 429 => Kind::Throttled,
        _ if status >= 500 => Kind::Transient,
        _ => Kind::Other,
    }
}

/// Maps what the SDK surfaced after its retries to a [`ReadError`].
pub(crate) fn read_error<E>(error: SdkError<E>, kind_of: fn(&E) -> Option<Kind>) -> ReadError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let (kind, message) = match &error {
        SdkError::ServiceError(context) => {
            let service_error = context.err();
            let status = context.raw().status().as_u16();
            let (kind, text) = match kind_of(service_error) {
                // Modeled errors display as "Code: message".
                Some(kind) => (kind, service_error.to_string()),
                None => (
                    unmodeled_kind(service_error.code(), status),
                    format!(
                        "{}: {}",
                        service_error.code().unwrap_or("unknown error"),
                        service_error.message().unwrap_or("no message"),
                    ),
                ),
            };
            (kind, format!("{text} (HTTP {status})"))
        }
        // The request may not have reached the service, or its answer was
        // cut short: trying again is safe for these read-only calls.
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            (Kind::Transient, DisplayErrorContext(&error).to_string())
        }
        _ => (Kind::Other, DisplayErrorContext(&error).to_string()),
    };
    match kind {
        Kind::Throttled => ReadError::Throttled(message),
        Kind::Expired => ReadError::IteratorExpired,
        Kind::Trimmed => ReadError::Trimmed(message),
        Kind::NotFound => ReadError::NotFound(message),
        Kind::AccessDenied => ReadError::AccessDenied(message),
        Kind::Transient => ReadError::Transient(message),
        Kind::Other => ReadError::Other(message),
    }
}
