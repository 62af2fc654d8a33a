//! The error answers AWS gives, in the wire protocol each SDK speaks.
//!
//! aws-sdk-kinesis speaks AWS JSON 1.1 and aws-sdk-sqs AWS JSON 1.0: both
//! send `X-Amz-Target: <Service>.<Operation>` and read an error from the
//! status and the body's `__type` (the part after `#`, if any, is the
//! error code the SDK's retry classifier looks at).

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Response, StatusCode, header};

use crate::fault::Fault;

/// Which protocol a request spoke, from its `X-Amz-Target` prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// `Kinesis_20131202.*`, AWS JSON 1.1.
    Kinesis,
    /// `AmazonSQS.*`, AWS JSON 1.0.
    Sqs,
}

impl Protocol {
    /// The protocol of a target such as `AmazonSQS.SendMessageBatch`.
    pub fn of_target(target: &str) -> Self {
        if target.starts_with("AmazonSQS.") {
            Self::Sqs
        } else {
            Self::Kinesis
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Self::Kinesis => "application/x-amz-json-1.1",
            Self::Sqs => "application/x-amz-json-1.0",
        }
    }
}

/// The status, `__type` and message AWS answers for `fault`, or `None` for
/// faults that are not an error answer.
fn error_of(fault: Fault, protocol: Protocol) -> Option<(StatusCode, &'static str, &'static str)> {
    let sqs = protocol == Protocol::Sqs;
    Some(match fault {
        Fault::ProvisionedThroughputExceeded => (
            StatusCode::BAD_REQUEST,
            "ProvisionedThroughputExceededException",
            "Rate exceeded for shard in stream under account 000000000000.",
        ),
        Fault::KmsThrottling => (
            StatusCode::BAD_REQUEST,
            "KMSThrottlingException",
            "The request was denied due to request throttling by KMS.",
        ),
        Fault::ExpiredIterator => (
            StatusCode::BAD_REQUEST,
            "ExpiredIteratorException",
            "Iterator expired. The iterator was created at time and is now older than 5 minutes.",
        ),
        Fault::Throttling => (
            StatusCode::BAD_REQUEST,
            "com.amazon.coral.availability#ThrottlingException",
            "Rate exceeded",
        ),
        Fault::InternalFailure if sqs => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "com.amazon.coral.service#InternalFailure",
            "We encountered an internal error. Please try again.",
        ),
        Fault::InternalFailure => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalFailure",
            "We encountered an internal error. Please try again.",
        ),
        Fault::ServiceUnavailable => (
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailable",
            "Service is unable to handle request.",
        ),
        _ => return None,
    })
}

/// The error answer for `fault`, if it is one.
pub fn error_answer(fault: Fault, protocol: Protocol) -> Option<Response<Full<Bytes>>> {
    let (status, error_type, message) = error_of(fault, protocol)?;
    let body = serde_json::json!({ "__type": error_type, "message": message }).to_string();
    let mut response = Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, protocol.content_type())
        .header("x-amzn-requestid", "00000000-0000-0000-0000-00000000fa17");
    if protocol == Protocol::Sqs {
        // The query-compatible code SQS adds for callers of the old protocol.
        let code = error_type.rsplit('#').next().unwrap_or(error_type);
        response = response.header("x-amzn-query-error", format!("{code};Receiver"));
    }
    response.body(Full::new(Bytes::from(body))).ok()
}

#[cfg(test)]
mod tests {
    use http_body_util::BodyExt;

    use super::*;

    async fn body(response: Response<Full<Bytes>>) -> serde_json::Value {
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        serde_json::from_slice(&bytes).expect("JSON")
    }

    /// Kinesis errors are JSON 1.1 answers with the exception name as
    /// `__type`, the shape the SDK turns into its typed errors.
    #[tokio::test]
    async fn answers_kinesis_throttling_as_json_1_1() {
        let response =
            error_answer(Fault::ProvisionedThroughputExceeded, Protocol::Kinesis).expect("answer");
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "application/x-amz-json-1.1"
        );
        assert_eq!(
            body(response).await["__type"],
            "ProvisionedThroughputExceededException"
        );
    }

    /// SQS throttling is the generic `ThrottlingException` of JSON 1.0.
    #[tokio::test]
    async fn answers_sqs_throttling_as_json_1_0() {
        let response = error_answer(Fault::Throttling, Protocol::Sqs).expect("answer");
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            response.headers()["x-amzn-query-error"],
            "ThrottlingException;Receiver"
        );
        assert_eq!(
            body(response).await["__type"],
            "com.amazon.coral.availability#ThrottlingException"
        );
    }

    /// Faults that are not answers (resets, delays, partial batches) have
    /// none.
    #[test]
    fn has_no_answer_for_transport_faults() {
        for fault in [
            Fault::ConnectionReset,
            Fault::SlowAnswer,
            Fault::PartialBatchFailure,
        ] {
            assert!(error_answer(fault, Protocol::Sqs).is_none(), "{fault}");
        }
    }
}
