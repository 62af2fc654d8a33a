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
