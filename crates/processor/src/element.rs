//! [`Element`]: the demo's record, a periodic-table element as JSON, and
//! what makes a record poison.
//!
//! `{"AtomicNumber": 5, "Element": "Boron", "Symbol": "B", "AtomicMass": 10.811}`
//!
//! Types must match: `"AtomicMass": "10.811"` (a string) or
//! `"AtomicNumber": 5.0` (a float) break the schema. Unknown fields are
//! ignored: a producer adding a field is a compatible change, and treating
//! it as poison would stop every shard it writes to.
//!
//! The names are borrowed from the record's bytes where they have no JSON
//! escapes: a 10,000-record batch then reads its elements without
//! allocating.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

use serde::de::value::MapAccessDeserializer;
use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use crate::config::SchemaMode;

/// A periodic-table element.
///
/// Deserialises from a JSON object only: serde's derive would also take a
/// positional array (`[5, "Boron", "B", 10.811]`), which is not the schema.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Element<'a> {
    pub atomic_number: u32,
    pub element: Cow<'a, str>,
    pub symbol: Cow<'a, str>,
    pub atomic_mass: f64,
}

/// Why a record is not an element. Every variant is permanent: the bytes
/// will not change on a retry. Messages name positions, never payload (a
/// serde_json message can quote the offending value, so it is not kept).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ElementError {
    #[error("record is not UTF-8 (valid up to byte {valid_up_to})")]
    NotUtf8 { valid_up_to: usize },
    #[error("record is not JSON (line {line}, column {column})")]
    NotJson { line: usize, column: usize },
    #[error("record does not match the element schema (line {line}, column {column})")]
    Schema { line: usize, column: usize },
    #[error("element is invalid: {0}")]
    Invalid(&'static str),
}

impl<'a> Element<'a> {
    /// Reads a record's bytes as an element under the given schema mode,
    /// borrowing its names from `data`.
    pub fn from_bytes(data: &'a [u8], mode: SchemaMode) -> Result<Self, ElementError> {
        let text = std::str::from_utf8(data).map_err(|error| ElementError::NotUtf8 {
            valid_up_to: error.valid_up_to(),
        })?;
        let element = match mode {
            SchemaMode::Strict => serde_json::from_str::<Element>(text),
            SchemaMode::Lenient => serde_json::from_str::<Lenient>(text).map(|lenient| lenient.0),
        }
        .map_err(|error| ElementError::from_json(&error))?;
        element.validated()
    }

    /// The element with its names copied out of the record's bytes, for a
    /// sink that keeps it past the record.
    #[must_use]
    pub fn into_owned(self) -> Element<'static> {
        Element {
            atomic_number: self.atomic_number,
            element: Cow::Owned(self.element.into_owned()),
            symbol: Cow::Owned(self.symbol.into_owned()),
            atomic_mass: self.atomic_mass,
        }
    }

    /// Checks what the types alone cannot.
    fn validated(self) -> Result<Self, ElementError> {
        if self.atomic_number == 0 {
            return Err(ElementError::Invalid("AtomicNumber must be at least 1"));
        }
        if self.element.trim().is_empty() || self.symbol.trim().is_empty() {
            return Err(ElementError::Invalid(
                "Element and Symbol must not be empty",
            ));
        }
        if !(self.atomic_mass.is_finite() && self.atomic_mass > 0.0) {
            return Err(ElementError::Invalid(
                "AtomicMass must be a positive number",
            ));
        }
        Ok(self)
    }
}

impl ElementError {
    fn from_json(error: &serde_json::Error) -> Self {
        let (line, column) = (error.line(), error.column());
        match error.classify() {
            serde_json::error::Category::Data => Self::Schema { line, column },
            _ => Self::NotJson { line, column },
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Element<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_map(ObjectOnly::<StrictFields<'a>>(PhantomData))
            .map(|fields| Self {
                atomic_number: fields.atomic_number,
                element: fields.element,
                symbol: fields.symbol,
                atomic_mass: fields.atomic_mass,
            })
    }
}

/// An [`Element`] read in [`SchemaMode::Lenient`].
struct Lenient<'a>(Element<'a>);

impl<'de: 'a, 'a> Deserialize<'de> for Lenient<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_map(ObjectOnly::<LenientFields<'a>>(PhantomData))
            .map(|fields| {
                Self(Element {
                    atomic_number: fields.atomic_number,
                    element: fields.element,
                    symbol: fields.symbol,
                    atomic_mass: fields.atomic_mass,
                })
            })
    }
}

/// The element schema, types exactly as documented.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StrictFields<'a> {
    atomic_number: u32,
    #[serde(borrow)]
    element: Cow<'a, str>,
    #[serde(borrow)]
    symbol: Cow<'a, str>,
    atomic_mass: f64,
}

/// The element schema with numbers also accepted as JSON strings.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct LenientFields<'a> {
    #[serde(deserialize_with = "number_or_numeric_string")]
    atomic_number: u32,
    #[serde(borrow)]
    element: Cow<'a, str>,
    #[serde(borrow)]
    symbol: Cow<'a, str>,
    #[serde(deserialize_with = "number_or_numeric_string")]
    atomic_mass: f64,
}

/// Reads `T` from a map (a JSON object) and refuses every other shape.
struct ObjectOnly<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectOnly<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map))
    }
}

