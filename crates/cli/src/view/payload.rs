//! Record payloads for people: JSON or text when the bytes are that, base64
//! otherwise. Scripts get the exact bytes (base64) from `--json` output.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// What a record's bytes look like.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload<'a> {
    /// Valid JSON (an object, array, number, string, …).
    Json(serde_json::Value),
    /// Valid UTF-8 that is not JSON.
    Text(&'a str),
    /// Anything else.
    Binary(&'a [u8]),
}

impl<'a> Payload<'a> {
    pub fn of(data: &'a [u8]) -> Self {
        match std::str::from_utf8(data) {
            Ok(text) => match serde_json::from_str(text) {
                Ok(value) => Self::Json(value),
                Err(_) => Self::Text(text),
            },
            Err(_) => Self::Binary(data),
        }
    }

    /// `json …`, `text "…"` or `base64 …` on one line, cut after about
    /// `max_chars` characters (`None`: never).
    pub fn line(&self, max_chars: Option<usize>) -> String {
        let (kind, shown) = match self {
            Self::Json(value) => ("json", value.to_string()),
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

    /// Long payloads are cut for people, with a hint how to see them whole.
    #[test]
    fn cuts_long_payloads() {
        let line = Payload::of(&[b'a'; 500]).line(Some(10));
        assert_eq!(line, "text \"aaaaaaaaa… (cut; --full shows all)");
    }
}
