use super::*;

const SHARD: &str = "shardId-000000000000";

async fn iterator_at(stream: &FakeStream, start: IteratorStart) -> String {
    stream
        .shard_iterator(FakeStream::ARN, SHARD, &start)
        .await
        .expect("iterator")
}

/// Pages follow each other without gaps, honouring the limit and the cap.
#[tokio::test]
async fn pages_through_a_shard_in_order() {
    let stream = FakeStream::new(FakeStream::ARN);
    let sequence_numbers = stream.put_many(SHARD, 5);
    stream.cap_page_size(2);
    let mut iterator = iterator_at(&stream, IteratorStart::At(sequence_numbers[1].clone())).await;
    let mut read = Vec::new();
    for _ in 0..3 {
        let page = stream
            .records(FakeStream::ARN, &iterator, 10)
            .await
            .expect("page");
        read.extend(page.records.into_iter().map(|r| r.sequence_number));
        iterator = page.next_iterator.expect("open shard");
    }
    assert_eq!(read, sequence_numbers[1..]);
    assert_eq!(stream.calls().get_records, 3);
}

/// At the tip of an open shard: an empty page, caught up, still iterable.
#[tokio::test]
async fn answers_empty_caught_up_pages_at_the_tip_of_an_open_shard() {
    let stream = FakeStream::new(FakeStream::ARN);
    let sequence_numbers = stream.put_many(SHARD, 2);
    let iterator = iterator_at(&stream, IteratorStart::After(sequence_numbers[1].clone())).await;
    let page = stream
        .records(FakeStream::ARN, &iterator, 10)
        .await
        .expect("page");
    assert!(page.records.is_empty());
    assert_eq!(page.millis_behind_latest, Some(0));
    assert!(page.next_iterator.is_some());
}

/// A closed shard read to its end has no next iterator.
#[tokio::test]
async fn ends_a_closed_shard_without_next_iterator() {
    let stream = FakeStream::new(FakeStream::ARN);
    let sequence_numbers = stream.put_many(SHARD, 3);
    stream.close_shard(SHARD);
    let iterator = iterator_at(&stream, IteratorStart::At(sequence_numbers[0].clone())).await;
    let page = stream
        .records(FakeStream::ARN, &iterator, 10)
        .await
        .expect("page");
    assert_eq!(page.records.len(), 3);
    assert_eq!(page.next_iterator, None);
}

/// An iterator asked for a trimmed record starts at the oldest one left.
#[tokio::test]
async fn starts_at_the_trim_horizon_for_trimmed_records() {
    let stream = FakeStream::new(FakeStream::ARN);
    let sequence_numbers = stream.put_many(SHARD, 5);
    stream.trim(SHARD, 2);
    let iterator = iterator_at(&stream, IteratorStart::At(sequence_numbers[0].clone())).await;
    let page = stream
        .records(FakeStream::ARN, &iterator, 1)
        .await
        .expect("page");
    assert_eq!(page.records[0].sequence_number, sequence_numbers[2]);
}

/// Scripted faults come in order and then stop; expiry follows lineages.
#[tokio::test]
async fn serves_scripted_faults_in_order() {
    let stream = FakeStream::new(FakeStream::ARN);
    let sequence_numbers = stream.put_many(SHARD, 5);
    stream
        .succeed_get_records(1)
        .throttle_get_records(1)
        .expire_iterators_after(2);
    let iterator = iterator_at(&stream, IteratorStart::At(sequence_numbers[0].clone())).await;
    let page = stream.records(FakeStream::ARN, &iterator, 1).await;
    let next = page
        .expect("first call passes")
        .next_iterator
        .expect("open");
    let throttled = stream.records(FakeStream::ARN, &next, 1).await;
    assert!(matches!(throttled, Err(ReadError::Throttled(_))));
    let page = stream.records(FakeStream::ARN, &next, 1).await;
    let next = page.expect("second use").next_iterator.expect("open");
    let expired = stream.records(FakeStream::ARN, &next, 1).await;
    assert_eq!(expired, Err(ReadError::IteratorExpired));
}

/// Another stream's ARN, an unknown shard and a bad limit are refused.
#[tokio::test]
async fn refuses_unknown_streams_shards_and_limits() {
    let stream = FakeStream::new(FakeStream::ARN);
    let sequence_numbers = stream.put_many(SHARD, 1);
    let start = IteratorStart::At(sequence_numbers[0].clone());
    let other = "arn:aws:kinesis:eu-west-1:123456789012:stream/other";
    let foreign = stream.shard_iterator(other, SHARD, &start).await;
    assert!(matches!(foreign, Err(ReadError::NotFound(_))));
    let missing = stream
        .shard_iterator(FakeStream::ARN, "shardId-000000000009", &start)
        .await;
    assert!(matches!(missing, Err(ReadError::NotFound(_))));
    let iterator = iterator_at(&stream, start).await;
    let too_many = stream.records(FakeStream::ARN, &iterator, 10_001).await;
    assert!(matches!(too_many, Err(ReadError::Other(_))));
}

/// TRIM_HORIZON starts at the oldest record left, LATEST after the newest,
/// AT_TIMESTAMP at the first record that arrived at or after the time.
#[tokio::test]
async fn starts_iterators_at_the_horizon_the_tip_and_a_timestamp() {
    let stream = FakeStream::new(FakeStream::ARN);
    let sequence_numbers = stream.put_many(SHARD, 4);
    stream.trim(SHARD, 1);
    let third_arrival = stream.shard_records(SHARD)[2]
        .approximate_arrival_millis
        .expect("arrival");
    let mut read = Vec::new();
    for start in [
        IteratorStart::TrimHorizon,
        IteratorStart::Latest,
        IteratorStart::AtTimestamp(third_arrival),
    ] {
        let iterator = iterator_at(&stream, start).await;
        let page = stream
            .records(FakeStream::ARN, &iterator, 10)
            .await
            .expect("page");
        read.push(
            page.records
                .into_iter()
                .map(|r| r.sequence_number)
                .collect::<Vec<_>>(),
        );
    }
    assert_eq!(
        read,
        [
            sequence_numbers[1..].to_vec(),
            Vec::new(),
            sequence_numbers[2..].to_vec()
        ]
    );
}

/// ListShards reports every shard in creation order, children with their
/// parents, closed shards with an ending number above their records.
#[tokio::test]
async fn lists_shards_with_lineage_and_closed_state() {
    let stream = FakeStream::new(FakeStream::ARN);
    let parent_records = stream.put_many(SHARD, 2);
    stream.close_shard(SHARD);
    stream.add_child_shard("shardId-000000000001", SHARD, None);
    stream.add_child_shard("shardId-000000000002", SHARD, Some("shardId-000000000009"));

    let shards = stream.list_shards(FakeStream::ARN).await.expect("shards");

    let ids: Vec<&str> = shards.iter().map(|s| s.shard_id.as_str()).collect();
    assert_eq!(ids, [SHARD, "shardId-000000000001", "shardId-000000000002"]);
    assert!(shards[0].is_closed() && !shards[1].is_closed());
    assert!(shards[0].ending_sequence_number.as_ref() > parent_records.last());
    assert_eq!(shards[1].parents().collect::<Vec<_>>(), [SHARD]);
    assert_eq!(
        shards[2].parents().collect::<Vec<_>>(),
        [SHARD, "shardId-000000000009"]
    );
    assert_eq!(stream.calls().list_shards, 1);
}