/// A JSON number, or a JSON string that holds one (`"10.811"`).
fn number_or_numeric_string<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + FromStr,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum NumberOrString<T> {
        Number(T),
        String(String),
    }
    match NumberOrString::<T>::deserialize(deserializer)? {
        NumberOrString::Number(number) => Ok(number),
        NumberOrString::String(text) => text.trim().parse().map_err(|_| {
            serde::de::Error::custom("string does not hold a number of the right type")
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BORON: &[u8] =
        br#"{"AtomicNumber":5,"Element":"Boron","Symbol":"B","AtomicMass":10.811}"#;
    const POISON_PILL: &[u8] =
        br#"{"AtomicNumber":5,"Element":"Boron","Symbol":"B","AtomicMass":"10.811"}"#;

    fn boron() -> Element<'static> {
        Element {
            atomic_number: 5,
            element: "Boron".into(),
            symbol: "B".into(),
            atomic_mass: 10.811,
        }
    }

    /// A well-formed record is an element in both modes.
    #[test]
    fn reads_a_valid_element() {
        for mode in [SchemaMode::Strict, SchemaMode::Lenient] {
            assert_eq!(Element::from_bytes(BORON, mode), Ok(boron()));
        }
    }

    /// A valid record's names are borrowed from its bytes, not copied.
    #[test]
    fn borrows_the_names_from_the_record() {
        let element = Element::from_bytes(BORON, SchemaMode::Strict).expect("element");
        assert!(matches!(element.element, Cow::Borrowed("Boron")));
        assert!(matches!(element.symbol, Cow::Borrowed("B")));
        let escaped =
            br#"{"AtomicNumber":5,"Element":"Bor\u006fn","Symbol":"B","AtomicMass":10.811}"#;
        let element = Element::from_bytes(escaped, SchemaMode::Lenient).expect("element");
        assert_eq!(element.into_owned(), boron());
    }

    /// The demo's poison pill, a mass sent as a string, breaks the strict
    /// schema and is reported with its position only.
    #[test]
    fn rejects_a_number_sent_as_a_string() {
        let error = Element::from_bytes(POISON_PILL, SchemaMode::Strict).expect_err("poison");
        assert!(matches!(error, ElementError::Schema { line: 1, .. }));
        assert!(!error.to_string().contains("10.811"), "{error}");
    }

    /// Lenient mode is the fix for that producer bug: it reads the string.
    #[test]
    fn lenient_mode_reads_numbers_sent_as_strings() {
        assert_eq!(
            Element::from_bytes(POISON_PILL, SchemaMode::Lenient),
            Ok(boron())
        );
        let number_as_text =
            br#"{"AtomicNumber":"5","Element":"Boron","Symbol":"B","AtomicMass":10.811}"#;
        assert_eq!(
            Element::from_bytes(number_as_text, SchemaMode::Lenient),
            Ok(boron())
        );
    }

    /// Lenient mode still rejects strings that are not numbers.
    #[test]
    fn lenient_mode_rejects_text_that_is_not_a_number() {
        let text = br#"{"AtomicNumber":5,"Element":"Boron","Symbol":"B","AtomicMass":"heavy"}"#;
        assert!(matches!(
            Element::from_bytes(text, SchemaMode::Lenient),
            Err(ElementError::Schema { .. })
        ));
    }

    /// Types must match exactly: no float atomic numbers, no missing fields.
    #[test]
    fn rejects_wrong_types_and_missing_fields() {
        for bad in [
            &br#"{"AtomicNumber":5.0,"Element":"Boron","Symbol":"B","AtomicMass":10.811}"#[..],
            br#"{"AtomicNumber":-5,"Element":"Boron","Symbol":"B","AtomicMass":10.811}"#,
            br#"{"AtomicNumber":5,"Element":"Boron","AtomicMass":10.811}"#,
            br#"{"AtomicNumber":5,"Element":null,"Symbol":"B","AtomicMass":10.811}"#,
            br#"[5,"Boron","B",10.811]"#,
        ] {
            for mode in [SchemaMode::Strict, SchemaMode::Lenient] {
                assert!(
                    matches!(
                        Element::from_bytes(bad, mode),
                        Err(ElementError::Schema { .. })
                    ),
                    "{} must break the schema",
                    String::from_utf8_lossy(bad)
                );
            }
        }
    }

    /// A producer adding a field does not poison the stream.
    #[test]
    fn ignores_unknown_fields() {
        let extended =
            br#"{"AtomicNumber":5,"Element":"Boron","Symbol":"B","AtomicMass":10.811,"Group":13}"#;
        assert_eq!(
            Element::from_bytes(extended, SchemaMode::Strict),
            Ok(boron())
        );
    }

    /// Text that is not JSON, and bytes that are not UTF-8, are poison too.
    #[test]
    fn rejects_non_json_and_non_utf8_records() {
        assert!(matches!(
            Element::from_bytes(b"Boron,B,10.811", SchemaMode::Lenient),
            Err(ElementError::NotJson { .. })
        ));
        assert!(matches!(
            Element::from_bytes(b"", SchemaMode::Strict),
            Err(ElementError::NotJson { .. })
        ));
        assert_eq!(
            Element::from_bytes(b"{\"A\xff", SchemaMode::Lenient),
            Err(ElementError::NotUtf8 { valid_up_to: 3 })
        );
    }

    /// Values the types allow but chemistry does not are rejected.
    #[test]
    fn rejects_impossible_elements() {
        for bad in [
            &br#"{"AtomicNumber":0,"Element":"Boron","Symbol":"B","AtomicMass":10.811}"#[..],
            br#"{"AtomicNumber":5,"Element":"","Symbol":"B","AtomicMass":10.811}"#,
            br#"{"AtomicNumber":5,"Element":"Boron","Symbol":"B","AtomicMass":-1}"#,
        ] {
            assert!(matches!(
                Element::from_bytes(bad, SchemaMode::Strict),
                Err(ElementError::Invalid(_))
            ));
        }
    }
}
