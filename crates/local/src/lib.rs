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
//! - [`project`]: the project root, where the template and the state live.
//! - [`state`]: [`LocalState`], `.streamdlq/state.json` of a running stack.
//! - [`template`]: [`StackTemplate`], what `infra/template.yaml` declares
//!   (resources, the ESM settings, the hydrate function's async invocation).

pub mod delivery;
pub mod emulator;
pub mod project;
pub mod resources;
pub mod state;
pub mod template;

pub use emulator::{
    EmulatorError, EmulatorOptions, EmulatorProcess, Emulators, KinesisLocal, Moto, ToolsDir,
};
pub use state::{LocalState, StateError};
pub use template::StackTemplate;
