//! [`read_plain_event`]: a reader specialised for the Kinesis event as the
//! event source mapping writes it, for [`KinesisBatch::from_json`].
//!
//! Why: serde_json's generic machinery (a visitor per value, a key matched
//! through a derived field enum, every unknown value walked by `IgnoredAny`)
//! was the largest part of an invocation of a 10,000-record event. This
//! reader walks the same grammar directly over the text and hands the same
//! [`WireRecord`]s to the same [`Builder`] the serde reading uses, so the
//! two cannot disagree on what a record becomes. Finding where each string
//! ends is most of its work: when one pass over the whole text finds no
//! backslash and no control character (the ESM writes compact JSON, and
//! base64, ARNs and sequence numbers have no escapes), a string ends at the
//! next quote, which `memchr` finds with SIMD; otherwise each string is
//! scanned eight bytes at a time for a quote, an escape or a control
//! character.
//!
//! In such text, each record after the first is first matched against a
//! `template` of the last record read here, which skips most of those
//! searches; a record that does not match is read here and becomes the
//! next template.
//!
//! It only reads the plain case: strings without escapes, no duplicate
//! fields, nesting well below serde_json's limit, every value of a type the
//! record reader accepts. Anything else (and every malformed event) makes it
//! give up with `None`, and the caller reads the text with serde_json, which
//! is the reference for the answer and for the exact error. So an event this
//! reader accepts is one serde_json accepts, read to the same batch.

use std::borrow::Cow;
use std::ops::Range;

use super::event::{Builder, KinesisBatch, Loose, Text, WireKinesis, WireRecord};
use super::number::{number_end, number_value};
use super::template::{RecordTemplate, ValueSpans};

/// Deepest nesting read here; serde_json's limit is 128, and anything this
/// deep is left to it.
const MAX_DEPTH: usize = 64;

// The entry point lives beside the reader it prefers, so that `event`
// (the serde reading and the batch) does not depend on `scan`.
impl KinesisBatch {
    /// Reads the event from its JSON bytes as the Runtime API delivers
    /// them: the same reading and the same errors as
    /// `serde_json::from_slice`, faster. The text is checked to be UTF-8 once,
    /// as a whole, instead of string by string (for a 10,000-record event,
    /// some 200,000 strings), then read by the reader specialised for the
    /// event as the ESM writes it (`scan`); anything outside that plain case
    /// (escapes, duplicate fields, a malformed event) is read by serde_json,
    /// and text that is not UTF-8 by `serde_json::from_slice`, for its exact
    /// answer or error.
    pub fn from_json(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        // simdutf8 checks the 6 MB of a large event several times faster
        // than `std::str::from_utf8`, with the same answer.
        match simdutf8::basic::from_utf8(bytes) {
            Ok(text) => match read_plain_event(text) {
                Some(batch) => Ok(batch),
                None => serde_json::from_str(text),
            },
            Err(_) => serde_json::from_slice(bytes),
        }
    }
}

/// The smallest a record of a real event takes in the text (its fixed
/// fields alone are ~400 bytes): the records vector is sized from it once
/// instead of growing through a dozen copies.
const MIN_RECORD_TEXT: usize = 400;

/// Reads `text` as a Kinesis event, or `None` when it is not the plain case
/// (see the module docs): the caller then reads it with serde_json.
pub(super) fn read_plain_event(text: &str) -> Option<KinesisBatch> {
    let mut scanner = Scanner {
        text,
        pos: 0,
        quote_ends_strings: !has_escape_or_control(text.as_bytes()),
    };
    let batch = scanner.event()?;
    scanner.skip_whitespace();
    (scanner.pos == text.len()).then_some(batch)
}

/// A position in the event text; every method returns `None` where the
/// plain case ends.
struct Scanner<'a> {
    text: &'a str,
    pos: usize,
    /// The text has no backslash and no control character anywhere, so
    /// every string is plain and ends at the next quote.
    quote_ends_strings: bool,
}

impl<'a> Scanner<'a> {
    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    fn skip_whitespace(&mut self) {
        let bytes = self.bytes();
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    /// The next byte that is not whitespace, not consumed.
    fn peek(&mut self) -> Option<u8> {
        self.skip_whitespace();
        self.bytes().get(self.pos).copied()
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.pos += 1)
    }

    /// After a member of an object or array: `true` if another follows,
    /// `false` at the `close` byte.
    fn next_member(&mut self, close: u8) -> Option<bool> {
        match self.peek()? {
            b',' => {
                self.pos += 1;
                Some(true)
            }
            byte if byte == close => {
                self.pos += 1;
                Some(false)
            }
            _ => None,
        }
    }

