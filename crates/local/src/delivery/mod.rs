//! OnFailure records -> hydrate: what SNS, SQS, S3 and Lambda do on AWS
//! once a failure destination holds a record, done locally against moto.
//!
//! - **SNS topic** ([`Delivery`] with [`AsyncSource::Sns`]): the topic fans
//!   out (in moto) into a delivery queue; the loop long-polls it, turns each
//!   SNS envelope into the `SnsEvent` Lambda would pass ([`envelope`]).
//! - **S3 bucket** ([`Delivery`] with [`AsyncSource::S3`]): the bucket's
//!   object-created notifications go (in moto) to a delivery queue; the loop
//!   turns each into the `S3Event` S3 would pass ([`s3_event`]).
//!
//! Both invoke the function with Lambda's async semantics ([`invoke`]):
//! retries on function errors, then the async failure record ([`record`])
//! to the function's OnFailure queue. A delivery is deleted only after the
//! function succeeded or its failure record was written, so a crash in
//! between re-delivers instead of losing the OnFailure record.
//!
//! - **SQS queue** ([`SqsEventSource`], in [`sqs_source`]): Lambda's SQS
//!   event source on the queue itself, batches of messages as one `SqsEvent`
//!   ([`sqs_event`]), invoked synchronously; messages are deleted as core's
//!   `QueueBatchVerdict` allows (partial batch responses).
//!
//! # Layout
//!
//! - [`envelope`]: SQS body (SNS envelope) to `SnsEvent`.
//! - [`s3_event`]: moto's S3 notification to `S3Event`.
//! - [`sqs_event`]: received messages to `SqsEvent`.
//! - [`sqs_source`]: [`SqsEventSource`], the SQS event source loop.
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
pub mod s3_event;
pub mod sqs_event;
pub mod sqs_source;

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
pub use s3_event::{S3Notification, S3NotificationError, s3_event};
pub use sqs_event::sqs_event;
pub use sqs_source::{SqsBatchOutcome, SqsEventSource, SqsSourceConfig};
use streamdlq_core::invocation::LambdaFunction;

/// SQS allows at most 10 messages per ReceiveMessage.
pub(crate) const RECEIVE_MAX: i32 = 10;

/// How long the loop waits before polling again after a failed receive.
pub(crate) const RECEIVE_ERROR_PAUSE: Duration = Duration::from_millis(500);

/// What puts deliveries into the delivery queue, and so what its bodies are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AsyncSource {
    /// A topic's subscription (raw delivery off: bodies are SNS envelopes).
    Sns {
        /// The subscription, reported in each record's `EventSubscriptionArn`.
        subscription_arn: String,
    },
    /// A bucket's notification configuration (bodies are S3 events).
    S3,
}

/// Where deliveries come from and where failures go.
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    /// The queue the topic or the bucket delivers to.
    pub delivery_queue_url: String,
    /// The function's OnFailure destination.
    pub failure_queue_url: String,
    /// What fills the delivery queue.
    pub source: AsyncSource,
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
    pub(crate) fn sqs(
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
    /// The body was not a notification of the source; it was moved to the
    /// failure queue as it was (only a direct write to the delivery queue
    /// does that).
    Unreadable,
    /// S3's test event, sent when notifications are configured: never given
    /// to a function.
    Ignored,
}

/// A delivery's body, read for the function.
enum Translated {
    Event {
        event: Vec<u8>,
        enqueued_at: chrono::DateTime<Utc>,
    },
    Ignored,
    Unreadable(String),
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

    /// The event the function gets for one delivery's body.
    fn translate(&self, body: &str) -> Translated {
        match &self.config.source {
            AsyncSource::Sns { subscription_arn } => match sns_event(body, subscription_arn) {
                Err(error) => Translated::Unreadable(error.to_string()),
                Ok(event) => Translated::Event {
                    enqueued_at: event
                        .records
                        .first()
                        .map_or_else(Utc::now, |record| record.sns.timestamp),
                    // Strings and maps of strings always serialise.
                    event: serde_json::to_vec(&event).unwrap_or_default(),
                },
            },
            AsyncSource::S3 => match s3_event(body) {
                Err(error) => Translated::Unreadable(error.to_string()),
                Ok(S3Notification::Test) => Translated::Ignored,
                Ok(S3Notification::Event { event, event_time }) => Translated::Event {
                    event,
                    enqueued_at: event_time,
                },
            },
        }
    }

    /// Invokes the function with one delivery and settles it.
    async fn handle(&self, message: Message) -> Result<Delivered, AsyncDeliveryError> {
        let body = message.body.as_deref().unwrap_or_default();
        let delivered = match self.translate(body) {
            Translated::Unreadable(error) => {
                tracing::error!(error = %error, "delivery is not a notification of its source; moved to the failure queue");
                self.send_failure(body).await?;
                Delivered::Unreadable
            }
            Translated::Ignored => Delivered::Ignored,
            Translated::Event { event, enqueued_at } => {
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

/// A running delivery loop or event source.
#[derive(Debug)]
pub struct DeliveryHandle {
    pub(crate) stop: watch::Sender<bool>,
    pub(crate) task: JoinHandle<()>,
}

impl DeliveryHandle {
    /// Stops the loop. A delivery in flight is abandoned before it is
    /// deleted, so SQS hands it out again: at least once, never lost.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}
