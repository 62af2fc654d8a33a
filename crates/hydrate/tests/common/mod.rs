//! Helpers shared by the hydrate tests: SNS events built from the `events/`
//! fixtures, and the emulator plumbing of the end-to-end tests.
#![allow(dead_code)] // each test binary uses a different part

pub mod emulator;
pub mod fixtures;
pub mod table;
