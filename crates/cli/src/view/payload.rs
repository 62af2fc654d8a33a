//! Record payloads for people: JSON or text when the bytes are that, base64
//! otherwise. Scripts get the exact bytes (base64) from `--json` output.
//!
//! JSON is shown as sent: only the whitespace between tokens is dropped, so
//! numbers keep their text (`20.180` stays `20.180`, never `20.18`), keys
//! their order and strings their escapes. Parsing into a value and printing
//! it again would show something the producer never sent.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;

/// What a record's bytes look like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload<'a> {
    /// Valid JSON (an object, array, number, string, …), as sent.
    Json(&'a str),
    /// Valid UTF-8 that is not JSON.
    Text(&'a str),
    /// Anything else.
    Binary(&'a [u8]),
}

impl<'a> Payload<'a> {
    pub fn of(data: &'a [u8]) -> Self {
        match std::str::from_utf8(data) {
            Ok(text) => match serde_json::from_str::<IgnoredAny>(text) {
                Ok(_) => Self::Json(text),
                Err(_) => Self::Text(text),
            },
            Err(_) => Self::Binary(data),
        }
    }

    /// The JSON as sent, on one line, to embed in a JSON document; `None`
    /// unless the payload is JSON.
    pub fn raw_json(&self) -> Option<Box<RawValue>> {
        match self {
            Self::Json(text) => RawValue::from_string(compact(text)).ok(),
            _ => None,
        }
    }

    /// `json …`, `text "…"` or `base64 …` on one line, cut after about
    /// `max_chars` characters (`None`: never).
    pub fn line(&self, max_chars: Option<usize>) -> String {
        let (kind, shown) = match self {
            Self::Json(text) => ("json", compact(text)),
            Self::Text(text) => ("text", format!("{text:?}")),
            Self::Binary(data) => ("base64", STANDARD.encode(data)),
        };
        match max_chars {
            Some(max) if shown.chars().count() > max => {
                let cut: String = shown.chars().take(max).collect();
                format!("{kind} {cut}… (cut; --full shows all)")
            }
            _ => format!("{kind} {shown}"),
        }
    }
}

/// Valid JSON text without the whitespace between tokens; everything else
/// (numbers, strings with their escapes, key order) exactly as given.
pub fn compact(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in json.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !matches!(c, ' ' | '\t' | '\n' | '\r') {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// JSON, text and bytes are each told apart and shown on one line.
    #[test]
    fn shows_json_text_or_base64() {
        assert_eq!(
            Payload::of(br#"{"Symbol": "B"}"#).line(None),
            r#"json {"Symbol":"B"}"#
        );
        assert_eq!(
            Payload::of(b"two\nlines").line(None),
            r#"text "two\nlines""#
        );
        assert_eq!(Payload::of(&[0, 255, 16]).line(None), "base64 AP8Q");
    }

    /// Numbers keep their text, strings their spaces and escapes, keys
    /// their order: what is shown is what was sent.
    #[test]
    fn shows_json_numbers_and_strings_as_sent() {
        let sent =
            "{\"Name\": \"Ca lcium \\\" x\",\n \"AtomicMass\": 20.180, \"Big\": 1e400, \"A\": 1}";
        let payload = Payload::of(sent.as_bytes());
        assert_eq!(
            payload.line(None),
            r#"json {"Name":"Ca lcium \" x","AtomicMass":20.180,"Big":1e400,"A":1}"#
        );
        assert_eq!(
            payload.raw_json().expect("JSON").get(),
            r#"{"Name":"Ca lcium \" x","AtomicMass":20.180,"Big":1e400,"A":1}"#
        );
    }

    /// Long payloads are cut for people, with a hint how to see them whole.
    #[test]
    fn cuts_long_payloads() {
        let line = Payload::of(&[b'a'; 500]).line(Some(10));
        assert_eq!(line, "text \"aaaaaaaaa… (cut; --full shows all)");
    }
}
