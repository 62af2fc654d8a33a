//! The harness's own DLQ reader: decodes the raw message bodies
//! independently of `streamdlq_core::assemble` (as `scripts/lib/local_aws.py`
//! does) and compares every failure with what was put into the stream.
//!
//! A failure counts as delivered when one id carries it whole: every part
//! from 0 to `count - 1`, status `complete`, the OnFailure record as sent,
//! and every record with its sequence number, partition key and exact
//! bytes. Copies of a part are allowed only when identical.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

/// The schema of every DLQ message.
const SCHEMA: &str = "streamdlq/hydrated-failure/v1";

/// A record as it was put into the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub sequence_number: String,
    pub partition_key: String,
    pub data: Vec<u8>,
}

/// A failure the DLQ must hold.
#[derive(Debug, Clone)]
pub struct Expected {
    /// `requestContext.requestId` of its OnFailure record, unique per failure.
    pub request_id: String,
    /// The OnFailure record as sent.
    pub message: String,
    pub records: Vec<Record>,
}

/// What the reader found.
#[derive(Debug, Default)]
pub struct Verdict {
    pub failures: usize,
    pub delivered: usize,
    pub records: usize,
    /// Failures not in the DLQ whole, with why.
    pub lost: BTreeMap<String, String>,
    /// Failures in the DLQ but not as sent, with how they differ.
    pub altered: BTreeMap<String, String>,
    pub messages: usize,
    /// Identical copies of a part (retried writes).
    pub duplicates: usize,
    /// Messages that are not schema v1 JSON.
    pub foreign: usize,
}

#[derive(Debug, Default)]
struct Group {
    parts: BTreeMap<u64, Value>,
    counts: BTreeSet<u64>,
    conflict: bool,
}

/// Reads `bodies` and judges each of `expected`.
pub fn check(bodies: &[String], expected: &[Expected]) -> Verdict {
    let mut verdict = Verdict {
        failures: expected.len(),
        messages: bodies.len(),
        ..Verdict::default()
    };
    let mut copies: HashMap<(String, u64), &str> = HashMap::new();
    let mut groups: HashMap<String, Group> = HashMap::new();
    for body in bodies {
        let Ok(message) = serde_json::from_str::<Value>(body) else {
            verdict.foreign += 1;
            continue;
        };
        let (Some(SCHEMA), Some(id), Some(index), Some(count)) = (
            message["schema"].as_str(),
            message["id"].as_str(),
            message["part"]["index"].as_u64(),
            message["part"]["count"].as_u64(),
        ) else {
            verdict.foreign += 1;
            continue;
        };
        let group = groups.entry(id.to_owned()).or_default();
        group.counts.insert(count);
        match copies.get(&(id.to_owned(), index)) {
            Some(seen) if *seen == body.as_str() => verdict.duplicates += 1,
            Some(_) => group.conflict = true,
            None => {
                copies.insert((id.to_owned(), index), body);
                group.parts.insert(index, message);
            }
        }
    }

    for failure in expected {
        let holding: Vec<&Group> = groups
            .values()
            .filter(|group| {
                group.parts.values().any(|part| {
                    part["failure"]["requestContext"]["requestId"].as_str()
                        == Some(failure.request_id.as_str())
                })
            })
            .collect();
        let judged = match holding.as_slice() {
            [] => Err(Judged::Lost("not in the DLQ".to_owned())),
            [group] => judge(group, failure),
            _ => Err(Judged::Altered("under several ids".to_owned())),
        };
        match judged {
            Ok(()) => {
                verdict.delivered += 1;
                verdict.records += failure.records.len();
            }
            Err(Judged::Lost(why)) => {
                verdict.lost.insert(failure.request_id.clone(), why);
            }
            Err(Judged::Altered(why)) => {
                verdict.altered.insert(failure.request_id.clone(), why);
            }
        }
    }
    verdict
}

enum Judged {
    Lost(String),
    Altered(String),
}

