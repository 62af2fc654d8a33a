//! The hydrate function's event handling as Lambda runs it: the event
//! deserialised as `lambda_runtime` does (`serde_json::from_slice` into
//! `SnsEvent`), then `Hydrator::handle` over an in-memory stream and DLQ.
//! Every SNS record of an event that deserialises must reach the DLQ.
#![no_main]

use std::sync::OnceLock;
use std::time::Duration;

use aws_lambda_events::sns::SnsEvent;
use hydrate::{HydrateConfig, Hydrator};
use libfuzzer_sys::fuzz_target;
use streamdlq_core::dlq::RecordingSink;
use streamdlq_core::fake::FakeStream;

fn stream() -> &'static FakeStream {
    static STREAM: OnceLock<FakeStream> = OnceLock::new();
    STREAM.get_or_init(|| {
        let stream = FakeStream::new(FakeStream::ARN);
        stream.put_many("shardId-000000000000", 5);
        stream
    })
}

fuzz_target!(|data: &[u8]| {
    // SNS caps a message at 256 KiB; an event carries one.
    if data.len() > 300 * 1024 {
        return;
    }
    let Ok(event) = serde_json::from_slice::<SnsEvent>(data) else {
        return;
    };
    let records = event.records.len();
    let config = HydrateConfig::from_lookup(|name| match name {
        "DLQ_URL" => Some("https://sqs.eu-west-1.amazonaws.com/123456789012/dlq".to_owned()),
        "ALLOWED_STREAM_ARNS" => Some(FakeStream::ARN.to_owned()),
        _ => None,
    })
    .expect("config");
    let hydrator = Hydrator::new(stream().clone(), RecordingSink::new(), config);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("runtime");
    let result = runtime.block_on(async {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        hydrator.handle(event, deadline).await
    });
    match result {
        Ok(summary) => {
            assert_eq!(summary.failures.len(), records);
            let ids: std::collections::BTreeSet<String> = hydrator
                .sink()
                .messages()
                .into_iter()
                .map(|m| m.id)
                .collect();
            for failure in &summary.failures {
                assert!(
                    ids.contains(&failure.id),
                    "failure {} not in the DLQ",
                    failure.id
                );
            }
        }
        // The in-memory DLQ never refuses a write; a failed invocation means
        // a message could not even be built.
        Err(error) => panic!("invocation failed: {error}"),
    }
});
