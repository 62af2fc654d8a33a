//! Generated records for `put-records --count`: periodic-table elements,
//! the demo processor's schema, with an optional poison pill; or random
//! binary payloads.

use std::fmt::Write as _;

use crate::put::PutEntry;

/// The partition key of the demo's records (`events/test-records-*.json`).
pub const DEMO_PARTITION_KEY: &str = "periodic-table";

/// The first elements: number, name, symbol and atomic mass as written.
const ELEMENTS: [(u32, &str, &str, &str); 20] = [
    (1, "Hydrogen", "H", "1.008"),
    (2, "Helium", "He", "4.0026"),
    (3, "Lithium", "Li", "6.94"),
    (4, "Beryllium", "Be", "9.0122"),
    (5, "Boron", "B", "10.811"),
    (6, "Carbon", "C", "12.011"),
    (7, "Nitrogen", "N", "14.007"),
    (8, "Oxygen", "O", "15.999"),
    (9, "Fluorine", "F", "18.998"),
    (10, "Neon", "Ne", "20.180"),
    (11, "Sodium", "Na", "22.990"),
    (12, "Magnesium", "Mg", "24.305"),
    (13, "Aluminium", "Al", "26.982"),
    (14, "Silicon", "Si", "28.085"),
    (15, "Phosphorus", "P", "30.974"),
    (16, "Sulfur", "S", "32.06"),
    (17, "Chlorine", "Cl", "35.45"),
    (18, "Argon", "Ar", "39.948"),
    (19, "Potassium", "K", "39.098"),
    (20, "Calcium", "Ca", "40.078"),
];

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generate {
    pub count: usize,
    /// Pad each record to at least this many bytes (elements get a
    /// `"Padding"` field, which the processor ignores).
    pub size: Option<usize>,
    /// The record (from 1) whose `AtomicMass` is sent as a string: the
    /// producer bug that strict processors treat as poison.
    pub poison_pill: Option<usize>,
    /// Random bytes instead of elements.
    pub binary: bool,
    /// Records are spread round robin over this many partition keys.
    pub partition_keys: usize,
}

/// Binary records are this long unless `size` says otherwise.
pub const DEFAULT_BINARY_SIZE: usize = 32;

/// The records, in order.
pub fn generate(spec: &Generate) -> Vec<PutEntry> {
    let mut rng = fastrand::Rng::new();
    (1..=spec.count)
        .map(|n| {
            let key = if spec.partition_keys > 1 {
                format!("{DEMO_PARTITION_KEY}-{}", (n - 1) % spec.partition_keys)
            } else {
                DEMO_PARTITION_KEY.to_owned()
            };
            let data = if spec.binary {
                binary(&mut rng, spec.size.unwrap_or(DEFAULT_BINARY_SIZE))
            } else {
                element(n, spec.poison_pill == Some(n), spec.size)
            };
            PutEntry::new(key, data)
        })
        .collect()
}

/// The smallest `size` that pads every generated element: a record is
/// never cut, so a smaller size would be ignored. `None` for binary
/// records, which take any size.
pub fn smallest_size(spec: &Generate) -> Option<usize> {
    if spec.binary {
        return None;
    }
    (1..=spec.count.min(ELEMENTS.len()))
        .chain(spec.poison_pill)
        .map(|n| element(n, spec.poison_pill == Some(n), None).len())
        .max()
}

/// Element `n` (from 1, cycling through the first twenty): number, name,
/// symbol and atomic mass as written.
pub(crate) fn element_fields(n: usize) -> (u32, &'static str, &'static str, &'static str) {
    ELEMENTS[(n.max(1) - 1) % ELEMENTS.len()]
}