    /// Opens an object or array; `false` if it is empty (and consumed).
    fn open(&mut self, open: u8, close: u8) -> Option<bool> {
        self.expect(open)?;
        if self.peek()? == close {
            self.pos += 1;
            return Some(false);
        }
        Some(true)
    }

    /// A string without escapes, borrowed from the text.
    fn string(&mut self) -> Option<&'a str> {
        self.expect(b'"')?;
        let start = self.pos;
        let rest = &self.bytes()[start..];
        let len = if self.quote_ends_strings {
            memchr::memchr(b'"', rest)?
        } else {
            plain_string_len(rest)?
        };
        let end = start + len;
        self.pos = end + 1;
        // Both ends are ASCII quotes, so both are character boundaries.
        self.text.get(start..end)
    }

    /// `word` (`true`, `false`, `null`) at the current position.
    fn literal(&mut self, word: &[u8]) -> Option<()> {
        self.skip_whitespace();
        let end = self.pos + word.len();
        (self.bytes().get(self.pos..end)? == word).then(|| self.pos = end)
    }

    /// A number in JSON's grammar, as text.
    fn number(&mut self) -> Option<&'a str> {
        self.skip_whitespace();
        let start = self.pos;
        self.pos = number_end(self.bytes(), start)?;
        self.text.get(start..self.pos)
    }

    /// Steps over any JSON value, checking its grammar.
    fn skip_value(&mut self, depth: usize) -> Option<()> {
        match self.peek()? {
            b'"' => self.string().map(drop),
            b'{' => self.skip_object(depth + 1),
            b'[' => self.skip_array(depth + 1),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.number().map(drop),
            _ => None,
        }
    }

    fn skip_object(&mut self, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        let mut more = self.open(b'{', b'}')?;
        while more {
            self.string()?;
            self.expect(b':')?;
            self.skip_value(depth)?;
            more = self.next_member(b'}')?;
        }
        Some(())
    }

    fn skip_array(&mut self, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        let mut more = self.open(b'[', b']')?;
        while more {
            self.skip_value(depth)?;
            more = self.next_member(b']')?;
        }
        Some(())
    }

    /// `{"Records": [...]}`, other keys stepped over (depth 1).
    fn event(&mut self) -> Option<KinesisBatch> {
        let mut batch = None;
        let mut more = self.open(b'{', b'}')?;
        while more {
            let key = self.string()?;
            self.expect(b':')?;
            if key == "Records" {
                set_once(&mut batch, self.records()?)?;
            } else {
                self.skip_value(1)?;
            }
            more = self.next_member(b'}')?;
        }
        batch
    }

    /// The `Records` array (depth 2), each record into the batch.
    fn records(&mut self) -> Option<KinesisBatch> {
        let rest = self.text.len() - self.pos;
        // Decoded bytes are at most three quarters of their base64 text:
        // reserved once, the buffer is never copied as it grows (pages not
        // written are never resident).
        let mut builder = Builder::with_capacity(rest / MIN_RECORD_TEXT, rest / 4 * 3);
        let mut template: Option<RecordTemplate<'a>> = None;
        let mut more = self.open(b'[', b']')?;
        while more {
            self.skip_whitespace();
            let matched = template.as_ref().and_then(|t| t.read(self.text, self.pos));
            let record = match matched {
                Some((record, end)) => {
                    self.pos = end;
                    record
                }
                None => {
                    let start = self.pos;
                    let (record, spans) = self.record()?;
                    // Without the quote rule a string's end is not the next
                    // quote, which is what a template relies on.
                    template = None;
                    if self.quote_ends_strings {
                        // The stream is inside the pieces: the template keeps
                        // the learnt record's, absent or borrowed (this
                        // scanner never copies a string).
                        let arn = match &record.event_source_arn {
                            None => Some(None),
                            Some(Text(Cow::Borrowed(arn))) => Some(Some(*arn)),
                            Some(Text(Cow::Owned(_))) => None,
                        };
                        template = arn.and_then(|arn| {
                            RecordTemplate::learn(self.text, start..self.pos, spans, arn)
                        });
                    }
                    record
                }
            };
            builder.push(record).ok()?;
            more = self.next_member(b']')?;
        }
        Some(builder.finish())
    }

    /// One record object (depth 3), and where its changing values are.
    fn record(&mut self) -> Option<(WireRecord<'a>, ValueSpans)> {
        let (mut event_id, mut event_source_arn, mut kinesis) = (None, None, None);
        let mut spans = ValueSpans::default();
        let mut more = self.open(b'{', b'}')?;
        while more {
            let key = self.string()?;
            self.expect(b':')?;
            match key {
                "eventID" => {
                    let (text, span) = self.spanned(|scanner| scanner.optional_text())?;
                    spans.event_id = text.is_some().then(|| content(span));
                    set_once(&mut event_id, text)?;
                }
                "eventSourceARN" => set_once(&mut event_source_arn, self.optional_text()?)?,
                "kinesis" => set_once(&mut kinesis, self.kinesis(&mut spans)?)?,
                _ => self.skip_value(3)?,
            }
            more = self.next_member(b'}')?;
        }
        let record = WireRecord {
            event_id: event_id.flatten(),
            event_source_arn: event_source_arn.flatten(),
            kinesis: kinesis?,
        };
        Some((record, spans))
    }

    /// The record's `kinesis` object (depth 4).
    fn kinesis(&mut self, spans: &mut ValueSpans) -> Option<WireKinesis<'a>> {
        let mut sequence_number = None;
        let (mut partition_key, mut approximate_arrival_timestamp, mut data) = (None, None, None);
        let string_span = |(value, span): (Option<Loose<'a>>, Range<usize>)| {
            let span = matches!(value, Some(Loose::Str(_))).then(|| content(span));
            (value, span)
        };
        let mut more = self.open(b'{', b'}')?;
        while more {
            let key = self.string()?;
            self.expect(b':')?;
            match key {
                "sequenceNumber" => {
                    let (text, span) = self.spanned(Self::string)?;
                    spans.sequence_number = Some(content(span));
                    set_once(&mut sequence_number, text)?;
                }
                "partitionKey" => {
                    let (value, span) = string_span(self.spanned(|scanner| scanner.loose(4))?);
                    spans.partition_key = span;
                    set_once(&mut partition_key, value)?;
                }
                "approximateArrivalTimestamp" => {
                    let (value, span) = self.spanned(|scanner| scanner.loose(4))?;
                    spans.arrival_time = matches!(value, Some(Loose::Number(_))).then_some(span);
                    set_once(&mut approximate_arrival_timestamp, value)?;
                }
                "data" => {
                    let (value, span) = string_span(self.spanned(|scanner| scanner.loose(4))?);
                    spans.data = span;
                    set_once(&mut data, value)?;
                }
                _ => self.skip_value(4)?,
            }
            more = self.next_member(b'}')?;
        }
        Some(WireKinesis {
            sequence_number: Cow::Borrowed(sequence_number?),
            partition_key: partition_key.flatten(),
            approximate_arrival_timestamp: approximate_arrival_timestamp.flatten(),
            data: data.flatten(),
        })
    }

    /// `read`'s value, and the span of text it was read from.
    fn spanned<T>(
        &mut self,
        read: impl FnOnce(&mut Self) -> Option<T>,
    ) -> Option<(T, Range<usize>)> {
        self.skip_whitespace();
        let start = self.pos;
        let value = read(self)?;
        Some((value, start..self.pos))
    }

    /// An optional string field: `null` is `None`, as serde reads an
    /// `Option`.
    fn optional_text(&mut self) -> Option<Option<Text<'a>>> {
        match self.peek()? {
            b'"' => Some(Some(Text(Cow::Borrowed(self.string()?)))),
            b'n' => self.literal(b"null").map(|()| None),
            _ => None,
        }
    }

    /// A field read as whatever JSON it holds; `null` is `None`, as serde
    /// reads an `Option`.
    fn loose(&mut self, depth: usize) -> Option<Option<Loose<'a>>> {
        let value = match self.peek()? {
            b'"' => Loose::Str(Cow::Borrowed(self.string()?)),
            b'n' => return self.literal(b"null").map(|()| None),
            b't' | b'f' => {
                self.skip_value(depth)?;
                Loose::Other("a boolean")
            }
            b'[' => {
                self.skip_value(depth)?;
                Loose::Other("an array")
            }
            b'{' => {
                self.skip_value(depth)?;
                Loose::Other("an object")
            }
            // serde_json's value, and its refusal of one out of range.
            _ => Loose::Number(number_value(self.number()?)?),
        };
        Some(Some(value))
    }
}

