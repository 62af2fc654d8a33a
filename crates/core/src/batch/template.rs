//! [`RecordTemplate`]: the records of one event are written alike, so once
//! one has been read, the next ones are matched against it rather than
//! parsed.
//!
//! Why: the ESM writes every record of an event with the same fields in
//! the same order, and within one batch only five values change from record
//! to record: the partition key, the sequence number, the data, the arrival
//! time and the event id. The scanner finds where each of a record's two
//! dozen strings ends, one search per string, and that was most of its
//! time; comparing the unchanged text between the five values takes a few
//! bulk comparisons and four searches.
//!
//! A template is learnt from a record the scanner has read: its text, cut
//! at those five values. A later record matches when its text is the same
//! pieces in the same order with a value between each two, where a string
//! value ends at the next quote and a number where JSON's number grammar
//! ends. Such a record is the learnt one with five values changed, so the
//! scanner would have read it to the same fields with those values: the
//! scanner uses templates only on text without a backslash or a control
//! character, where a string cannot hold a quote. A record that does not
//! match is read by the scanner, and teaches the next template.

use std::borrow::Cow;
use std::ops::Range;

use super::event::{Loose, Text, WireKinesis, WireRecord};
use super::number::{decimal_millis, number_end, number_value};

/// Where a record's five changing values are in the event text, as the
/// scanner read them: a string's span is its content, without the quotes.
/// A value that is absent, `null` or of another JSON type has none, and
/// then no template is learnt from the record.
#[derive(Debug, Default)]
pub(super) struct ValueSpans {
    pub(super) event_id: Option<Range<usize>>,
    pub(super) partition_key: Option<Range<usize>>,
    pub(super) sequence_number: Option<Range<usize>>,
    pub(super) data: Option<Range<usize>>,
    pub(super) arrival_time: Option<Range<usize>>,
}

/// The five changing values of a record, in the order
/// [`RecordTemplate::read`] indexes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Value {
    EventId,
    PartitionKey,
    SequenceNumber,
    Data,
    ArrivalTime,
}

/// A record's text with its five changing values cut out.
#[derive(Debug)]
pub(super) struct RecordTemplate<'a> {
    /// The learnt record's text before its first value, between each two,
    /// and after its last.
    pieces: [&'a str; 6],
    /// The value that follows `pieces[i]`.
    values: [Value; 5],
    /// The learnt record's `eventSourceARN`, which is inside the pieces.
    event_source_arn: Option<&'a str>,
}

impl<'a> RecordTemplate<'a> {
    /// The template of the record at `record` in `text`, whose values are
    /// at `spans`; `None` unless all five are there.
    pub(super) fn learn(
        text: &'a str,
        record: Range<usize>,
        spans: ValueSpans,
        event_source_arn: Option<&'a str>,
    ) -> Option<Self> {
        let mut cuts = [
            (spans.event_id?, Value::EventId),
            (spans.partition_key?, Value::PartitionKey),
            (spans.sequence_number?, Value::SequenceNumber),
            (spans.data?, Value::Data),
            (spans.arrival_time?, Value::ArrivalTime),
        ];
        cuts.sort_by_key(|(span, _)| span.start);
        let mut pieces = [""; 6];
        let mut from = record.start;
        for (piece, (span, _)) in pieces.iter_mut().zip(&cuts) {
            *piece = text.get(from..span.start)?;
            from = span.end;
        }
        pieces[5] = text.get(from..record.end)?;
        Some(Self {
            pieces,
            values: cuts.map(|(_, value)| value),
            event_source_arn,
        })
    }

    /// The record at `at` in `text` if it matches, and where it ends.
    pub(super) fn read(&self, text: &'a str, mut at: usize) -> Option<(WireRecord<'a>, usize)> {
        let bytes = text.as_bytes();
        // Indexed by `Value`, in its declaration order.
        let mut found = [""; 5];
        for (piece, value) in self.pieces.iter().zip(self.values) {
            at = after(bytes, at, piece)?;
            let end = match value {
                Value::ArrivalTime => number_end(bytes, at)?,
                _ => at + memchr::memchr(b'"', bytes.get(at..)?)?,
            };
            found[value as usize] = text.get(at..end)?;
            at = end;
        }
        at = after(bytes, at, self.pieces[5])?;
        let [event_id, partition_key, sequence_number, data, arrival_time] = found;
        // Most arrival times are read straight to milliseconds; serde_json's
        // value (and its refusal of a number out of range) otherwise.
        let arrival_time = match decimal_millis(arrival_time) {
            Some(millis) => Loose::Millis(millis),
            None => Loose::Number(number_value(arrival_time)?),
        };
        let record = WireRecord {
            event_id: Some(Text(Cow::Borrowed(event_id))),
            event_source_arn: self.event_source_arn.map(|arn| Text(Cow::Borrowed(arn))),
            kinesis: WireKinesis {
                sequence_number: Cow::Borrowed(sequence_number),
                partition_key: Some(Loose::Str(Cow::Borrowed(partition_key))),
                approximate_arrival_timestamp: Some(arrival_time),
                data: Some(Loose::Str(Cow::Borrowed(data))),
            },
        };
        Some((record, at))
    }
}

