//! The AWS SDK clients of the hydrate function, built once per process with
//! an explicit retry configuration.
//!
//! The retry settings are spelled out rather than inherited from the
//! behavior version, because the rest of the function is sized around them:
//!
//! - Kinesis: standard mode (exponential backoff with jitter and a retry
//!   quota), 3 attempts. The SDK absorbs a brief throttle on GetRecords
//!   (5 calls/s per shard, shared with the event source mapping); anything
//!   longer is left to the hydration engine's own backoff, which knows the
//!   invocation's deadline and stops in time to write the DLQ.
//! - DynamoDB Streams: the same as Kinesis, 3 attempts in standard mode
//!   (`LimitExceededException` and 5xx retried by the SDK first, then by
//!   the engine within the deadline).
//! - SQS: standard mode, 4 attempts with backoff capped at 2 s, so a whole
//!   SendMessageBatch request is retried for about 5 s at most: within the
//!   default 10 s `DLQ_WRITE_RESERVE_MS`. Longer outages fail the invocation,
//!   and Lambda's own retries take over.
//! - S3: standard mode, 3 attempts, for GetObject of an S3 failure
//!   destination's objects; what still fails after them fails the
//!   invocation when it may pass (Lambda retries the notification).

use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_dynamodbstreams::config::retry::RetryConfig as DynamoDbStreamsRetryConfig;
use aws_sdk_kinesis::config::retry::RetryConfig as KinesisRetryConfig;
use aws_sdk_sqs::config::retry::RetryConfig as SqsRetryConfig;

/// Attempts per Kinesis call, the first included.
pub const KINESIS_MAX_ATTEMPTS: u32 = 3;
/// Attempts per SQS call, the first included.
pub const SQS_MAX_ATTEMPTS: u32 = 4;
/// The longest pause between two SQS attempts.
pub const SQS_MAX_BACKOFF: Duration = Duration::from_secs(2);

/// Attempts per S3 call, the first included.
pub const S3_MAX_ATTEMPTS: u32 = 3;

/// An S3 client for reading an S3 failure destination's objects.
pub fn s3(sdk: &SdkConfig) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::config::Builder::from(sdk)
        .retry_config(
            aws_sdk_s3::config::retry::RetryConfig::standard().with_max_attempts(S3_MAX_ATTEMPTS),
        )
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// A Kinesis client for the hydration engine's reads.
pub fn kinesis(sdk: &SdkConfig) -> aws_sdk_kinesis::Client {
    let config = aws_sdk_kinesis::config::Builder::from(sdk)
        .retry_config(KinesisRetryConfig::standard().with_max_attempts(KINESIS_MAX_ATTEMPTS))
        .build();
    aws_sdk_kinesis::Client::from_conf(config)
}

/// Attempts per DynamoDB Streams call, the first included.
pub const DYNAMODB_STREAMS_MAX_ATTEMPTS: u32 = 3;

/// A DynamoDB Streams client for the hydration engine's reads of table
/// streams.
pub fn dynamodb_streams(sdk: &SdkConfig) -> aws_sdk_dynamodbstreams::Client {
    let config = aws_sdk_dynamodbstreams::config::Builder::from(sdk)
        .retry_config(
            DynamoDbStreamsRetryConfig::standard().with_max_attempts(DYNAMODB_STREAMS_MAX_ATTEMPTS),
        )
        .build();
    aws_sdk_dynamodbstreams::Client::from_conf(config)
}

/// An SQS client for writing the DLQ.
pub fn sqs(sdk: &SdkConfig) -> aws_sdk_sqs::Client {
    let config = aws_sdk_sqs::config::Builder::from(sdk)
        .retry_config(
            SqsRetryConfig::standard()
                .with_max_attempts(SQS_MAX_ATTEMPTS)
                .with_max_backoff(SQS_MAX_BACKOFF),
        )
        .build();
    aws_sdk_sqs::Client::from_conf(config)
}

#[cfg(test)]
mod tests {
    use aws_sdk_kinesis::config::retry::RetryMode;

    use super::*;

    fn sdk_config() -> SdkConfig {
        SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build()
    }

    /// The clients carry the retry settings the deadline budget relies on.
    #[test]
    fn sets_standard_retries_with_bounded_attempts() {
        let kinesis = kinesis(&sdk_config());
        let retry = kinesis.config().retry_config().expect("retry config");
        assert_eq!(retry.mode(), RetryMode::Standard);
        assert_eq!(retry.max_attempts(), KINESIS_MAX_ATTEMPTS);

        let streams = dynamodb_streams(&sdk_config());
        let retry = streams.config().retry_config().expect("retry config");
        assert_eq!(retry.mode(), RetryMode::Standard);
        assert_eq!(retry.max_attempts(), DYNAMODB_STREAMS_MAX_ATTEMPTS);

        let sqs = sqs(&sdk_config());
        let retry = sqs.config().retry_config().expect("retry config");
        assert_eq!(retry.mode(), RetryMode::Standard);
        assert_eq!(retry.max_attempts(), SQS_MAX_ATTEMPTS);
        assert_eq!(retry.max_backoff(), SQS_MAX_BACKOFF);
    }
}
