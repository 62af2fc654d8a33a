//! kinesis-local behaves like Kinesis where hydration depends on it.

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::{PutRecordsRequestEntry, ShardIteratorType, StreamStatus};
use streamdlq_emulators::Emulators;

/// Records put into a 2-shard stream come back byte-exact from
/// AT_SEQUENCE_NUMBER, addressed by StreamARN, with ~56-digit sequence numbers.
#[tokio::test]
async fn reads_back_exact_bytes_at_a_sequence_number() {
    let emulators = Emulators::shared().await.expect("emulators start");
    let kinesis = Client::new(&emulators.kinesis_config());
    let stream = "harness-read-back";

    kinesis
        .create_stream()
        .stream_name(stream)
        .shard_count(2)
        .send()
        .await
        .expect("create stream");
    let description = kinesis
        .describe_stream_summary()
        .stream_name(stream)
        .send()
        .await
        .expect("describe stream")
        .stream_description_summary
        .expect("summary");
    assert_eq!(description.stream_status, StreamStatus::Active);
    assert_eq!(description.open_shard_count, 2);
    let stream_arn = description.stream_arn;

    let all_bytes: Vec<u8> = (0..=255).collect();
    let payloads: Vec<Vec<u8>> = vec![b"text".to_vec(), all_bytes, Vec::from("ünïcødé ✓")];
    let entries = payloads
        .iter()
        .map(|data| {
            PutRecordsRequestEntry::builder()
                .partition_key("same-key-same-shard")
                .data(Blob::new(data.clone()))
                .build()
                .expect("entry")
        })
        .collect::<Vec<_>>();
    let put = kinesis
        .put_records()
        .stream_arn(&stream_arn)
        .set_records(Some(entries))
        .send()
        .await
        .expect("put records");
    assert_eq!(put.failed_record_count, Some(0));
    let shard = put.records[0].shard_id.clone().expect("shard id");
    let sequence_numbers: Vec<String> = put
        .records
        .iter()
        .map(|record| record.sequence_number.clone().expect("sequence number"))
        .collect();
    for number in &sequence_numbers {
        assert!(
            number.len() >= 50 && number.bytes().all(|b| b.is_ascii_digit()),
            "AWS-like sequence number, got {number}"
        );
    }

    // Start at the second record: the first one must not come back.
    let iterator = kinesis
        .get_shard_iterator()
        .stream_arn(&stream_arn)
        .shard_id(&shard)
        .shard_iterator_type(ShardIteratorType::AtSequenceNumber)
        .starting_sequence_number(&sequence_numbers[1])
        .send()
        .await
        .expect("shard iterator")
        .shard_iterator
        .expect("iterator");
    let page = kinesis
        .get_records()
        .stream_arn(&stream_arn)
        .shard_iterator(iterator)
        .send()
        .await
        .expect("get records");

    let read: Vec<(String, Vec<u8>)> = page
        .records
        .iter()
        .map(|record| {
            (
                record.sequence_number.clone(),
                record.data.as_ref().to_vec(),
            )
        })
        .collect();
    let expected: Vec<(String, Vec<u8>)> = sequence_numbers[1..]
        .iter()
        .cloned()
        .zip(payloads[1..].iter().cloned())
        .collect();
    assert_eq!(read, expected);
    assert!(page.next_shard_iterator.is_some(), "an open shard goes on");
}
