//! JSON numbers for the readers that walk the event text themselves (`scan`
//! and `template`): [`number_end`], the grammar; [`number_value`],
//! serde_json's value of one; and [`decimal_millis`], an arrival time read
//! straight to the milliseconds that value gives.

/// Where the JSON number starting at `start` ends, or `None` if no number
/// in JSON's grammar starts there (`01`, `1.`, `.5`, `1e` are not numbers).
pub(super) fn number_end(bytes: &[u8], start: usize) -> Option<usize> {
    let digits = |mut at: usize| {
        while bytes.get(at).is_some_and(u8::is_ascii_digit) {
            at += 1;
        }
        at
    };
    let mut at = start;
    if bytes.get(at) == Some(&b'-') {
        at += 1;
    }
    at = match bytes.get(at)? {
        b'0' => at + 1,
        b'1'..=b'9' => digits(at + 1),
        _ => return None,
    };
    if bytes.get(at) == Some(&b'.') {
        let fraction = digits(at + 1);
        if fraction == at + 1 {
            return None;
        }
        at = fraction;
    }
    if let Some(b'e' | b'E') = bytes.get(at) {
        at += 1;
        if let Some(b'+' | b'-') = bytes.get(at) {
            at += 1;
        }
        let exponent = digits(at);
        if exponent == at {
            return None;
        }
        at = exponent;
    }
    Some(at)
}

/// The value serde_json reads from the JSON number `text`, or `None` where
/// serde_json refuses it (out of range).
///
/// serde_json (without `float_roundtrip`, as here) reads a number as its
/// digits, an integer, divided or multiplied once by an exact power of ten.
/// With at most 15 digits and no exponent, the integer is exact and the
/// power at most 10^15, so that one operation is correctly rounded: the
/// same value as Rust's own correctly rounded parse, which is taken then
/// because it is several times faster (an arrival time, `1795428897.512`,
/// is such a number). Every other number is read by serde_json itself.
pub(super) fn number_value(text: &str) -> Option<f64> {
    let bytes = text.as_bytes();
    let digits = bytes.iter().filter(|byte| byte.is_ascii_digit()).count();
    let plain = digits <= 15 && !bytes.iter().any(|&byte| matches!(byte, b'e' | b'E'));
    if plain && let Ok(value) = text.parse() {
        return Some(value);
    }
    serde_json::from_str(text).ok()
}

/// Whole milliseconds of the JSON number `text`, a time in epoch seconds,
/// read straight from its digits; `None` unless it is plain: no sign, at
/// most 10 digits before its point (seconds before the year 2286) and at
/// most 3 after, no exponent.
///
/// It is what `seconds_to_millis` gives for the number's serde_json value,
/// without the float: with `m` = 1000 × the number, an integer below 2^44,
/// reading the number as an `f64` and multiplying by 1000 errs by at most
/// `m` × 2^-52 < 2^-8, so rounding gives back `m` exactly.
pub(super) fn decimal_millis(text: &str) -> Option<i64> {
    // A byte search: `split_once('.')` goes through the char searcher.
    let (whole, fraction) = match text.bytes().position(|byte| byte == b'.') {
        Some(point) => (&text[..point], &text[point + 1..]),
        None => (text, ""),
    };
    let plain = |digits: &str, most: usize| {
        digits.len() <= most && digits.bytes().all(|digit| digit.is_ascii_digit())
    };
    if whole.is_empty() || !plain(whole, 10) || !plain(fraction, 3) {
        return None;
    }
    let millis = fraction
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(3)
        .fold(0, |millis, digit| millis * 10 + i64::from(digit - b'0'));
    let seconds = whole
        .bytes()
        .fold(0, |seconds, digit| seconds * 10 + i64::from(digit - b'0'));
    Some(seconds * 1000 + millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What JSON calls a number ends where its grammar ends; what it does
    /// not is refused.
    #[test]
    fn follows_json_number_grammar() {
        for (text, end) in [
            ("0", 1),
            ("-0", 2),
            ("1795428897.512}", 14),
            ("12,", 2),
            ("1.5e3]", 5),
            ("2E-7 ", 4),
            ("-1e+2x", 5),
            ("01", 1),
        ] {
            assert_eq!(number_end(text.as_bytes(), 0), Some(end), "{text}");
        }
        for text in ["", "-", "+1", ".5", "1.", "1.e3", "1e", "1e+", "x"] {
            assert_eq!(number_end(text.as_bytes(), 0), None, "{text}");
        }
    }

    /// Arrival times read straight to milliseconds are what the float
    /// reading gives, for every plain number; others are not read so.
    #[test]
    fn reads_plain_times_to_the_float_readings_milliseconds() {
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move |bound: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % bound
        };
        let mut texts: Vec<String> = [
            "0",
            "0.5",
            "1795428897.512",
            "1795428897.63",
            "9999999999.999",
            "1.001",
        ]
        .iter()
        .map(ToString::to_string)
        .collect();
        for _ in 0..50_000 {
            let whole = next(10_000_000_000);
            texts.push(match next(4) {
                0 => whole.to_string(),
                places => format!(
                    "{whole}.{:0width$}",
                    next(10_u64.pow(places as u32)),
                    width = places as usize
                ),
            });
        }
        for text in &texts {
            let through_float =
                number_value(text).and_then(super::super::context::seconds_to_millis);
            assert_eq!(decimal_millis(text), through_float, "{text}");
        }
        for text in ["-1.5", "1e3", "1.5e3", "12345678901.5", "1.2345", ".5"] {
            assert_eq!(decimal_millis(text), None, "{text}");
        }
    }

    /// serde_json's reading of a number as `Loose` reads it.
    fn serde_value(text: &str) -> Option<f64> {
        let value: serde_json::Value = serde_json::from_str(text).ok()?;
        value.as_f64()
    }

    /// Every number reads to serde_json's value, bit for bit: short ones
    /// through the fast parse, long ones and exponents through serde_json.
    #[test]
    fn reads_numbers_to_serde_json_values() {
        let mut state: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut texts: Vec<String> = [
            "0",
            "-0",
            "1795428897.512",
            "1795428897.63",
            "0.1",
            "0.3",
            "-17",
            "123456789012345",
            "1234567890123456",
            "12345678901234567890123",
            "9007199254740993",
            "1.7976931348623157e308",
            "1e999",
            "5e-324",
            "0.000000000000001",
            "1E5",
            "2.5e-3",
        ]
        .iter()
        .map(ToString::to_string)
        .collect();
        for _ in 0..20_000 {
            let random = next();
            let digits = 1 + (random % 20) as usize;
            let text: String = (0..digits)
                .map(|i| char::from(b'0' + ((next() >> (i % 8)) % 10) as u8))
                .collect();
            let text = text.trim_start_matches('0').to_owned();
            let mut text = if text.is_empty() {
                "0".to_owned()
            } else {
                text
            };
            if random & 0x100 != 0 && text.len() > 1 {
                let point = 1 + (next() as usize % (text.len() - 1));
                text.insert(point, '.');
            }
            if random & 0x200 != 0 {
                text.insert(0, '-');
            }
            texts.push(text);
        }
        for text in &texts {
            let ours = number_value(text).map(f64::to_bits);
            let theirs = serde_value(text).map(f64::to_bits);
            assert_eq!(ours, theirs, "{text}");
        }
    }
}
