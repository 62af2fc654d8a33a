//! [`FunctionContext`]: what a function needs to be built in this process —
//! its environment as the template declares it and the emulators' SDK
//! configurations — and [`lookup`], how it reads a variable. Below both the
//! stack, which builds the functions it runs, and the delivery, which runs
//! hydrate.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_config::SdkConfig;

/// What a function needs to be built in-process: its resolved environment,
/// as the template declares it, and the SDK configurations of the
/// emulators.
#[derive(Debug, Clone)]
pub struct FunctionContext {
    /// The template's `Environment.Variables`, resolved.
    pub environment: BTreeMap<String, String>,
    /// The function's ARN (unqualified).
    pub function_arn: String,
    /// The template's `Timeout`.
    pub timeout: Duration,
    /// For aws-sdk-kinesis clients.
    pub kinesis: SdkConfig,
    /// For aws-sdk-sns and aws-sdk-sqs clients.
    pub moto: SdkConfig,
}

/// A function's environment variable: the template's value, else (locally)
/// the value in the environment of the process that started the stack, so
/// that `PROCESSOR_SCHEMA_MODE=lenient streamdlq local up` works.
pub fn lookup(environment: &BTreeMap<String, String>, name: &str) -> Option<String> {
    environment
        .get(name)
        .cloned()
        .or_else(|| std::env::var(name).ok())
}