/// A string's content: its span without the quotes.
fn content(span: Range<usize>) -> Range<usize> {
    span.start + 1..span.end - 1
}

/// Sets a field seen for the first time; a second sighting is a duplicate
/// field, which serde refuses, so it is left to serde_json.
fn set_once<T>(slot: &mut Option<T>, value: T) -> Option<()> {
    match slot {
        Some(_) => None,
        None => {
            *slot = Some(value);
            Some(())
        }
    }
}

/// Whether the text holds a backslash or a byte below 0x20 anywhere; in
/// blocks without early exit, so that the compiler vectorises the test.
fn has_escape_or_control(bytes: &[u8]) -> bool {
    bytes.chunks(256).any(|block| {
        block
            .iter()
            .fold(false, |found, &b| found | (b < 0x20) | (b == b'\\'))
    })
}

/// The length of a string's text up to its closing quote, or `None` if an
/// escape, a control character (which JSON refuses inside strings) or the
/// end of the text comes first. Eight bytes at a time: a word has one of
/// the three where a byte is zero after an XOR with `"` or `\`, or below
/// 0x20. Each test flags its lowest matching byte exactly (a false flag can
/// only sit above a true one), so the lowest flag overall is the first stop.
fn plain_string_len(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let below = |word: u64, limit: u8| word.wrapping_sub(ONES * u64::from(limit)) & !word & HIGH;
    let zero = |word: u64| below(word, 1);
    let mut chunks = bytes.chunks_exact(8);
    let mut offset = 0;
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().ok()?);
        let stops = zero(word ^ (ONES * u64::from(b'"')))
            | zero(word ^ (ONES * u64::from(b'\\')))
            | below(word, 0x20);
        if stops != 0 {
            let at = offset + (stops.trailing_zeros() / 8) as usize;
            return (bytes[at] == b'"').then_some(at);
        }
        offset += 8;
    }
    let rest = chunks.remainder();
    let at = rest
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
    (rest[at] == b'"').then_some(offset + at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::event::DataError;

    const VALID: &str = include_str!("../../../../events/kinesis-batch-valid.json");
    const POISON_PILL: &str = include_str!("../../../../events/kinesis-batch-poison-pill.json");
    const INVALID_BASE64: &str =
        include_str!("../../../../events/kinesis-batch-invalid-base64.json");
    const EMPTY: &str = include_str!("../../../../events/kinesis-batch-empty.json");
    /// The valid event on one line, as the ESM writes it: records after the
    /// first are read through templates.
    const COMPACT: &str = include_str!("../../../../events/kinesis-batch-compact.json");

    /// What a batch holds, comparable: every context and every record's
    /// bytes or error.
    type Contents = Vec<(super::super::RecordContext, Result<Vec<u8>, DataError>)>;

    fn contents(batch: &KinesisBatch) -> Contents {
        let (records, _) = batch.parts();
        records
            .iter()
            .map(|record| {
                let data = batch.data_of(record).map(<[u8]>::to_vec);
                (record.context.clone(), data)
            })
            .collect()
    }

    /// serde_json's reading of `text`, the reference.
    fn reference(text: &str) -> Option<Contents> {
        serde_json::from_str::<KinesisBatch>(text)
            .ok()
            .map(|batch| contents(&batch))
    }

    /// Asserts the plain reader reads `text` as serde_json does, or leaves
    /// it to serde_json; returns whether it read it.
    fn agrees(text: &str) -> bool {
        match read_plain_event(text) {
            Some(batch) => {
                assert_eq!(Some(contents(&batch)), reference(text), "{text}");
                true
            }
            None => false,
        }
    }

    /// The fixtures, as the ESM writes them, are read here, to the batch
    /// serde_json reads.
    #[test]
    fn reads_the_fixtures_as_serde_json_does() {
        for fixture in [VALID, POISON_PILL, INVALID_BASE64, EMPTY, COMPACT] {
            assert!(agrees(fixture), "{fixture}");
        }
    }

    /// Null optional fields, other JSON types in the loosely read fields,
    /// unknown nested values and whitespace are still the plain case.
    #[test]
    fn reads_every_shape_the_record_reader_accepts() {
        let mut event: serde_json::Value = serde_json::from_str(VALID).expect("json");
        event["Records"][0]["eventID"] = serde_json::json!(null);
        event["Records"][0]["kinesis"]["partitionKey"] = serde_json::json!(null);
        event["Records"][1]["kinesis"]["partitionKey"] = serde_json::json!(7);
        event["Records"][1]["kinesis"]["approximateArrivalTimestamp"] = serde_json::json!(-17);
        event["Records"][2]["kinesis"]["data"] = serde_json::json!([1, {"a": [true, null]}]);
        event["Records"][2]["kinesis"]["partitionKey"] = serde_json::json!(false);
        event["Records"][3]["kinesis"]["approximateArrivalTimestamp"] = serde_json::json!({});
        event["Records"][3]["extra"] = serde_json::json!({"nested": [1.5e3, "x", []]});
        event["Records"][4]["kinesis"]["approximateArrivalTimestamp"] =
            serde_json::json!(1.795_428_897_512_345e9);
        let pretty = serde_json::to_string_pretty(&event).expect("json");
        assert!(agrees(&pretty));
        assert!(agrees(&event.to_string()));
    }

    /// Escapes, duplicate fields and deep nesting are left to serde_json.
    #[test]
    fn leaves_what_is_not_the_plain_case_to_serde_json() {
        let escaped = VALID.replacen("periodic-table", "periodic\\u002dtable", 1);
        let duplicate = VALID.replacen("\"data\":", "\"data\": \"QUJD\", \"data\":", 1);
        let deep = VALID.replacen(
            "\"eventVersion\":",
            &format!(
                "\"deep\": {}0{}, \"eventVersion\":",
                "[".repeat(80),
                "]".repeat(80)
            ),
            1,
        );
        for text in [escaped, duplicate, deep] {
            assert!(read_plain_event(&text).is_none());
            assert!(!agrees(&text));
        }
    }

    /// Malformed events are never read here: serde_json refuses them with
    /// its own message.
    #[test]
    fn leaves_malformed_events_to_serde_json() {
        for bad in [
            "",
            "[]",
            "{}",
            "{\"Records\": null}",
            "{\"Records\": [],}",
            "{\"Records\": []} x",
            "{\"Records\": [], \"Records\": []}",
            "{\"Records\": [{}]}",
            "{\"Records\": [{\"kinesis\": {\"sequenceNumber\": \"12ab\"}}]}",
            "{\"Records\": [{\"kinesis\": {\"sequenceNumber\": \"1\", \"data\": 01}}]}",
            "{\"Records\": [{\"kinesis\": {\"sequenceNumber\": \"1\", \"data\": 1e999}}]}",
            "{\"Records\": [{\"kinesis\": {\"sequenceNumber\": \"1\", \"data\": \"a\nb\"}}]}",
            "{\"Records\": [{\"kinesis\": {\"sequenceNumber\": \"1\"}, \"eventID\": 5}]}",
        ] {
            assert!(read_plain_event(bad).is_none(), "{bad}");
            assert!(serde_json::from_str::<KinesisBatch>(bad).is_err(), "{bad}");
        }
    }

    /// A compact event as the ESM writes it, `count` records of one shard
    /// whose changing values vary in length and form.
    fn compact_event(count: usize) -> String {
        let records: Vec<serde_json::Value> = (0..count)
            .map(|i| {
                let sequence_number =
                    format!("4965695925209453244739117821838627129840653243{i:010}");
                let data = ["QUJD", "", "eyJhIjoxfQ==", "QQ=="][i % 4];
                let arrival = match i % 3 {
                    0 => serde_json::json!(1_795_428_897.512 + i as f64),
                    1 => serde_json::json!(1_795_428_897 + i),
                    _ => serde_json::json!(1.795_428_897_123_456_7e9),
                };
                serde_json::json!({
                    "kinesis": {
                        "kinesisSchemaVersion": "1.0",
                        "partitionKey": "key-".repeat(1 + i % 3) + &i.to_string(),
                        "sequenceNumber": sequence_number,
                        "data": data,
                        "approximateArrivalTimestamp": arrival,
                    },
                    "eventSource": "aws:kinesis",
                    "eventVersion": "1.0",
                    "eventID": format!("shardId-000000000000:{sequence_number}"),
                    "eventName": "aws:kinesis:record",
                    "invokeIdentityArn": "arn:aws:iam::123456789012:role/processor",
                    "awsRegion": "us-east-1",
                    "eventSourceARN": "arn:aws:kinesis:us-east-1:123456789012:stream/demo"
                })
            })
            .collect();
        serde_json::json!({ "Records": records }).to_string()
    }

    /// A compact event is read record after record against the template
    /// of the one before; records that break it (another field, another
    /// type, another stream, a field missing) are read by the scanner, and
    /// the batch is serde_json's.
    #[test]
    fn reads_compact_events_of_many_records_as_serde_json_does() {
        let plain = compact_event(300);
        assert!(!has_escape_or_control(plain.as_bytes()));
        assert!(agrees(&plain));
        let mut event: serde_json::Value = serde_json::from_str(&plain).expect("json");
        event["Records"][10]["extra"] = serde_json::json!({"nested": [1, "x"]});
        event["Records"][11]["kinesis"]["partitionKey"] = serde_json::json!(7);
        event["Records"][12]["kinesis"]["data"] = serde_json::json!(null);
        event["Records"][13]["eventSourceARN"] = serde_json::json!("arn:other");
        event["Records"][14]["kinesis"]["approximateArrivalTimestamp"] = serde_json::json!("soon");
        let record = event["Records"][15].as_object_mut().expect("record");
        record.remove("eventID");
        let record = event["Records"][16].as_object_mut().expect("record");
        let kinesis = record.remove("kinesis").expect("kinesis");
        record.insert("kinesis".to_owned(), kinesis);
        let broken = event.to_string();
        assert!(agrees(&broken));
        for arn in [serde_json::Value::Null, serde_json::json!("absent")] {
            let mut event: serde_json::Value = serde_json::from_str(&plain).expect("json");
            for record in event["Records"].as_array_mut().expect("records") {
                let record = record.as_object_mut().expect("record");
                match &arn {
                    serde_json::Value::Null => record.insert("eventSourceARN".into(), arn.clone()),
                    _ => record.remove("eventSourceARN"),
                };
            }
            assert!(agrees(&event.to_string()));
        }
        let batch = read_plain_event(&broken).expect("plain");
        assert_eq!(batch.len(), 300);
    }

    /// Thousands of one-byte changes to a real event: whatever the plain
    /// reader reads, serde_json reads to the same batch (the rest it leaves
    /// to serde_json). Pretty text is read by the scanner alone, compact
    /// text mostly through templates.
    #[test]
    fn agrees_with_serde_json_on_mutated_events() {
        const SIGNIFICANT: &[u8] = b"{}[]\",:\\ 0-.eE+tn\x01aQ=";
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move |bound: usize| {
            // xorshift64*: deterministic, no dependency.
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % bound
        };
        let compact = compact_event(12);
        let (mut read, mut left) = (0, 0);
        for round in 0..6_000 {
            let base = if round % 3 == 0 { VALID } else { &compact };
            let mut bytes = base.as_bytes().to_vec();
            for _ in 0..1 + next(3) {
                let at = next(bytes.len());
                let byte = SIGNIFICANT[next(SIGNIFICANT.len())];
                match next(3) {
                    0 => bytes[at] = byte,
                    1 => bytes.insert(at, byte),
                    _ => {
                        bytes.remove(at);
                    }
                }
            }
            let Ok(text) = String::from_utf8(bytes) else {
                continue;
            };
            if agrees(&text) {
                read += 1;
            } else {
                left += 1;
            }
        }
        assert!(read > 100 && left > 100, "read {read}, left {left}");
    }

    /// Compact text without escapes is read by the quote search, pretty
    /// text (newlines are control characters) by the per-string scan: the
    /// same batch either way.
    #[test]
    fn reads_compact_and_pretty_text_alike() {
        let event: serde_json::Value = serde_json::from_str(VALID).expect("json");
        let compact = event.to_string();
        let pretty = serde_json::to_string_pretty(&event).expect("json");
        assert!(!has_escape_or_control(compact.as_bytes()));
        assert!(has_escape_or_control(pretty.as_bytes()));
        assert!(has_escape_or_control(b"a\\b"));
        let read = |text: &str| contents(&read_plain_event(text).expect("plain"));
        assert_eq!(read(&compact), read(&pretty));
        assert!(agrees(&compact));
    }

    /// The string scan stops at the first quote, and gives up at an escape
    /// or a control character, wherever it sits in an eight-byte word.
    #[test]
    fn finds_the_end_of_a_plain_string() {
        for at in 0..20 {
            let mut text = vec![b'a'; 24];
            text[at] = b'"';
            assert_eq!(plain_string_len(&text), Some(at));
            for stop in [b'\\', b'\n', 0x1f, 0] {
                text[at] = stop;
                text[at + 1] = b'"';
                assert_eq!(plain_string_len(&text), None, "{stop} at {at}");
                text[at + 1] = b'a';
            }
        }
        assert_eq!(plain_string_len("é ü\"".as_bytes()), Some(5));
        assert_eq!(plain_string_len(b"no end"), None);
    }
}
