//! The PutRecords input file: what `aws kinesis put-records --records
//! file://…` takes, a JSON array of `{"Data": base64, "PartitionKey": …}`
//! (`events/test-records-*.json`).

use std::path::Path;

use anyhow::{Context as _, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;

use crate::put::PutEntry;

/// One entry of the file. `ExplicitHashKey` is refused rather than ignored:
/// it chooses the shard, and dropping it would silently put records
/// elsewhere.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileEntry {
    #[serde(rename = "Data")]
    data: String,
    #[serde(rename = "PartitionKey")]
    partition_key: String,
}

/// Reads a PutRecords input file; `-` reads standard input.
pub fn read_records_file(path: &Path) -> anyhow::Result<Vec<PutEntry>> {
    let text = if path == Path::new("-") {
        std::io::read_to_string(std::io::stdin()).context("cannot read standard input")?
    } else {
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?
    };
    parse_records(&text)
        .with_context(|| format!("{} is not a PutRecords input file", path.display()))
}

/// Parses the JSON text of a PutRecords input file.
pub fn parse_records(text: &str) -> anyhow::Result<Vec<PutEntry>> {
    let entries: Vec<FileEntry> = serde_json::from_str(text)
        .context("expected a JSON array of {\"Data\": base64, \"PartitionKey\": string}")?;
    if entries.is_empty() {
        bail!("the file holds no records");
    }
    entries
        .into_iter()
        .enumerate()
        .map(|(position, entry)| {
            let data = STANDARD
                .decode(entry.data.trim())
                .with_context(|| format!("record {position}: Data is not base64"))?;
            Ok(PutEntry::new(entry.partition_key, data))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const WITH_POISON_PILL: &str =
        include_str!("../../../events/test-records-with-poison-pill.json");

    /// The project's test record file reads as elements with their keys.
    #[test]
    fn reads_the_test_record_files() {
        let entries = parse_records(WITH_POISON_PILL).expect("records");
        assert_eq!(entries.len(), 10);
        assert!(entries.iter().all(|e| e.partition_key == "periodic-table"));
        // The poison pill is in the middle: the processor answers partially
        // at it, then fails the invocation when it heads the retried rest,
        // so that the ESM bisects until it is alone.
        assert_eq!(
            entries[4].data,
            br#"{"AtomicNumber":5,"Element":"Boron","Symbol":"B","AtomicMass":"10.811"}"#
        );
    }

    /// Bad base64 and unknown fields are clear errors naming the record.
    #[test]
    fn refuses_bad_entries() {
        let error = parse_records(r#"[{"Data": "***", "PartitionKey": "k"}]"#).expect_err("base64");
        assert_eq!(error.to_string(), "record 0: Data is not base64");
        assert!(
            parse_records(r#"[{"Data": "AA==", "PartitionKey": "k", "ExplicitHashKey": "1"}]"#)
                .is_err()
        );
        assert!(parse_records("[]").is_err());
    }
}
