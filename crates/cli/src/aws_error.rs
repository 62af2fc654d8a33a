//! One-line descriptions of AWS SDK errors for people.
//!
//! An `SdkError` displays as "service error" and hides the code and message
//! AWS sent; these helpers show them, and the transport cause otherwise.

use aws_sdk_sqs::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

/// `Code: message` for a service error, the error chain for anything else
/// (a refused connection, a timeout).
pub fn describe<E, R>(error: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match error {
        SdkError::ServiceError(context) => {
            let service_error = context.err();
            match (service_error.code(), service_error.message()) {
                (Some(code), Some(message)) => format!("{code}: {message}"),
                (Some(code), None) => code.to_owned(),
                (None, Some(message)) => message.to_owned(),
                (None, None) => DisplayErrorContext(error).to_string(),
            }
        }
        other => DisplayErrorContext(other).to_string(),
    }
}

/// The service error code, if AWS answered with one.
pub fn code<E, R>(error: &SdkError<E, R>) -> Option<&str>
where
    E: ProvideErrorMetadata,
{
    match error {
        SdkError::ServiceError(context) => context.err().code(),
        _ => None,
    }
}
