//! [`PutEntry`], one record to put, and the PutRecords limits it must meet.
//!
//! AWS contract honoured here: a PutRecords call takes at most 500 records
//! and 10 MiB; one record is at most 1 MiB counting its data *and* its
//! partition key; a partition key is 1 to 256 Unicode characters.

use std::fmt;

/// Records per PutRecords call.
pub const MAX_RECORDS_PER_CALL: usize = 500;
/// Bytes per PutRecords call: data plus partition keys of every record.
pub const MAX_BYTES_PER_CALL: usize = 10 * 1024 * 1024;
/// Bytes per record: data plus partition key.
pub const MAX_RECORD_BYTES: usize = 1024 * 1024;
/// Unicode characters per partition key.
pub const MAX_PARTITION_KEY_CHARS: usize = 256;

/// One record to put into a stream.
#[derive(Clone, PartialEq, Eq)]
pub struct PutEntry {
    pub partition_key: String,
    pub data: Vec<u8>,
}

/// Why a record cannot be put at all; checked before the first call, so a
/// bad input writes nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    #[error("record {position}: the partition key is empty")]
    EmptyPartitionKey { position: usize },
    #[error(
        "record {position}: the partition key has {chars} characters, more than \
         {MAX_PARTITION_KEY_CHARS}"
    )]
    PartitionKeyTooLong { position: usize, chars: usize },
    #[error(
        "record {position}: {size} bytes of data and partition key, more than the \
         {MAX_RECORD_BYTES}-byte Kinesis limit"
    )]
    TooLarge { position: usize, size: usize },
}

impl PutEntry {
    pub fn new(partition_key: impl Into<String>, data: impl Into<Vec<u8>>) -> Self {
        Self {
            partition_key: partition_key.into(),
            data: data.into(),
        }
    }

    /// What the record counts against the record and call limits.
    pub fn size(&self) -> usize {
        self.partition_key.len() + self.data.len()
    }

    /// Checks the record limits; `position` (0-based) names it in errors.
    pub fn validate(&self, position: usize) -> Result<(), EntryError> {
        let chars = self.partition_key.chars().count();
        if chars == 0 {
            return Err(EntryError::EmptyPartitionKey { position });
        }
        if chars > MAX_PARTITION_KEY_CHARS {
            return Err(EntryError::PartitionKeyTooLong { position, chars });
        }
        if self.size() > MAX_RECORD_BYTES {
            return Err(EntryError::TooLarge {
                position,
                size: self.size(),
            });
        }
        Ok(())
    }
}

/// Shows the key and size, never the payload bytes.
impl fmt::Debug for PutEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PutEntry")
            .field("partition_key", &self.partition_key)
            .field("bytes", &self.data.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The 1 MiB record limit counts the partition key too.
    #[test]
    fn counts_the_partition_key_against_the_record_limit() {
        let fits = PutEntry::new("k", vec![0; MAX_RECORD_BYTES - 1]);
        assert_eq!(fits.validate(0), Ok(()));
        let over = PutEntry::new("kk", vec![0; MAX_RECORD_BYTES - 1]);
        assert_eq!(
            over.validate(3),
            Err(EntryError::TooLarge {
                position: 3,
                size: MAX_RECORD_BYTES + 1
            })
        );
    }

    /// Partition keys are 1 to 256 characters, counted as characters.
    #[test]
    fn bounds_partition_keys_in_characters() {
        assert!(matches!(
            PutEntry::new("", b"x".to_vec()).validate(0),
            Err(EntryError::EmptyPartitionKey { .. })
        ));
        let snowmen = "☃".repeat(MAX_PARTITION_KEY_CHARS);
        assert_eq!(
            PutEntry::new(snowmen.clone(), b"x".to_vec()).validate(0),
            Ok(())
        );
        assert!(matches!(
            PutEntry::new(format!("{snowmen}x"), b"x".to_vec()).validate(0),
            Err(EntryError::PartitionKeyTooLong { chars: 257, .. })
        ));
    }
}
