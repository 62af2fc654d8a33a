//! Choosing the records of the next PutRecords call: pure, so that the
//! ordering rules can be tested without a stream.
//!
//! Records are taken in input order from the pending set (which is kept
//! sorted by input position), until the call is full: 500 records or
//! 10 MiB. A key that may have only one record in the call (every key in
//! strict mode, a key with a failed record outstanding otherwise) gets its
//! first pending record and no other; its later records wait. The call stops
//! at the first record that does not fit, so no record is ever sent ahead of
//! an earlier one of its key that is still pending.

use std::collections::{BTreeSet, HashSet};

use super::entry::{MAX_BYTES_PER_CALL, MAX_RECORDS_PER_CALL, PutEntry};

/// How many pending records one call looks at, at most: bounds the work of
/// skipping the later records of held keys.
const LOOKAHEAD: usize = 20 * MAX_RECORDS_PER_CALL;

/// The size of one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallLimits {
    pub max_records: usize,
    pub max_bytes: usize,
}

impl Default for CallLimits {
    fn default() -> Self {
        Self {
            max_records: MAX_RECORDS_PER_CALL,
            max_bytes: MAX_BYTES_PER_CALL,
        }
    }
}

impl CallLimits {
    /// At most `max_records` (clamped to 1..=500) per call.
    pub fn with_max_records(max_records: usize) -> Self {
        Self {
            max_records: max_records.clamp(1, MAX_RECORDS_PER_CALL),
            ..Self::default()
        }
    }
}

/// The positions (ascending) of the records of the next call.
pub fn next_call(
    entries: &[PutEntry],
    pending: &BTreeSet<usize>,
    limits: CallLimits,
    one_per_key: impl Fn(&str) -> bool,
) -> Vec<usize> {
    let mut call = Vec::new();
    let mut bytes = 0;
    let mut held: HashSet<&str> = HashSet::new();
    for &position in pending.iter().take(LOOKAHEAD) {
        let entry = &entries[position];
        let key = entry.partition_key.as_str();
        if held.contains(key) {
            continue;
        }
        if call.len() == limits.max_records || bytes + entry.size() > limits.max_bytes {
            break;
        }
        if one_per_key(key) {
            held.insert(key);
        }
        bytes += entry.size();
        call.push(position);
    }
    call
}

/// How many calls putting every entry takes when none fails.
pub fn count_calls(entries: &[PutEntry], limits: CallLimits, strict: bool) -> usize {
    let mut pending: BTreeSet<usize> = (0..entries.len()).collect();
    let mut calls = 0;
    while !pending.is_empty() {
        let call = next_call(entries, &pending, limits, |_| strict);
        for position in call {
            pending.remove(&position);
        }
        calls += 1;
    }
    calls
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(keys: &[&str], size: usize) -> Vec<PutEntry> {
        keys.iter()
            .map(|key| PutEntry::new(*key, vec![7; size]))
            .collect()
    }

    fn all(entries: &[PutEntry]) -> BTreeSet<usize> {
        (0..entries.len()).collect()
    }

    /// Without held keys a call is the next 500 records, in order.
    #[test]
    fn takes_500_records_in_order() {
        let input = entries(&["k"; 1_201], 10);
        let call = next_call(&input, &all(&input), CallLimits::default(), |_| false);
        assert_eq!(call, (0..500).collect::<Vec<_>>());
        assert_eq!(count_calls(&input, CallLimits::default(), false), 3);
    }

    /// A call stops before 10 MiB, counting partition keys too.
    #[test]
    fn stops_before_ten_mebibytes() {
        // 11 records of 1 MiB minus the key: 10 fit in one call.
        let input = entries(&["k"; 11], 1024 * 1024 - 1);
        let call = next_call(&input, &all(&input), CallLimits::default(), |_| false);
        assert_eq!(call.len(), 10);
        assert_eq!(count_calls(&input, CallLimits::default(), false), 2);
    }

    /// A held key sends its first pending record only; other keys go on.
    #[test]
    fn sends_one_record_of_a_held_key() {
        let input = entries(&["a", "b", "a", "c", "a", "b"], 1);
        let call = next_call(&input, &all(&input), CallLimits::default(), |key| {
            key == "a"
        });
        assert_eq!(call, vec![0, 1, 3, 5]);
    }

    /// Strict order: one record per key and call; a single key takes one
    /// call per record, many keys still share calls.
    #[test]
    fn strict_order_puts_one_record_per_key_and_call() {
        let single = entries(&["k"; 4], 1);
        assert_eq!(count_calls(&single, CallLimits::default(), true), 4);
        let keys: Vec<String> = (0..1_000).map(|n| format!("key-{n}")).collect();
        let many: Vec<PutEntry> = keys
            .iter()
            .map(|k| PutEntry::new(k.as_str(), vec![1]))
            .collect();
        assert_eq!(count_calls(&many, CallLimits::default(), true), 2);
    }

    /// When the next record does not fit, the call ends there: a smaller
    /// later record of the same key must not jump ahead of it.
    #[test]
    fn ends_the_call_at_the_first_record_that_does_not_fit() {
        // 19 records of 512 KiB: 9.5 MiB; then a 1 MiB "b" that does not fit
        // and a 1-byte "b" that would.
        let mut input = entries(&["a"; 19], 512 * 1024 - 1);
        input.push(PutEntry::new("b", vec![0; 1024 * 1024 - 1]));
        input.push(PutEntry::new("b", vec![0; 1]));
        let call = next_call(&input, &all(&input), CallLimits::default(), |_| false);
        assert_eq!(call, (0..19).collect::<Vec<_>>());
        let limits = CallLimits::with_max_records(2);
        assert_eq!(
            next_call(&input, &all(&input), limits, |_| false),
            vec![0, 1]
        );
    }
}
