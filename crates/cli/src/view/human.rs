//! Numbers for people: counts with the right noun, sizes in KiB and MiB,
//! durations in the two largest units that matter.

use std::time::Duration;

use bytesize::ByteSize;

/// `1 record`, `3 records`.
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `600 B`, `2.9 MiB`.
pub fn size(bytes: usize) -> String {
    ByteSize::b(bytes as u64).display().iec().to_string()
}

/// `3d 23h`, `4h 12m`, `12m 5s`, `40s`: the two largest units, rounded
/// down (a time left must never look longer than it is).
pub fn duration(duration: Duration) -> String {
    let seconds = duration.as_secs();
    let units = [(86_400, "d"), (3_600, "h"), (60, "m"), (1, "s")];
    let mut parts = Vec::new();
    let mut rest = seconds;
    for (unit, name) in units {
        let value = rest / unit;
        rest %= unit;
        if value > 0 || !parts.is_empty() {
            parts.push(format!("{value}{name}"));
        }
        if parts.len() == 2 {
            break;
        }
    }
    if parts.is_empty() {
        return "0s".to_owned();
    }
    if parts.len() == 2 && parts[1].starts_with('0') {
        parts.pop();
    }
    parts.join(" ")
}

/// `1706 records/s`: a rate without false precision.
pub fn rate(count: usize, elapsed: Duration, unit: &str) -> String {
    let seconds = elapsed.as_secs_f64();
    if seconds <= 0.0 {
        return format!("- {unit}/s");
    }
    format!("{:.0} {unit}/s", count as f64 / seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts take the singular for one, sizes and durations read as a
    /// person would write them.
    #[test]
    fn says_numbers_as_people_write_them() {
        assert_eq!(count(1, "record", "records"), "1 record");
        assert_eq!(count(0, "record", "records"), "0 records");
        assert_eq!(size(600), "600 B");
        assert_eq!(size(3_000_000), "2.9 MiB");
        assert_eq!(duration(Duration::from_secs(4 * 86_400 - 1)), "3d 23h");
        assert_eq!(
            duration(Duration::from_secs(3_600 * 4 + 60 * 12 + 5)),
            "4h 12m"
        );
        assert_eq!(duration(Duration::from_secs(3_600)), "1h");
        assert_eq!(duration(Duration::from_secs(40)), "40s");
        assert_eq!(duration(Duration::ZERO), "0s");
        assert_eq!(
            rate(10_000, Duration::from_millis(5_861), "records"),
            "1706 records/s"
        );
    }
}