fn judge(group: &Group, failure: &Expected) -> Result<(), Judged> {
    let altered = |why: String| Err(Judged::Altered(why));
    if group.conflict {
        return altered("two copies of one part differ".to_owned());
    }
    let [count] = group.counts.iter().copied().collect::<Vec<_>>()[..] else {
        return altered(format!("parts disagree on the count: {:?}", group.counts));
    };
    let missing: Vec<u64> = (0..count)
        .filter(|index| !group.parts.contains_key(index))
        .collect();
    if !missing.is_empty() {
        return Err(Judged::Lost(format!(
            "parts {missing:?} of {count} missing"
        )));
    }
    let sent: Value = serde_json::from_str(&failure.message).expect("the sent record is JSON");
    let first = &group.parts[&0];
    for (index, part) in &group.parts {
        if part["failure"] != sent {
            return altered(format!("part {index} carries another failure record"));
        }
        if part["hydration"] != first["hydration"] {
            return altered(format!("part {index} disagrees on the hydration"));
        }
    }
    let hydration = &first["hydration"];
    if hydration["status"] != "complete" {
        return Err(Judged::Lost(format!("hydrated as {hydration}")));
    }
    if hydration["found"].as_u64() != Some(failure.records.len() as u64) {
        return altered(format!(
            "found {} of {} records",
            hydration["found"],
            failure.records.len()
        ));
    }
    let records = join(group).map_err(Judged::Altered)?;
    if records.len() != failure.records.len() {
        return altered(format!(
            "{} records read back, {} put",
            records.len(),
            failure.records.len()
        ));
    }
    for (n, (read, put)) in records.iter().zip(&failure.records).enumerate() {
        if read != put {
            return altered(format!(
                "record {n} ({}) differs from what was put",
                put.sequence_number
            ));
        }
    }
    Ok(())
}

/// The records of all parts in order, fragments joined and data decoded.
fn join(group: &Group) -> Result<Vec<Record>, String> {
    let mut records: Vec<Record> = Vec::new();
    let mut open_fragment: Option<(u64, u64)> = None; // (next index, count)
    for (index, part) in &group.parts {
        let entries = part["records"]
            .as_array()
            .ok_or_else(|| format!("part {index} has no records array"))?;
        for entry in entries {
            let (Some(sequence_number), Some(partition_key), Some(data)) = (
                entry["sequenceNumber"].as_str(),
                entry["partitionKey"].as_str(),
                entry["data"].as_str(),
            ) else {
                return Err(format!("part {index} has a malformed record entry"));
            };
            let data = STANDARD
                .decode(data)
                .map_err(|error| format!("part {index}: data is not base64: {error}"))?;
            let fragment = entry
                .get("fragment")
                .map(|fragment| (fragment["index"].as_u64(), fragment["count"].as_u64()));
            match (fragment, open_fragment) {
                (None, None) | (Some((Some(0), Some(_))), None) => {
                    records.push(Record {
                        sequence_number: sequence_number.to_owned(),
                        partition_key: partition_key.to_owned(),
                        data,
                    });
                    if let Some((_, Some(count))) = fragment {
                        open_fragment = (count > 1).then_some((1, count));
                    }
                }
                (Some((Some(at), Some(count))), Some((next, expected_count)))
                    if at == next && count == expected_count =>
                {
                    let last = records.last_mut().expect("an open fragment has a record");
                    if last.sequence_number != sequence_number {
                        return Err(format!(
                            "fragment of {sequence_number} follows another record"
                        ));
                    }
                    last.data.extend_from_slice(&data);
                    open_fragment = (at + 1 < count).then_some((at + 1, count));
                }
                _ => {
                    return Err(format!(
                        "part {index}: fragments of {sequence_number} out of order"
                    ));
                }
            }
        }
    }
    match open_fragment {
        Some(_) => Err("the last record's fragments are incomplete".to_owned()),
        None => Ok(records),
    }
}
