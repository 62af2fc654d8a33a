//! Showing hydrated failures: text for people, JSON lines for scripts.
//!
//! - [`payload`]: [`Payload`], record bytes as JSON, text or base64.
//! - [`text`]: [`failure_text`], a failure in a few lines.
//! - [`json`]: [`failure_json`], a failure as one JSON object.
//! - [`style`]: colour on a terminal (never with `NO_COLOR` or off a TTY).
//! - [`human`]: counts, sizes, durations and rates for people.

pub mod human;
pub mod json;
pub mod payload;
pub mod style;
pub mod text;

pub use json::failure_json;
pub use payload::Payload;
pub use text::{Retention, TextOptions, failure_text};
