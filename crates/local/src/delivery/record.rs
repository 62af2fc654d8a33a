//! The record Lambda sends to an async invocation's OnFailure destination:
//!
//! ```json
//! {"version":"1.0","timestamp":"2025-01-02T03:04:05.678Z",
//!  "requestContext":{"requestId":"…","functionArn":"…:$LATEST",
//!                    "condition":"RetriesExhausted","approximateInvokeCount":3},
//!  "requestPayload":{…the event…},
//!  "responseContext":{"statusCode":200,"executedVersion":"$LATEST","functionError":"Unhandled"},
//!  "responsePayload":{"errorType":"…","errorMessage":"…"}}
//! ```
//!
//! `responseContext` and `responsePayload` describe the last attempt, so
//! they are absent when the function never ran (the event expired first).

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::value::RawValue;

use super::invoke::FailedInvocation;

/// The version every unqualified invocation runs.
const LATEST: &str = "$LATEST";

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct AsyncFailureRecord<'a> {
    version: &'static str,
    timestamp: String,
    request_context: AsyncRequestContext<'a>,
    /// The event, verbatim (`null` if it was not JSON, which no caller sends).
    request_payload: Option<&'a RawValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_context: Option<AsyncResponseContext>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_payload: Option<ResponsePayload<'a>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct AsyncRequestContext<'a> {
    request_id: &'a str,
    function_arn: String,
    condition: &'static str,
    approximate_invoke_count: u32,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct AsyncResponseContext {
    status_code: u16,
    executed_version: &'static str,
    function_error: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ResponsePayload<'a> {
    error_type: &'a str,
    error_message: &'a str,
}

/// The JSON text of the failure record for `event` (the event's JSON).
pub fn failure_record(
    event: &[u8],
    failed: &FailedInvocation,
    function_arn: &str,
    at: DateTime<Utc>,
) -> String {
    let request_payload = std::str::from_utf8(event)
        .ok()
        .and_then(|text| serde_json::from_str::<&RawValue>(text).ok());
    let record = AsyncFailureRecord {
        version: "1.0",
        timestamp: at.to_rfc3339_opts(SecondsFormat::Millis, true),
        request_context: AsyncRequestContext {
            request_id: &failed.request_id,
            function_arn: format!("{function_arn}:{LATEST}"),
            condition: failed.condition.as_str(),
            approximate_invoke_count: failed.attempts,
        },
        request_payload,
        // A function error is still a 200 for the Invoke call itself.
        response_context: failed.last_error.as_ref().map(|_| AsyncResponseContext {
            status_code: 200,
            executed_version: LATEST,
            function_error: "Unhandled",
        }),
        response_payload: failed.last_error.as_ref().map(|error| ResponsePayload {
            error_type: &error.error_type,
            error_message: &error.error_message,
        }),
    };
    // Plain structs of strings and numbers always serialise.
    serde_json::to_string(&record).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use serde_json::{Value, json};

    use super::*;
    use crate::delivery::function::FunctionError;
    use crate::delivery::invoke::AsyncCondition;

    const ARN: &str = "arn:aws:lambda:us-east-1:000000000000:function:streamdlq-HydrateFunction";

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 1, 2, 3, 4, 5)
            .single()
            .expect("valid")
            + chrono::Duration::milliseconds(6)
    }

    /// Retries exhausted: the AWS shape, the event as the request payload.
    #[test]
    fn has_the_aws_shape_when_retries_ran_out() {
        let failed = FailedInvocation {
            request_id: "req-1".to_owned(),
            condition: AsyncCondition::RetriesExhausted,
            attempts: 3,
            last_error: Some(FunctionError::new("DlqUnavailable", "queue gone")),
        };
        let event = br#"{"Records":[]}"#;
        let record: Value =
            serde_json::from_str(&failure_record(event, &failed, ARN, at())).expect("JSON");
        assert_eq!(
            record,
            json!({
                "version": "1.0",
                "timestamp": "2025-01-02T03:04:05.006Z",
                "requestContext": {
                    "requestId": "req-1",
                    "functionArn": format!("{ARN}:$LATEST"),
                    "condition": "RetriesExhausted",
                    "approximateInvokeCount": 3
                },
                "requestPayload": {"Records": []},
                "responseContext": {
                    "statusCode": 200,
                    "executedVersion": "$LATEST",
                    "functionError": "Unhandled"
                },
                "responsePayload": {"errorType": "DlqUnavailable", "errorMessage": "queue gone"}
            })
        );
    }

    /// An event that expired before any attempt has no response to report.
    #[test]
    fn omits_the_response_when_the_function_never_ran() {
        let failed = FailedInvocation {
            request_id: "req-2".to_owned(),
            condition: AsyncCondition::EventAgeExceeded,
            attempts: 0,
            last_error: None,
        };
        let record: Value =
            serde_json::from_str(&failure_record(b"{}", &failed, ARN, at())).expect("JSON");
        assert_eq!(record["requestContext"]["condition"], "EventAgeExceeded");
        assert!(record.get("responseContext").is_none());
        assert!(record.get("responsePayload").is_none());
    }
}
