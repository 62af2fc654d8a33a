//! What the demo-template pipeline tests share: the stack started from
//! `infra/template.yaml` with the processors and hydrate in process, the
//! count of processed records, and the first DLQ messages to arrive.
#![allow(dead_code)] // each test binary uses a different part

use std::path::PathBuf;
use std::time::{Duration, Instant};

use streamdlq_emulators::EmulatorOptions;
use streamdlq_local::esm::EsmStats;
use streamdlq_local::stack::{ProcessorTarget, in_process_hydrate};
use streamdlq_local::{Stack, StackOptions};

/// The demo stack named `name`, everything in process.
pub async fn start(name: &str) -> Stack {
    Stack::start(StackOptions {
        template: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../infra/template.yaml"),
        stack_name: name.to_owned(),
        emulators: EmulatorOptions::from_env().expect("emulators installed"),
        async_retry_delay: Duration::from_millis(50),
        delivery_wait: Duration::from_secs(1),
        processor: ProcessorTarget::InProcess,
        hydrate: Some(in_process_hydrate()),
    })
    .await
    .expect("stack starts")
}

/// Records processed over every shard of every mapping.
pub fn processed(stats: &EsmStats) -> u64 {
    stats
        .shards
        .values()
        .map(|shard| shard.records_processed)
        .sum()
}

/// The bodies of the first DLQ messages to arrive (one receive of up to
/// ten), waiting up to 30 s for any.
pub async fn first_dlq_bodies(stack: &Stack) -> Vec<String> {
    let dlq = &stack.resources().dead_letter_queue.url;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let messages = stack
            .clients()
            .sqs
            .receive_message()
            .queue_url(dlq)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .expect("receive")
            .messages
            .unwrap_or_default();
        if !messages.is_empty() {
            return messages
                .into_iter()
                .map(|message| message.body.expect("body"))
                .collect();
        }
        assert!(Instant::now() < deadline, "nothing reached the DLQ");
    }
}
