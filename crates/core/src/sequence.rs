//! Kinesis and DynamoDB Streams sequence numbers.
//!
//! A sequence number is a decimal string of up to ~56 digits: larger than a
//! `u128`, and wrong when compared as plain text ("9" > "10") or through a
//! float. [`SequenceNumber`] keeps the exact digits and orders numerically.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use smallstr::SmallString;

/// A stream sequence number: a non-empty string of ASCII digits, ordered by
/// numeric value. The original text (leading zeros included) is kept so that
/// it can be handed back to AWS exactly as it was received.
#[derive(Clone, Debug, Eq)]
pub struct SequenceNumber(Digits);

/// The digits, held inline up to the 56 Kinesis writes (DynamoDB Streams
/// writes fewer), so that reading a 10,000-record event does not allocate a
/// string per record; longer ones (the APIs accept up to 129 digits) are
/// kept on the heap.
type Digits = SmallString<[u8; 56]>;

/// Why a string is not a sequence number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SequenceNumberError {
    #[error("sequence number is empty")]
    Empty,
    #[error("sequence number {0:?} is not a decimal number (digits 0-9 only)")]
    NotDecimal(String),
}

impl SequenceNumber {
    /// Parses a decimal sequence number, rejecting anything that is not digits.
    pub fn parse(text: &str) -> Result<Self, SequenceNumberError> {
        if text.is_empty() {
            return Err(SequenceNumberError::Empty);
        }
        // A fold, not `all`: without the early exit the compiler checks
        // many digits at once (once per record of a 10,000-record event).
        if !text
            .bytes()
            .fold(true, |digits, b| digits & b.is_ascii_digit())
        {
            return Err(SequenceNumberError::NotDecimal(text.to_owned()));
        }
        Ok(Self(Digits::from_str(text)))
    }

    /// The digits exactly as received.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The digits without leading zeros ("0" stays "0"): the canonical form
    /// used for ordering and equality. Bytes, not `str::trim_start_matches`,
    /// which walks characters: an event's order is checked with one
    /// comparison per record.
    fn significant(&self) -> &[u8] {
        let digits = self.0.as_bytes();
        match digits.iter().position(|&digit| digit != b'0') {
            Some(first) => &digits[first..],
            None => b"0",
        }
    }
}

impl Ord for SequenceNumber {
    /// Numeric order: the longer significant part is larger; equal lengths
    /// compare digit by digit, which for ASCII digits is byte order.
    fn cmp(&self, other: &Self) -> Ordering {
        let (a, b) = (self.significant(), other.significant());
        a.len().cmp(&b.len()).then_with(|| a.cmp(b))
    }
}

impl PartialOrd for SequenceNumber {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for SequenceNumber {
    fn eq(&self, other: &Self) -> bool {
        self.significant() == other.significant()
    }
}

impl std::hash::Hash for SequenceNumber {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.significant().hash(state);
    }
}

impl fmt::Display for SequenceNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for SequenceNumber {
    type Err = SequenceNumberError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl Serialize for SequenceNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for SequenceNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seq(text: &str) -> SequenceNumber {
        SequenceNumber::parse(text).expect("valid sequence number")
    }

    /// Two real 56-digit Kinesis sequence numbers from one shard.
    const LOWER: &str = "49590338271490256608559692538361571095921575989136588898";
    const HIGHER: &str = "49590338271490256608559692540925702759324208523137515618";

    /// Numbers longer than the 56 digits held inline keep every digit and
    /// their order.
    #[test]
    fn keeps_numbers_longer_than_kinesis_writes() {
        let long = "1".repeat(129);
        let longer = format!("2{}", "0".repeat(128));
        assert_eq!(seq(&long).as_str(), long);
        assert!(seq(&long) < seq(&longer));
        assert_eq!(seq(&format!("000{long}")), seq(&long));
    }

    #[test]
    fn orders_56_digit_numbers_numerically() {
        assert!(seq(LOWER) < seq(HIGHER));
        assert!(seq(HIGHER) > seq(LOWER));
    }

    #[test]
    fn orders_by_length_before_digits_unlike_plain_strings() {
        assert!(seq("9") < seq("10"));
        assert!(
            "9" > "10",
            "plain string order is the trap this type avoids"
        );
    }

    #[test]
    fn ignores_leading_zeros_when_comparing() {
        assert_eq!(seq("00042"), seq("42"));
        assert!(seq("0009") < seq("10"));
        assert_eq!(seq("000"), seq("0"));
    }

    #[test]
    fn keeps_the_original_digits_verbatim() {
        assert_eq!(seq("00042").as_str(), "00042");
        assert_eq!(seq(LOWER).to_string(), LOWER);
    }

    #[test]
    fn distinguishes_numbers_that_differ_beyond_u128_precision() {
        let a = format!("{}1", "9".repeat(55));
        let b = format!("{}2", "9".repeat(55));
        assert!(seq(&a) < seq(&b));
        assert_ne!(seq(&a), seq(&b));
    }

    #[test]
    fn rejects_empty_and_non_digit_text() {
        assert_eq!(SequenceNumber::parse(""), Err(SequenceNumberError::Empty));
        for bad in ["-1", "1.5", "1e10", " 42", "42 ", "٤٢", "0x1f"] {
            assert!(
                matches!(
                    SequenceNumber::parse(bad),
                    Err(SequenceNumberError::NotDecimal(_))
                ),
                "{bad:?} must be rejected"
            );
        }
    }

    #[test]
    fn round_trips_through_json_as_a_string() {
        let parsed: SequenceNumber = serde_json::from_str(&format!("\"{LOWER}\"")).expect("json");
        assert_eq!(
            serde_json::to_string(&parsed).expect("json"),
            format!("\"{LOWER}\"")
        );
        assert!(serde_json::from_str::<SequenceNumber>("\"12a\"").is_err());
        assert!(serde_json::from_str::<SequenceNumber>("12").is_err());
    }
}
