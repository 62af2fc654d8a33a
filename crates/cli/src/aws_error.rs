//! One-line descriptions of AWS SDK errors for people, and the check that a
//! local endpoint answers at all.
//!
//! An `SdkError` displays as "service error" and hides the code and message
//! AWS sent, and the SDK's `DisplayErrorContext` appends the whole `Debug`
//! dump; these helpers show the code and message, or the chain of causes
//! in words, and name the next step when the local stack is down.

use std::net::{SocketAddr, TcpStream, ToSocketAddrs as _};
use std::time::Duration;

use anyhow::anyhow;
use aws_config::SdkConfig;
use aws_sdk_sqs::error::{ProvideErrorMetadata, SdkError};

/// `Code: message` for a service error; for anything else (a refused
/// connection, a timeout) the causes in words, without `Debug` dumps.
pub fn describe<E, R>(error: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    match error {
        SdkError::ServiceError(context) => {
            let service_error = context.err();
            match (service_error.code(), service_error.message()) {
                (Some(code), Some(message)) => format!("{code}: {message}"),
                (Some(code), None) => code.to_owned(),
                (None, Some(message)) => message.to_owned(),
                (None, None) => causes(error),
            }
        }
        other if refused(other) => {
            "connection refused: nothing answers at the endpoint (if it is the local stack, it \
             is down: run `streamdlq local up`, or unset the exports `streamdlq local down` \
             printed)"
                .to_owned()
        }
        other => configuration_problem(other).unwrap_or_else(|| causes(other)),
    }
}

/// The SDK's words for a missing region or missing credentials (a
/// multi-line list of every provider it tried), as one line that says what
/// to set.
fn configuration_problem(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    let chain = causes(error);
    if chain.contains("Missing Region") {
        return Some(
            "no AWS region configured: pass --region or set AWS_REGION (the local stack needs \
             none: run `streamdlq local up`)"
                .to_owned(),
        );
    }
    if chain.contains("no credentials found") {
        return Some(
            "no AWS credentials found: pass --profile or set AWS_PROFILE, or AWS_ACCESS_KEY_ID \
             and AWS_SECRET_ACCESS_KEY (the local stack needs none: run `streamdlq local up`)"
                .to_owned(),
        );
    }
    None
}

/// The service error code, if AWS answered with one.
pub fn code<E, R>(error: &SdkError<E, R>) -> Option<&str>
where
    E: ProvideErrorMetadata,
{
    match error {
        SdkError::ServiceError(context) => context.err().code(),
        _ => None,
    }
}

/// An error and its sources, `: `-separated, each said once.
fn causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = Some(error);
    while let Some(error) = current {
        // Some SDK errors list their causes on lines of their own.
        let text = error
            .to_string()
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .collect::<Vec<_>>()
            .join("; ");
        if !parts.iter().any(|part| part.contains(&text)) {
            parts.push(text);
        }
        current = error.source();
    }
    parts.join(": ")
}

/// Whether a connection was refused somewhere in the error's causes.
fn refused(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(error) = current {
        if let Some(io) = error.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::ConnectionRefused
        {
            return true;
        }
        current = error.source();
    }
    false
}

/// Fails fast, with the next step, when `config` points at an endpoint on
/// this machine (the local stack's emulators) and nothing listens there;
/// the SDK would otherwise retry a refused connection for seconds. Remote
/// endpoints are left to the SDK. `service` names the service's own
/// endpoint variable (`KINESIS` for `AWS_ENDPOINT_URL_KINESIS`), which the
/// SDK prefers to the shared one when the configuration came from the
/// environment (not for the local stack's state file, whose endpoints are
/// set in the configuration itself).
pub fn ensure_reachable(config: &SdkConfig, service: &str) -> anyhow::Result<()> {
    let own = config
        .service_config()
        .and_then(|_| std::env::var(format!("AWS_ENDPOINT_URL_{service}")).ok())
        .filter(|url| !url.is_empty());
    let Some(url) = own.as_deref().or(config.endpoint_url()) else {
        return Ok(());
    };
    let Some(addresses) = loopback_addresses(url) else {
        return Ok(());
    };
    let answers = addresses
        .iter()
        .any(|address| TcpStream::connect_timeout(address, CONNECT_TIMEOUT).is_ok());
    if answers {
        Ok(())
    } else {
        Err(local_stack_down(url))
    }
}

/// How long a local endpoint may take to accept a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// The error for a local endpoint that does not answer.
pub fn local_stack_down(url: &str) -> anyhow::Error {
    anyhow!(
        "nothing answers at {url}: the local stack is down; run `streamdlq local up`, or unset \
         the exports `streamdlq local down` printed"
    )
}

/// The socket addresses of an `http(s)://host:port/…` URL whose host is
/// this machine; `None` for any other URL.
fn loopback_addresses(url: &str) -> Option<Vec<SocketAddr>> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?']).next()?;
    let default_port = if scheme.eq_ignore_ascii_case("https") {
        443
    } else {
        80
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !port.contains(']') => (host, port.parse().ok()?),
        _ => (authority, default_port),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if !matches!(host, "localhost" | "::1") && !host.starts_with("127.") {
        return None;
    }
    let addresses: Vec<SocketAddr> = (host, port).to_socket_addrs().ok()?.collect();
    (!addresses.is_empty()).then_some(addresses)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Only URLs naming this machine are checked, with their port.
    #[test]
    fn finds_loopback_endpoints_only() {
        let local = loopback_addresses("http://127.0.0.1:4566").expect("loopback");
        assert_eq!(local[0].port(), 4566);
        assert!(loopback_addresses("http://localhost:9/").is_some());
        assert!(loopback_addresses("https://sqs.us-east-1.amazonaws.com").is_none());
        assert!(loopback_addresses("http://10.0.0.1:4566").is_none());
    }

    /// A loopback port nobody listens on fails at once, with the next step.
    #[test]
    fn says_the_local_stack_is_down_when_nothing_listens() {
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            listener.local_addr().expect("addr").port()
        };
        let url = format!("http://127.0.0.1:{port}");
        let config = SdkConfig::builder().endpoint_url(&url).build();
        let error = ensure_reachable(&config, "SQS").expect_err("nothing listens");
        assert_eq!(
            error.to_string(),
            format!(
                "nothing answers at {url}: the local stack is down; run `streamdlq local up`, \
                 or unset the exports `streamdlq local down` printed"
            )
        );
    }
}
