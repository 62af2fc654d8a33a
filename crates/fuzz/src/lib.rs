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
//! One target per reader of untrusted input; each doc comment states the
//! invariant the target checks (every one was seen to catch a planted bug).
//!
//! - `fuzz_targets/onfailure_parse.rs`: `FailureRecord::parse`, then the
//!   failure id and a DLQ round trip of whatever parsed.
//! - `fuzz_targets/hydrate_event.rs`: the hydrate function as Lambda runs
//!   it: the invocation's bytes read as `lambda_runtime` reads them into the
//!   binary's `Box<RawValue>`, then `hydrate::handler` over in-memory Kinesis
//!   and DynamoDB streams, an in-memory bucket and DLQ; SNS, SQS and S3
//!   events and anything else. Every record reaches the DLQ whole, or the
//!   invocation fails with `UnsupportedEvent` having written nothing.
//! - `fuzz_targets/queue_body.rs`: `QueueBody::read`, any body and any
//!   text in an SNS envelope.
//! - `fuzz_targets/destination_object.rs`: `DestinationObject`, the S3
//!   failure destination's object split into record and payload records.
//! - `fuzz_targets/sequence_number.rs`: parsing, numeric order against
//!   `u128` where it fits, serde round trip.
//! - `fuzz_targets/dlq_assemble.rs`: the DLQ reader on raw bodies, and on
//!   real parts of Kinesis, DynamoDB Streams and unparseable failures that
//!   the input reorders, copies, drops and corrupts (adversarial parts and
//!   fragments, counts that disagree).
//! - `fuzz_targets/kinesis_batch.rs`: the batch helper's Kinesis event
//!   reader and `process_batch`'s answer.
