//! Asking before a command changes a queue or a deployed stream for good.
//!
//! On a terminal the question is asked on stderr and read from stdin;
//! anywhere else (a script, CI) nothing is asked and `--yes` is required,
//! so that a forgotten flag stops the command instead of deleting.

use std::io::{BufRead as _, IsTerminal as _, Write as _};

use anyhow::{Context as _, bail};

use crate::discovery::{Origin, Resources};

/// Whether to go ahead: `yes` (the `--yes` flag) says so at once; on a
/// terminal the person answers `question`; otherwise the command stops
/// with an error naming `--yes`.
pub fn confirm(question: &str, yes: bool) -> anyhow::Result<bool> {
    if yes {
        return Ok(true);
    }
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        bail!("{question}: pass --yes to confirm (stdin is not a terminal, so nobody can answer)");
    }
    let mut stderr = std::io::stderr().lock();
    write!(stderr, "{question} [y/N] ")?;
    stderr.flush()?;
    let mut answer = String::new();
    stdin
        .lock()
        .read_line(&mut answer)
        .context("cannot read the answer")?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

/// Whether the resources are a deployed stack (a named stack, or AWS at a
/// endpoint that is not this machine) rather than the local emulators:
/// replaying or moving there asks first.
pub fn is_deployed(resources: &Resources) -> bool {
    match &resources.origin {
        Origin::Local { .. } => false,
        Origin::Stack { .. } => true,
        Origin::Aws => !resources
            .sqs_config
            .endpoint_url()
            .is_some_and(is_loopback_url),
    }
}

fn is_loopback_url(url: &str) -> bool {
    let host = url
        .split_once("://")
        .map_or(url, |(_, rest)| rest)
        .split(['/', ':'])
        .next()
        .unwrap_or("");
    host == "localhost" || host.starts_with("127.") || url.contains("://[::1]")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Only endpoints on this machine count as local.
    #[test]
    fn tells_local_endpoints_from_deployed_ones() {
        assert!(is_loopback_url("http://127.0.0.1:4566"));
        assert!(is_loopback_url("http://localhost:5000/"));
        assert!(is_loopback_url("http://[::1]:5000"));
        assert!(!is_loopback_url("https://sqs.eu-west-1.amazonaws.com"));
    }
}