/// Record `n` (from 1) as element JSON.
fn element(n: usize, poison: bool, size: Option<usize>) -> Vec<u8> {
    let (number, name, symbol, mass) = ELEMENTS[(n - 1) % ELEMENTS.len()];
    let mass = if poison {
        format!("\"{mass}\"")
    } else {
        mass.to_owned()
    };
    let mut json = format!(
        "{{\"AtomicNumber\":{number},\"Element\":\"{name}\",\"Symbol\":\"{symbol}\",\"AtomicMass\":{mass}"
    );
    const PADDING: &str = ",\"Padding\":\"\"";
    if let Some(size) = size {
        let missing = size.saturating_sub(json.len() + PADDING.len() + 1);
        if missing > 0 {
            let _ = write!(json, ",\"Padding\":\"{}\"", "x".repeat(missing));
        }
    }
    json.push('}');
    json.into_bytes()
}

/// Random bytes starting with 0xFF, a byte no UTF-8 text has, so that every
/// binary record really is binary.
fn binary(rng: &mut fastrand::Rng, size: usize) -> Vec<u8> {
    let mut data: Vec<u8> = (0..size).map(|_| rng.u8(..)).collect();
    if let Some(first) = data.first_mut() {
        *first = 0xff;
    }
    data
}

#[cfg(test)]
mod tests {
    use processor::{Element, SchemaMode};

    use super::*;

    fn spec(count: usize) -> Generate {
        Generate {
            count,
            size: None,
            poison_pill: None,
            binary: false,
            partition_keys: 1,
        }
    }

    /// Generated elements are valid for the strict processor, except the
    /// poison pill, which only the lenient one reads.
    #[test]
    fn generates_elements_with_one_poison_pill() {
        let records = generate(&Generate {
            poison_pill: Some(3),
            ..spec(25)
        });
        assert_eq!(records.len(), 25);
        for (n, record) in records.iter().enumerate() {
            let strict = Element::from_bytes(&record.data, SchemaMode::Strict);
            assert_eq!(strict.is_ok(), n != 2, "record {}", n + 1);
            Element::from_bytes(&record.data, SchemaMode::Lenient).expect("lenient reads all");
        }
        assert_eq!(
            records[2].data,
            br#"{"AtomicNumber":3,"Element":"Lithium","Symbol":"Li","AtomicMass":"6.94"}"#
        );
        assert_eq!(records[20].partition_key, DEMO_PARTITION_KEY);
    }

    /// Padding brings elements to the asked size and keeps them valid.
    #[test]
    fn pads_elements_to_a_size() {
        let records = generate(&Generate {
            size: Some(1_000),
            partition_keys: 4,
            ..spec(5)
        });
        for record in &records {
            assert_eq!(record.data.len(), 1_000);
            Element::from_bytes(&record.data, SchemaMode::Strict).expect("still an element");
        }
        assert_eq!(records[4].partition_key, "periodic-table-0");
        assert_eq!(records[1].partition_key, "periodic-table-1");
    }

    /// The smallest size is the longest unpadded element, pill included.
    #[test]
    fn knows_the_smallest_size_that_pads() {
        let records = generate(&spec(20));
        let (n, longest) = records
            .iter()
            .enumerate()
            .map(|(n, record)| (n + 1, record.data.len()))
            .max_by_key(|(_, len)| *len)
            .expect("records");
        assert_eq!(smallest_size(&spec(20)), Some(longest));
        let with_pill = Generate {
            poison_pill: Some(n),
            ..spec(20)
        };
        assert_eq!(smallest_size(&with_pill), Some(longest + 2), "quotes");
        let binary = Generate {
            binary: true,
            ..spec(3)
        };
        assert_eq!(smallest_size(&binary), None);
    }

    /// Binary records have the asked size and are never UTF-8.
    #[test]
    fn generates_binary_records() {
        let records = generate(&Generate {
            binary: true,
            size: Some(100),
            ..spec(10)
        });
        for record in &records {
            assert_eq!(record.data.len(), 100);
            assert!(std::str::from_utf8(&record.data).is_err());
        }
    }
}
