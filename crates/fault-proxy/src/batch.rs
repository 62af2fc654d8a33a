//! SQS `SendMessageBatch` bodies taken apart and put back: entries left out
//! of the request and answered as `Failed`, and the two sabotage acts.

use serde_json::{Value, json};

/// A request with some entries left out.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    /// The request to forward, `None` when every entry was left out (SQS
    /// refuses an empty batch, so nothing is sent).
    pub forwarded: Option<Vec<u8>>,
    /// The ids of the entries left out.
    pub left_out: Vec<String>,
}

fn entries(request: &mut Value) -> Option<&mut Vec<Value>> {
    request.get_mut("Entries")?.as_array_mut()
}

/// Leaves out the entries at `positions` (out-of-range ones are ignored).
/// `None` when the body is not a batch request with entries.
pub fn leave_out(body: &[u8], positions: &[usize]) -> Option<Split> {
    let mut request: Value = serde_json::from_slice(body).ok()?;
    let list = entries(&mut request)?;
    if list.is_empty() {
        return None;
    }
    let mut kept = Vec::new();
    let mut left_out = Vec::new();
    for (position, entry) in std::mem::take(list).into_iter().enumerate() {
        if positions.contains(&position) {
            left_out.push(entry.get("Id").and_then(Value::as_str)?.to_owned());
        } else {
            kept.push(entry);
        }
    }
    let forwarded = if kept.is_empty() {
        None
    } else {
        *list = kept;
        Some(request.to_string().into_bytes())
    };
    Some(Split {
        forwarded,
        left_out,
    })
}

/// Entry count of a batch request body.
pub fn entry_count(body: &[u8]) -> usize {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|mut request| entries(&mut request).map(|list| list.len()))
        .unwrap_or(0)
}

/// The service's answer with `failed` added as `Failed` entries (on the
/// queue's side, so a sender retries them) and `succeeded` added as
/// `Successful` ones. `None` when `answer` is not a batch answer.
pub fn amend_answer(answer: &[u8], failed: &[String], succeeded: &[String]) -> Option<Vec<u8>> {
    let mut answer: Value = if answer.is_empty() {
        json!({})
    } else {
        serde_json::from_slice(answer).ok()?
    };
    let object = answer.as_object_mut()?;
    let failed_list = object.entry("Failed").or_insert_with(|| json!([]));
    let failed_list = failed_list.as_array_mut()?;
    for id in failed {
        failed_list.push(json!({
            "Id": id,
            "SenderFault": false,
            "Code": "InternalError",
            "Message": "The request processing has failed because of an unknown error, exception or failure.",
        }));
    }
    let successful = object.entry("Successful").or_insert_with(|| json!([]));
    let successful = successful.as_array_mut()?;
    for id in succeeded {
        successful.push(json!({
            "Id": id,
            "MessageId": "00000000-0000-0000-0000-000000000000",
            "MD5OfMessageBody": "00000000000000000000000000000000",
        }));
    }
    Some(answer.to_string().into_bytes())
}

/// The answer SQS gives when it failed every entry of a batch.
pub fn all_failed_answer(failed: &[String]) -> Vec<u8> {
    amend_answer(b"{}", failed, &[]).unwrap_or_default()
}

/// Changes the first base64 character of the first record's `data` in the
/// first entry that has one, so the record's bytes differ while the body
/// stays valid JSON and valid base64. `None` when no entry has record data.
pub fn corrupt_one_byte(body: &[u8]) -> Option<Vec<u8>> {
    const MARK: &str = "\"data\":\"";
    let mut request: Value = serde_json::from_slice(body).ok()?;
    for entry in entries(&mut request)? {
        let Some(Value::String(message)) = entry.get_mut("MessageBody") else {
            continue;
        };
        let Some(at) = message.find(MARK).map(|at| at + MARK.len()) else {
            continue;
        };
        let replacement = match message.as_bytes().get(at) {
            Some(b'A') => "B",
            Some(c) if c.is_ascii_alphanumeric() || *c == b'+' || *c == b'/' => "A",
            _ => continue,
        };
        message.replace_range(at..at + 1, replacement);
        return Some(request.to_string().into_bytes());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(ids: &[&str]) -> Vec<u8> {
        let entries: Vec<Value> = ids
            .iter()
            .map(|id| json!({"Id": id, "MessageBody": format!("{{\"data\":\"QUJD{id}\"}}")}))
            .collect();
        json!({"QueueUrl": "http://127.0.0.1/q", "Entries": entries})
            .to_string()
            .into_bytes()
    }

    fn ids(body: &[u8], list: &str) -> Vec<String> {
        let value: Value = serde_json::from_slice(body).expect("JSON");
        value[list]
            .as_array()
            .expect("list")
            .iter()
            .map(|entry| entry["Id"].as_str().expect("Id").to_owned())
            .collect()
    }

    /// The service sees only the entries kept; the ids left out are known
    /// so the answer can name them `Failed`.
    #[test]
    fn leaves_entries_out_of_the_forwarded_request() {
        let split = leave_out(&request(&["0", "1", "2"]), &[1]).expect("split");
        assert_eq!(split.left_out, ["1"]);
        assert_eq!(
            ids(&split.forwarded.expect("forwarded"), "Entries"),
            ["0", "2"]
        );
    }

    /// Leaving out every entry forwards nothing: SQS refuses empty batches.
    #[test]
    fn forwards_nothing_when_every_entry_is_left_out() {
        let split = leave_out(&request(&["0", "1"]), &[0, 1]).expect("split");
        assert_eq!(split.forwarded, None);
        assert_eq!(
            ids(&all_failed_answer(&split.left_out), "Failed"),
            ["0", "1"]
        );
    }

    /// The amended answer keeps what the service said and adds the rest.
    #[test]
    fn adds_failed_and_successful_entries_to_the_answer() {
        let answer = br#"{"Successful":[{"Id":"0","MessageId":"m","MD5OfMessageBody":"x"}]}"#;
        let amended = amend_answer(answer, &["1".to_owned()], &["2".to_owned()]).expect("amended");
        assert_eq!(ids(&amended, "Successful"), ["0", "2"]);
        assert_eq!(ids(&amended, "Failed"), ["1"]);
    }

    /// The corruption changes exactly one character of record data.
    #[test]
    fn corrupts_one_character_of_record_data() {
        let original = request(&["0"]);
        let corrupted = corrupt_one_byte(&original).expect("corrupted");
        let body = |raw: &[u8]| {
            let value: Value = serde_json::from_slice(raw).expect("JSON");
            value["Entries"][0]["MessageBody"]
                .as_str()
                .expect("body")
                .to_owned()
        };
        assert_eq!(body(&original), r#"{"data":"QUJD0"}"#);
        assert_eq!(body(&corrupted), r#"{"data":"AUJD0"}"#);
    }
}