/// The position after `piece`, if the text at `at` is `piece`.
fn after(bytes: &[u8], at: usize, piece: &str) -> Option<usize> {
    let end = at + piece.len();
    (bytes.get(at..end)? == piece.as_bytes()).then_some(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIRST: &str = r#"{"kinesis":{"partitionKey":"k1","sequenceNumber":"101","data":"QUJD","approximateArrivalTimestamp":1795428897.5},"eventID":"shardId-0:101","eventSourceARN":"arn:s"}"#;

    /// The spans the scanner reports for `record` at `start` in the text.
    fn spans(record: &str, start: usize) -> ValueSpans {
        let content = |key: &str| {
            let from = record.find(&format!("\"{key}\":\"")).expect(key) + key.len() + 4;
            let to = from + record[from..].find('"').expect("end");
            Some(start + from..start + to)
        };
        let time = record.find("Timestamp\":").expect("time") + 11;
        let time_end = time + record[time..].find('}').expect("end");
        ValueSpans {
            event_id: content("eventID"),
            partition_key: content("partitionKey"),
            sequence_number: content("sequenceNumber"),
            data: content("data"),
            arrival_time: Some(start + time..start + time_end),
        }
    }

    fn template(text: &str) -> RecordTemplate<'_> {
        RecordTemplate::learn(text, 0..FIRST.len(), spans(FIRST, 0), Some("arn:s"))
            .expect("all five values")
    }

    /// (event id, partition key, sequence number, data, arrival time).
    fn values<'a>(record: &WireRecord<'a>) -> (&'a str, &'a str, &'a str, &'a str, f64) {
        let string = |loose: &Option<Loose<'a>>| match loose {
            Some(Loose::Str(Cow::Borrowed(text))) => *text,
            _ => panic!("a borrowed string"),
        };
        let time = match record.kinesis.approximate_arrival_timestamp {
            Some(Loose::Number(seconds)) => seconds,
            #[allow(clippy::cast_precision_loss)] // test times are small
            Some(Loose::Millis(millis)) => millis as f64 / 1000.0,
            _ => panic!("a number"),
        };
        let Some(Text(Cow::Borrowed(event_id))) = record.event_id else {
            panic!("a borrowed event id");
        };
        let Cow::Borrowed(sequence_number) = record.kinesis.sequence_number else {
            panic!("a borrowed sequence number");
        };
        (
            event_id,
            string(&record.kinesis.partition_key),
            sequence_number,
            string(&record.kinesis.data),
            time,
        )
    }

    /// A record that differs only in its five values, of other lengths,
    /// is read with those values and the learnt stream.
    #[test]
    fn reads_a_record_that_differs_only_in_its_values() {
        let second = r#"{"kinesis":{"partitionKey":"a much longer key","sequenceNumber":"10222","data":"","approximateArrivalTimestamp":-2e3},"eventID":"shardId-0:10222","eventSourceARN":"arn:s"}"#;
        let text = format!("{FIRST},{second}]");
        let start = FIRST.len() + 1;
        let (record, end) = template(&text).read(&text, start).expect("matches");
        assert_eq!(end, text.len() - 1);
        assert_eq!(
            values(&record),
            ("shardId-0:10222", "a much longer key", "10222", "", -2000.0)
        );
        assert!(matches!(
            record.event_source_arn,
            Some(Text(Cow::Borrowed("arn:s")))
        ));
    }

    /// Any other difference, or a value of another type, is not a match:
    /// the scanner reads that record.
    #[test]
    fn does_not_match_a_record_that_differs_elsewhere() {
        for second in [
            FIRST.replace("arn:s", "arn:t"),
            FIRST.replace("\"kinesis\":{", "\"kinesis\": {"),
            FIRST.replace("\"k1\"", "null"),
            FIRST.replace("\"QUJD\"", "7"),
            FIRST.replace("1795428897.5", "\"1795428897.5\""),
            FIRST.replace("1795428897.5", "1795428897."),
            FIRST.replace(",\"eventSourceARN\":\"arn:s\"", ""),
            FIRST.replacen('}', "},\"extra\":1", 1),
        ] {
            let text = format!("{FIRST},{second}]");
            assert!(
                template(&text).read(&text, FIRST.len() + 1).is_none(),
                "{second}"
            );
        }
    }

    /// A record without all five values teaches no template.
    #[test]
    fn learns_only_from_a_record_with_all_five_values() {
        let mut partial = spans(FIRST, 0);
        partial.partition_key = None;
        assert!(RecordTemplate::learn(FIRST, 0..FIRST.len(), partial, None).is_none());
    }
}
