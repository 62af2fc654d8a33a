//! SNS -> hydrate: what SNS and Lambda do on AWS when a topic has a Lambda
//! subscription, done locally with real SNS fan-out.
//!
//! The topic fans out (in moto) into a delivery queue; this loop long-polls
//! it, turns each SNS envelope into the `SnsEvent` Lambda would pass
//! ([`envelope`]), and invokes the function with Lambda's async semantics
//! ([`invoke`]): retries on function errors, then the async failure record
//! ([`record`]) to the function's OnFailure queue. A delivery is deleted
//! only after the function succeeded or its failure record was written, so a
//! crash in between re-delivers instead of losing the OnFailure record.
//!
//! # Layout
//!
//! - [`envelope`]: SQS body (SNS envelope) to `SnsEvent`.
//! - [`function`]: core's [`LambdaFunction`] port as delivery invokes
//!   it, and [`from_fn`].
//! - [`in_process`]: [`hydrate_function`], the hydrate handler in this
//!   process.
//! - [`invoke`]: [`invoke_async`], attempts, retries and event age.
//! - [`record`]: [`failure_record`], the AWS async failure record.

pub mod envelope;
pub mod function;
pub mod in_process;
pub mod invoke;
pub mod record;

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::Message;
use chrono::Utc;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::Instrument;

pub use envelope::{EnvelopeError, sns_event};
pub use function::{FunctionError, from_fn};
pub use in_process::{hydrate_function, hydrate_handler};
pub use invoke::{AsyncCondition, AsyncInvocation, FailedInvocation, Outcome, invoke_async};
pub use record::failure_record;
use streamdlq_core::invocation::LambdaFunction;

/// SQS allows at most 10 messages per ReceiveMessage.
const RECEIVE_MAX: i32 = 10;

/// How long the loop waits before polling again after a failed receive.
const RECEIVE_ERROR_PAUSE: Duration = Duration::from_millis(500);

/// Where deliveries come from and where failures go.
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    /// The queue subscribed to the topic.
    pub delivery_queue_url: String,
    /// The function's OnFailure destination.
    pub failure_queue_url: String,
    /// The subscription, reported in each record's `EventSubscriptionArn`.
    pub subscription_arn: String,
    /// How the function is invoked.
    pub invocation: AsyncInvocation,
    /// Long-poll wait of each ReceiveMessage (at most 20 s).
    pub wait: Duration,
}

/// An SQS call of the loop failed; the delivery stays in its queue and
/// comes back after its visibility timeout.
#[derive(Debug, thiserror::Error)]
pub enum AsyncDeliveryError {
    #[error("{operation} on {queue_url} failed")]
    Sqs {
        operation: &'static str,
        queue_url: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl AsyncDeliveryError {
    fn sqs(
        operation: &'static str,
        queue_url: &str,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self::Sqs {
            operation,
            queue_url: queue_url.to_owned(),
            source: Box::new(source),
        }
    }
}

/// What became of one delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivered {
    /// The function succeeded.
    Succeeded { attempts: u32 },
    /// The function failed for good; its failure record was written.
    Failed {
        condition: AsyncCondition,
        attempts: u32,
    },
    /// The body was not an SNS notification; it was moved to the failure
    /// queue as it was (only a direct write to the delivery queue does that).
    Unreadable,
}

/// The delivery loop of one function.
#[derive(Clone)]
pub struct Delivery {
    sqs: Client,
    config: Arc<DeliveryConfig>,
    function: Arc<dyn LambdaFunction>,
}

impl std::fmt::Debug for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delivery")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Delivery {
    pub fn new(sqs: Client, config: DeliveryConfig, function: Arc<dyn LambdaFunction>) -> Self {
        Self {
            sqs,
            config: Arc::new(config),
            function,
        }
    }

    /// One long poll; every message received is handled concurrently, as
    /// Lambda runs concurrent async invocations.
    pub async fn poll_once(&self) -> Result<Vec<Delivered>, AsyncDeliveryError> {
        let queue_url = &self.config.delivery_queue_url;
        let messages = self
            .sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(RECEIVE_MAX)
            .wait_time_seconds(self.config.wait.as_secs().min(20) as i32)
            .send()
            .await
            .map_err(|error| AsyncDeliveryError::sqs("ReceiveMessage", queue_url, error))?
            .messages
            .unwrap_or_default();
        let handled = futures::future::join_all(messages.into_iter().map(|message| {
            let span = tracing::info_span!(
                "delivery",
                message_id = message.message_id.as_deref().unwrap_or_default()
            );
            self.handle(message).instrument(span)
        }))
        .await;
        handled.into_iter().collect()
    }

    /// Invokes the function with one delivery and settles it.
    async fn handle(&self, message: Message) -> Result<Delivered, AsyncDeliveryError> {
        let body = message.body.as_deref().unwrap_or_default();
        let delivered = match sns_event(body, &self.config.subscription_arn) {
            Err(error) => {
                tracing::error!(error = %error, "delivery is not an SNS notification; moved to the failure queue");
                self.send_failure(body).await?;
                Delivered::Unreadable
            }
            Ok(event) => {
                let enqueued_at = event
                    .records
                    .first()
                    .map_or_else(Utc::now, |record| record.sns.timestamp);
                match invoke_async(
                    &*self.function,
                    &event,
                    &self.config.invocation,
                    enqueued_at,
                )
                .await
                {
                    Outcome::Succeeded { attempts, .. } => Delivered::Succeeded { attempts },
                    Outcome::Failed(failed) => {
                        let record = failure_record(
                            &event,
                            &failed,
                            &self.config.invocation.function_arn,
                            Utc::now(),
                        );
                        self.send_failure(&record).await?;
                        tracing::warn!(
                            condition = failed.condition.as_str(),
                            attempts = failed.attempts,
                            "async invocation failed for good; failure record sent"
                        );
                        Delivered::Failed {
                            condition: failed.condition,
                            attempts: failed.attempts,
                        }
                    }
                }
            }
        };
        self.delete(&message).await?;
        Ok(delivered)
    }

    async fn send_failure(&self, body: &str) -> Result<(), AsyncDeliveryError> {
        let queue_url = &self.config.failure_queue_url;
        self.sqs
            .send_message()
            .queue_url(queue_url)
            .message_body(body)
            .send()
            .await
            .map_err(|error| AsyncDeliveryError::sqs("SendMessage", queue_url, error))?;
        Ok(())
    }

    async fn delete(&self, message: &Message) -> Result<(), AsyncDeliveryError> {
        let queue_url = &self.config.delivery_queue_url;
        self.sqs
            .delete_message()
            .queue_url(queue_url)
            .receipt_handle(message.receipt_handle.clone().unwrap_or_default())
            .send()
            .await
            .map_err(|error| AsyncDeliveryError::sqs("DeleteMessage", queue_url, error))?;
        Ok(())
    }

    /// Runs the loop in the background until [`DeliveryHandle::stop`].
    pub fn spawn(self) -> DeliveryHandle {
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = stopped.changed() => return,
                    polled = self.poll_once() => if let Err(error) = polled {
                        tracing::warn!(error = %error, "delivery poll failed; retrying");
                        tokio::time::sleep(RECEIVE_ERROR_PAUSE).await;
                    },
                }
            }
        });
        DeliveryHandle { stop, task }
    }
}

/// A running delivery loop.
#[derive(Debug)]
pub struct DeliveryHandle {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl DeliveryHandle {
    /// Stops the loop. A delivery in flight is abandoned before it is
    /// deleted, so SQS hands it out again: at least once, never lost.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}
