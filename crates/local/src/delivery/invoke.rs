//! Lambda's asynchronous invocation, as SNS and S3 use it: an event is tried once
//! and retried up to `MaximumRetryAttempts` times (0..=2) on a function
//! error, unless it grows older than `MaximumEventAgeInSeconds`; what still
//! fails goes to the OnFailure destination.
//!
//! AWS waits about a minute before the first retry and two before the
//! second. The local stack keeps the shape (a delay, doubled) but with a
//! short base, so that a failing handler reaches its failure queue in
//! moments, not minutes.

use std::time::Duration;

use chrono::{DateTime, Utc};
use streamdlq_core::Backoff;
use streamdlq_core::invocation::{FunctionAnswer, FunctionError, LambdaFunction};

use crate::esm::clock::request_id;
use crate::template::HydrateSpec;

/// How one function is invoked asynchronously.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsyncInvocation {
    /// The function's ARN, unqualified.
    pub function_arn: String,
    /// Retries after the first attempt (`EventInvokeConfig.MaximumRetryAttempts`).
    pub maximum_retry_attempts: u32,
    /// `EventInvokeConfig.MaximumEventAgeInSeconds`.
    pub maximum_event_age: Duration,
    /// The delay before the first retry; each later one waits twice as long.
    pub retry_delay: Duration,
}

impl AsyncInvocation {
    /// The template's settings for `function_arn`, with a local retry delay.
    pub fn from_template(spec: &HydrateSpec, function_arn: String, retry_delay: Duration) -> Self {
        Self {
            function_arn,
            maximum_retry_attempts: spec.maximum_retry_attempts,
            maximum_event_age: spec.maximum_event_age,
            retry_delay,
        }
    }

    /// Core's backoff without jitter: Lambda spaces async retries by fixed,
    /// doubling delays, not random ones.
    fn delay_before_retry(&self, retry: u32) -> Duration {
        Backoff {
            base: self.retry_delay,
            cap: Duration::MAX,
        }
        .ceiling(retry.saturating_sub(1))
    }
}

/// Why Lambda gave up on an event (`requestContext.condition`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsyncCondition {
    /// Every attempt failed.
    RetriesExhausted,
    /// The event grew older than the maximum event age.
    EventAgeExceeded,
}

impl AsyncCondition {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RetriesExhausted => "RetriesExhausted",
            Self::EventAgeExceeded => "EventAgeExceeded",
        }
    }
}

/// An event Lambda gave up on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedInvocation {
    /// The id of the async request, the same for every attempt.
    pub request_id: String,
    pub condition: AsyncCondition,
    /// How many times the function ran.
    pub attempts: u32,
    /// The last attempt's error; `None` when the function never ran.
    pub last_error: Option<FunctionError>,
}

/// What became of one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// An attempt succeeded.
    Succeeded { request_id: String, attempts: u32 },
    /// Every allowed attempt failed, or the event expired.
    Failed(FailedInvocation),
}

