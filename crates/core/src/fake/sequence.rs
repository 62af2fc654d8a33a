//! Sequence numbers that look like Kinesis's: 56 digits, increasing within a
//! shard with irregular gaps, so that no test can get away with `+ 1` or with
//! comparing them as anything but [`SequenceNumber`]s.

use crate::sequence::SequenceNumber;

/// The leading 26 digits, taken from a real shard.
const HIGH: &str = "49590338271490256608559692";
/// The trailing 30 digits start here; each shard gets its own tenth of the
/// space so that a record read from the wrong shard can never be in range.
const LOW_START: u128 = 100_000_000_000_000_000_000_000_000_000;
const SHARD_SPAN: u128 = 10_000_000_000_000_000_000_000_000_000;
/// About the gap between neighbours on a real shard; a shard's space holds
/// millions of records.
const STRIDE: u128 = 2_564_131_663_402_632_534_001;

/// The sequence number of record `index` (0-based) of shard number `shard`.
pub(crate) fn nth(shard: usize, index: usize) -> SequenceNumber {
    let shard = (shard % 8) as u128;
    let index = index as u128;
    // Gaps vary with the index, as they do on a real shard.
    let low = LOW_START + shard * SHARD_SPAN + index * STRIDE + (index * 7919) % 104_729;
    let text = format!("{HIGH}{low:030}");
    SequenceNumber::parse(&text).unwrap_or_else(|_| unreachable!("formatted from digits"))
}

/// The sequence number of record `index` of shard number `shard` on a
/// DynamoDB table stream: 24 digits (AWS's are 21 to 40), increasing with
/// irregular gaps.
pub(crate) fn nth_dynamodb(shard: usize, index: usize) -> SequenceNumber {
    let shard = (shard % 8) as u128;
    let index = index as u128;
    let low = 19_440_561_534 + shard * 1_000_000_000_000_000 + index * 100 + (index * 7919) % 97;
    let text = format!("1111{low:020}");
    SequenceNumber::parse(&text).unwrap_or_else(|_| unreachable!("formatted from digits"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Generated numbers have 56 digits and increase within a shard.
    #[test]
    fn generates_increasing_56_digit_numbers() {
        let numbers: Vec<SequenceNumber> = (0..1000).map(|i| nth(1, i)).collect();
        assert!(numbers.iter().all(|n| n.as_str().len() == 56));
        assert!(numbers.windows(2).all(|pair| pair[0] < pair[1]));
    }

    /// DynamoDB numbers have 24 digits and increase within a shard.
    #[test]
    fn generates_increasing_dynamodb_numbers() {
        let numbers: Vec<SequenceNumber> = (0..1000).map(|i| nth_dynamodb(1, i)).collect();
        assert!(numbers.iter().all(|n| n.as_str().len() == 24));
        assert!(numbers.windows(2).all(|pair| pair[0] < pair[1]));
        assert!(nth_dynamodb(0, 100_000) < nth_dynamodb(1, 0));
    }

    /// Shards do not share sequence numbers.
    #[test]
    fn keeps_shards_apart() {
        assert!(nth(0, 100_000) < nth(1, 0));
        assert_ne!(nth(0, 5), nth(1, 5));
    }
}
