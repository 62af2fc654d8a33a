//! Where the objects of an S3 failure destination are read: the
//! [`ObjectSource`] port, its aws-sdk-s3 adapter [`S3ObjectSource`]
//! (GetObject), and [`NoObjectSource`] for a hydrator that reads none.
//!
//! The hydrator only ever sees bytes or an [`ObjectReadError`]; no SDK type
//! reaches it, and tests use an in-memory fake of the same trait.
//!
//! IAM: the function needs `s3:GetObject` on the destination bucket's
//! objects (`arn:aws:s3:::<bucket>/*`), and `s3:GetObjectVersion` when the
//! bucket is versioned; without `s3:ListBucket` a missing key answers
//! AccessDenied rather than NoSuchKey.

use std::future::Future;

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::operation::get_object::GetObjectError;

/// Why an object could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ObjectReadError {
    /// No such bucket, key or version.
    #[error("not found: {0}")]
    NotFound(String),
    /// The function may not read it.
    #[error("access denied: {0}")]
    AccessDenied(String),
    /// A throttle, network or service fault that may pass.
    #[error("transient error: {0}")]
    Transient(String),
    /// Anything else: not worth retrying.
    #[error("{0}")]
    Other(String),
}

impl ObjectReadError {
    /// Whether the same read may succeed later: then the invocation fails
    /// and Lambda retries it, rather than the DLQ getting a marker for an
    /// object that is there.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Transient(_))
    }
}

/// Reads whole objects.
pub trait ObjectSource {
    /// GetObject of `key` in `bucket` (at `version_id` when given): the
    /// object's bytes.
    fn object(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
    ) -> impl Future<Output = Result<Vec<u8>, ObjectReadError>> + Send;
}

/// A hydrator that reads no objects: every S3 notification it gets reaches
/// the DLQ as `unparseable`, saying so.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoObjectSource;

impl ObjectSource for NoObjectSource {
    async fn object(
        &self,
        _bucket: &str,
        _key: &str,
        _version_id: Option<&str>,
    ) -> Result<Vec<u8>, ObjectReadError> {
        Err(ObjectReadError::Other(
            "this hydrate function is not configured to read S3 objects".to_owned(),
        ))
    }
}

/// [`ObjectSource`] over aws-sdk-s3 GetObject.
#[derive(Debug, Clone)]
pub struct S3ObjectSource {
    client: aws_sdk_s3::Client,
}

impl S3ObjectSource {
    pub fn new(client: aws_sdk_s3::Client) -> Self {
        Self { client }
    }
}

impl ObjectSource for S3ObjectSource {
    async fn object(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<Vec<u8>, ObjectReadError> {
        let output = self
            .client
            .get_object()
            .bucket(bucket)
            .key(key)
            .set_version_id(version_id.map(str::to_owned))
            .send()
            .await
            .map_err(classify)?;
        let body = output
            .body
            .collect()
            .await
            .map_err(|error| ObjectReadError::Transient(format!("GetObject body: {error}")))?;
        Ok(body.into_bytes().to_vec())
    }
}

/// One line per error: code and message, never the SDK's Debug dump.
fn classify(error: SdkError<GetObjectError>) -> ObjectReadError {
    let described = |error: &SdkError<GetObjectError>| {
        let code = error.code().unwrap_or("unknown");
        match error.message() {
            Some(message) => format!("GetObject: {code}: {message}"),
            None => format!("GetObject: {code}"),
        }
    };
    match &error {
        SdkError::ServiceError(service) => {
            let status = service.raw().status().as_u16();
            let text = described(&error);
            match error.code() {
                Some("NoSuchKey" | "NoSuchBucket" | "NoSuchVersion" | "NotFound") => {
                    ObjectReadError::NotFound(text)
                }
                Some("AccessDenied" | "Forbidden" | "AllAccessDisabled") => {
                    ObjectReadError::AccessDenied(text)
                }
                Some("InvalidObjectState") => ObjectReadError::Other(text),
                _ if status == 404 => ObjectReadError::NotFound(text),
                _ if status == 403 => ObjectReadError::AccessDenied(text),
                _ if status == 429 || status >= 500 => ObjectReadError::Transient(text),
                Some("SlowDown" | "RequestTimeout" | "InternalError") => {
                    ObjectReadError::Transient(text)
                }
                _ => ObjectReadError::Other(text),
            }
        }
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            ObjectReadError::Transient(format!("GetObject: {}", error_chain(&error)))
        }
        _ => ObjectReadError::Other(format!("GetObject: {}", error_chain(&error))),
    }
}

fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