/// Invokes `function` with `event` (its JSON) the way Lambda runs an async
/// invocation queued at `enqueued_at`.
pub async fn invoke_async(
    function: &dyn LambdaFunction,
    event: &[u8],
    options: &AsyncInvocation,
    enqueued_at: DateTime<Utc>,
) -> Outcome {
    let request_id = request_id();
    let mut attempts = 0;
    let mut last_error = None;
    loop {
        let age = (Utc::now() - enqueued_at).to_std().unwrap_or_default();
        if age > options.maximum_event_age {
            return Outcome::Failed(FailedInvocation {
                request_id,
                condition: AsyncCondition::EventAgeExceeded,
                attempts,
                last_error,
            });
        }
        attempts += 1;
        let error = match function.invoke(event.to_vec()).await {
            // An async invocation's response is discarded, whatever it is.
            FunctionAnswer::Returned(_) => {
                return Outcome::Succeeded {
                    request_id,
                    attempts,
                };
            }
            FunctionAnswer::Thrown(error) => error,
            // Counted as an attempt here; AWS retries throttled async
            // invocations for up to six hours without counting them.
            FunctionAnswer::NotInvoked(reason) => FunctionError::new("Lambda.NotInvoked", reason),
        };
        tracing::warn!(
            request_id = %request_id,
            attempt = attempts,
            error_type = %error.error_type,
            "async invocation failed"
        );
        last_error = Some(error);
        if attempts > options.maximum_retry_attempts {
            return Outcome::Failed(FailedInvocation {
                request_id,
                condition: AsyncCondition::RetriesExhausted,
                attempts,
                last_error,
            });
        }
        tokio::time::sleep(options.delay_before_retry(attempts)).await;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;
    use crate::delivery::function::from_fn;

    const EVENT: &[u8] = br#"{"Records":[]}"#;

    fn options(retries: u32) -> AsyncInvocation {
        AsyncInvocation {
            function_arn: "arn:aws:lambda:us-east-1:000000000000:function:f".to_owned(),
            maximum_retry_attempts: retries,
            maximum_event_age: Duration::from_secs(60),
            retry_delay: Duration::from_millis(1),
        }
    }

    fn counting(fail_first: u32) -> (Arc<dyn LambdaFunction>, Arc<AtomicU32>) {
        let calls = Arc::new(AtomicU32::new(0));
        let counter = calls.clone();
        let function = from_fn(move |_event| {
            let call = counter.fetch_add(1, Ordering::SeqCst) + 1;
            async move {
                if call <= fail_first {
                    Err(FunctionError::new("Boom", format!("call {call}")))
                } else {
                    Ok(())
                }
            }
        });
        (function, calls)
    }

    /// A function that fails twice succeeds on the second (last) retry.
    #[tokio::test]
    async fn retries_until_success() {
        let (function, calls) = counting(2);
        let outcome = invoke_async(&*function, EVENT, &options(2), Utc::now()).await;
        assert!(
            matches!(outcome, Outcome::Succeeded { attempts: 3, .. }),
            "{outcome:?}"
        );
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    /// Two retries mean three attempts; the last error is kept.
    #[tokio::test]
    async fn gives_up_after_the_retries() {
        let (function, calls) = counting(u32::MAX);
        let Outcome::Failed(failed) =
            invoke_async(&*function, EVENT, &options(2), Utc::now()).await
        else {
            panic!("expected a failure");
        };
        assert_eq!(failed.condition, AsyncCondition::RetriesExhausted);
        assert_eq!(failed.attempts, 3);
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        assert_eq!(
            failed.last_error,
            Some(FunctionError::new("Boom", "call 3"))
        );
    }

    /// With no retries allowed, one failure is final.
    #[tokio::test]
    async fn zero_retries_means_one_attempt() {
        let (function, calls) = counting(u32::MAX);
        let outcome = invoke_async(&*function, EVENT, &options(0), Utc::now()).await;
        assert!(matches!(
            outcome,
            Outcome::Failed(FailedInvocation { attempts: 1, .. })
        ));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    /// An event older than the maximum age is never invoked.
    #[tokio::test]
    async fn expired_event_is_not_invoked() {
        let (function, calls) = counting(0);
        let queued = Utc::now() - chrono::Duration::seconds(61);
        let Outcome::Failed(failed) = invoke_async(&*function, EVENT, &options(2), queued).await
        else {
            panic!("expected a failure");
        };
        assert_eq!(failed.condition, AsyncCondition::EventAgeExceeded);
        assert_eq!((failed.attempts, failed.last_error), (0, None));
        assert_eq!(calls.load(Ordering::SeqCst), 0);
    }

    /// Retries wait the delay, then twice as long.
    #[test]
    fn doubles_the_delay_between_retries() {
        let options = AsyncInvocation {
            retry_delay: Duration::from_secs(60),
            ..options(2)
        };
        assert_eq!(options.delay_before_retry(1), Duration::from_secs(60));
        assert_eq!(options.delay_before_retry(2), Duration::from_secs(120));
    }
}
