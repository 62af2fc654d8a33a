//! Reading a benchmark's DLQ back: shared by the hydrate benchmarks.

use std::error::Error;

/// Receives and deletes the DLQ's messages until `parts` bodies arrived or
/// ten polls in a row came back empty; returns the bodies in arrival order.
pub async fn drain_dlq(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    parts: usize,
) -> Result<Vec<String>, Box<dyn Error>> {
    let mut bodies = Vec::with_capacity(parts);
    let mut empty_polls = 0;
    while bodies.len() < parts && empty_polls < 10 {
        let messages = sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await?
            .messages
            .unwrap_or_default();
        if messages.is_empty() {
            empty_polls += 1;
        }
        for message in messages {
            if let Some(handle) = message.receipt_handle {
                sqs.delete_message()
                    .queue_url(queue_url)
                    .receipt_handle(handle)
                    .send()
                    .await?;
            }
            bodies.push(message.body.unwrap_or_default());
        }
    }
    Ok(bodies)
}
