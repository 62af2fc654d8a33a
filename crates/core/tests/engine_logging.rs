//! What the hydration engine logs, seen from outside the crate. Alone in its
//! own test binary: a process-wide subscriber is the only reliable way to
//! capture tracing output while other tests run in parallel.

use std::time::Duration;

use streamdlq_core::fake::{FakeStream, LogCapture, LogFormat};
use streamdlq_core::{HydrateOptions, HydrationStatus, hydrate};
use tokio::time::Instant;

const SHARD: &str = "shardId-000000000001";

/// Debug logs carry the shard, the range and counts, never payload bytes.
#[tokio::test(start_paused = true)]
async fn logs_counts_and_sequence_numbers_but_never_payload_bytes() {
    let capture = LogCapture::install(LogFormat::Plain);
    let stream = FakeStream::new(FakeStream::ARN);
    stream.put(SHARD, "pk", "secret-payload-1");
    stream.put(SHARD, "pk", "secret-payload-2");
    stream.cap_page_size(1).throttle_get_records(1);
    let batch = stream.batch(SHARD, 0..=1);
    let deadline = Instant::now() + Duration::from_secs(60);

    let report = hydrate(&stream, &batch, &HydrateOptions::default(), deadline).await;

    assert_eq!(report.hydration.status, HydrationStatus::Complete);
    let logs = capture.text();
    assert!(logs.contains("page read"), "{logs}");
    assert!(logs.contains("backing off"), "{logs}");
    assert!(logs.contains("hydration finished"), "{logs}");
    assert!(logs.contains(SHARD), "{logs}");
    assert!(
        logs.contains(batch.start_sequence_number.as_str()),
        "{logs}"
    );
    assert!(!logs.contains("secret-payload"), "{logs}");
}
