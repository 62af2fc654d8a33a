//! streamdlq-local: the streamdlq pipeline on one machine, with no AWS account.
//!
//! Kinesis is served by `kinesis-local` (AWS-like 56-digit sequence numbers,
//! shard iterators that expire after 5 minutes) and SNS and SQS by `moto` in
//! server mode (real SNS -> SQS fan-out). Both are installed, pinned, by
//! `scripts/install-tools.sh` into the git-ignored `.tools/` directory, and
//! both listen on 127.0.0.1 only, on free ports.
//!
//! # Layout
//!
//! - [`emulator`]: starting, probing and stopping the emulators, and the
//!   [`aws_config::SdkConfig`]s that point AWS SDK clients at them.
//! - [`esm`]: the Kinesis event source mapping that no emulator provides,
//!   reproducing the AWS semantics, driving an in-process handler or any
//!   function behind the Lambda Invoke API.

pub mod emulator;
pub mod esm;

pub use emulator::{
    EmulatorError, EmulatorOptions, EmulatorProcess, Emulators, KinesisLocal, Moto, ToolsDir,
};
