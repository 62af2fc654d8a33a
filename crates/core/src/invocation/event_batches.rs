//! Cutting a list of records into Lambda events within a record count and
//! a payload size, in order: shared by the Kinesis and DynamoDB Streams
//! event builders, which differ only in how one record is written.

use std::ops::Range;

/// One event for stream records: its JSON and the records it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamEvent {
    /// The event's JSON, as the function receives it.
    pub body: String,
    /// Positions of its records in the list they were cut from.
    pub records: Range<usize>,
}

const OPEN: &str = "{\"Records\":[";
const CLOSE: &str = "]}";

/// The `{"Records": [...]}` events for the records written as `entries`,
/// each of at most `max_records` records and `max_bytes` bytes. A record
/// too big for an event on its own still gets one (its invocation then
/// fails and says so); no records still make one empty event.
pub(crate) fn cut_into_events(
    entries: impl IntoIterator<Item = String>,
    max_records: usize,
    max_bytes: usize,
) -> Vec<StreamEvent> {
    let mut events = Vec::new();
    let mut body = String::from(OPEN);
    let mut start = 0;
    let mut total = 0;
    for (position, entry) in entries.into_iter().enumerate() {
        total = position + 1;
        let count = position - start;
        let full = count >= max_records.max(1)
            || (count > 0 && body.len() + 1 + entry.len() + CLOSE.len() > max_bytes);
        if full {
            body.push_str(CLOSE);
            events.push(StreamEvent {
                body: std::mem::replace(&mut body, String::from(OPEN)),
                records: start..position,
            });
            start = position;
        }
        if position > start {
            body.push(',');
        }
        body.push_str(&entry);
    }
    if start < total || events.is_empty() {
        body.push_str(CLOSE);
        events.push(StreamEvent {
            body,
            records: start..total,
        });
    }
    events
}
