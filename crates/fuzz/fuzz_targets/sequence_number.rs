//! Sequence numbers: parsing refuses all but digits, order is numeric
//! (checked against `u128` where both fit), equality follows order, and
//! serde keeps the exact text.
#![no_main]

use std::cmp::Ordering;

use libfuzzer_sys::fuzz_target;
use streamdlq_core::SequenceNumber;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (a, b) = text.split_once('|').unwrap_or((text, "0"));
    for side in [a, b] {
        let digits = !side.is_empty() && side.bytes().all(|byte| byte.is_ascii_digit());
        assert_eq!(SequenceNumber::parse(side).is_ok(), digits);
    }
    let (Ok(x), Ok(y)) = (SequenceNumber::parse(a), SequenceNumber::parse(b)) else {
        return;
    };
    let order = x.cmp(&y);
    assert_eq!(y.cmp(&x), order.reverse());
    assert_eq!(x == y, order == Ordering::Equal);
    if let (Ok(p), Ok(q)) = (a.parse::<u128>(), b.parse::<u128>()) {
        assert_eq!(order, p.cmp(&q));
    }
    let json = serde_json::to_string(&x).expect("serialises");
    let back: SequenceNumber = serde_json::from_str(&json).expect("reads back");
    assert_eq!(back.as_str(), a);
});
