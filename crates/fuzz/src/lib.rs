//! streamdlq-fuzz: coverage-guided fuzz targets for every reader of
//! untrusted input in streamdlq.
//!
//! # Which fuzzer, and why
//!
//! libFuzzer through `libfuzzer-sys`, built with plain `cargo` and the
//! compiler's *stable* coverage flags (`-C passes=sancov-module` with
//! `-C llvm-args=-sanitizer-coverage-*`, see `scripts/fuzz.sh`). The
//! toolchain here is stable Rust only: `cargo fuzz` defaults to
//! AddressSanitizer (`-Zsanitizer`, nightly) and would need
//! `RUSTC_BOOTSTRAP=1` to pretend otherwise; cargo-afl needs AFL++ built from
//! source and an LLVM plugin matching rustc's. libFuzzer's in-process loop
//! needs neither: the code under test is safe Rust (`unsafe` is forbidden in
//! the workspace), so the sanitizer would add little, while panics,
//! overflow checks and debug assertions (all on in this crate's release
//! profile) are caught as crashes. The `fuzz_targets/` layout is cargo-fuzz's,
//! so `cargo fuzz run` works too where a nightly toolchain exists.
//!
//! # Layout
//!
//! - `fuzz_targets/onfailure_parse.rs`: `FailureRecord::parse`, then the
//!   failure id and a DLQ round trip of whatever parsed.
//! - `fuzz_targets/sns_event.rs`: the hydrate function's event handling as
//!   Lambda runs it: the SNS event deserialised like `lambda_runtime` does,
//!   then `Hydrator::handle` over an in-memory stream and DLQ; every SNS
//!   record must reach the DLQ.
//! - `fuzz_targets/sequence_number.rs`: parsing, numeric order against
//!   `u128` where it fits, serde round trip.
//! - `fuzz_targets/dlq_assemble.rs`: the DLQ reader on raw bodies, and on
//!   real parts that the input reorders, copies, drops and rewrites
//!   (adversarial parts and fragments).
//! - `fuzz_targets/kinesis_batch.rs`: the batch helper's Kinesis event
//!   reader and `process_batch`'s answer.
