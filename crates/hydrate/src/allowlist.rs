//! Which streams this deployment may read: checked before any Kinesis call,
//! so a failure record naming a foreign stream never causes a read.

use std::collections::BTreeSet;

/// Stream ARNs hydration may read. Empty means every stream is rejected: a
/// missing setting must fail closed, not open.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreamAllowlist {
    arns: BTreeSet<String>,
}

impl StreamAllowlist {
    /// The environment variable the allowlist is read from; its presence
    /// is also how `streamdlq audit` recognises a hydrate function.
    pub const VARIABLE: &'static str = "ALLOWED_STREAM_ARNS";

    /// Parses the comma-separated `ALLOWED_STREAM_ARNS` value; blanks and
    /// surrounding spaces are ignored.
    pub fn parse(text: &str) -> Self {
        let arns = text
            .split(',')
            .map(str::trim)
            .filter(|arn| !arn.is_empty())
            .map(str::to_owned)
            .collect();
        Self { arns }
    }

    /// Whether `stream_arn` may be read. ARNs are compared exactly.
    pub fn allows(&self, stream_arn: &str) -> bool {
        self.arns.contains(stream_arn)
    }

    /// The allowed ARNs, in sorted order.
    pub fn arns(&self) -> impl Iterator<Item = &str> {
        self.arns.iter().map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.arns.is_empty()
    }

    pub fn len(&self) -> usize {
        self.arns.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORDERS: &str = "arn:aws:kinesis:us-east-1:123456789012:stream/orders";

    /// An unset or blank allowlist rejects everything.
    #[test]
    fn empty_allowlist_rejects_every_stream() {
        for text in ["", " ", ",", " , "] {
            let allowlist = StreamAllowlist::parse(text);
            assert!(allowlist.is_empty());
            assert!(!allowlist.allows(ORDERS));
            assert!(!allowlist.allows(""));
        }
    }

    /// Entries are trimmed; matching is exact, never by prefix.
    #[test]
    fn allows_only_listed_arns_exactly() {
        let allowlist = StreamAllowlist::parse(&format!(
            " {ORDERS} , arn:aws:kinesis:us-east-1:123456789012:stream/b"
        ));
        assert_eq!(allowlist.len(), 2);
        assert!(allowlist.allows(ORDERS));
        assert!(!allowlist.allows(&format!("{ORDERS}-archive")));
        assert!(!allowlist.allows("arn:aws:kinesis:us-east-1:123456789012:stream/order"));
        assert!(!allowlist.allows("arn:aws:kinesis:us-east-1:210987654321:stream/orders"));
    }
}
