//! Showing hydrated failures: text for people, JSON lines for scripts.
//!
//! - [`payload`]: [`Payload`], record bytes as JSON, text or base64.
//! - [`text`]: [`failure_text`], a failure in a few lines.
//! - [`json`]: [`failure_json`], a failure as one JSON object.

pub mod json;
pub mod payload;
pub mod text;

pub use json::failure_json;
pub use payload::Payload;
pub use text::{TextOptions, failure_text};
