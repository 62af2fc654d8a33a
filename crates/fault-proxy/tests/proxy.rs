//! The proxy over a real loopback upstream: what passes, what is failed,
//! and that a seed draws the same faults again.

use std::net::{Ipv4Addr, SocketAddr};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use streamdlq_fault_proxy::{Fault, FaultProxy, ProxyConfig};
use tokio::net::{TcpListener, TcpStream};

/// An upstream that answers every request with its own body.
async fn echo_upstream() -> SocketAddr {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let service = service_fn(|request: Request<hyper::body::Incoming>| async move {
                    let body = request.into_body().collect().await?.to_bytes();
                    Ok::<_, hyper::Error>(Response::new(Full::new(body)))
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    address
}

/// One call through the proxy: the status and body, or `None` when the
/// connection closed without an answer.
async fn call(proxy: &FaultProxy, target: &str, body: &'static str) -> Option<(StatusCode, Bytes)> {
    let stream = TcpStream::connect(proxy.address()).await.expect("connect");
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(connection);
    let request = Request::post("/")
        .header("x-amz-target", target)
        .body(Full::new(Bytes::from_static(body.as_bytes())))
        .expect("request");
    let response = sender.send_request(request).await.ok()?;
    let status = response.status();
    let body = response.into_body().collect().await.ok()?.to_bytes();
    Some((status, body))
}

/// At rate 0 every request reaches the upstream unchanged.
#[tokio::test]
async fn forwards_untouched_at_rate_zero() {
    let proxy = FaultProxy::start(ProxyConfig::new(echo_upstream().await))
        .await
        .expect("proxy");
    let answer = call(
        &proxy,
        "Kinesis_20131202.GetRecords",
        r#"{"ShardIterator":"x"}"#,
    )
    .await;
    assert_eq!(
        answer,
        Some((
            StatusCode::OK,
            Bytes::from_static(br#"{"ShardIterator":"x"}"#)
        ))
    );
    let counts = proxy.counts();
    assert_eq!(counts.requests["GetRecords"], 1);
    assert_eq!(counts.injected(), 0);
}

/// At rate 1 every hydration call gets a fault from its menu, counted by
/// kind; calls outside the menu still pass.
#[tokio::test]
async fn injects_a_counted_fault_into_every_hydration_call_at_rate_one() {
    let mut config = ProxyConfig::new(echo_upstream().await);
    config.rate = 1.0;
    config.slow = (
        std::time::Duration::ZERO,
        std::time::Duration::from_millis(5),
    );
    let proxy = FaultProxy::start(config).await.expect("proxy");
    let mut errors = 0;
    for _ in 0..40 {
        match call(&proxy, "Kinesis_20131202.GetRecords", "{}").await {
            Some((status, _)) if status != StatusCode::OK => errors += 1,
            None => errors += 1,
            Some(_) => {} // a slow answer
        }
    }
    assert_eq!(
        call(&proxy, "Kinesis_20131202.PutRecords", "{}").await,
        Some((StatusCode::OK, Bytes::from_static(b"{}")))
    );
    let counts = proxy.counts();
    assert_eq!(counts.injected(), 40, "{counts}");
    assert_eq!(
        40 - errors,
        counts.faults.get(&Fault::SlowAnswer).copied().unwrap_or(0)
    );
    assert!(counts.faults.len() >= 4, "several kinds: {counts}");
}

/// The same seed draws the same faults for the same requests.
#[tokio::test]
async fn draws_the_same_faults_from_the_same_seed() {
    let upstream = echo_upstream().await;
    let mut tallies = Vec::new();
    for _ in 0..2 {
        let mut config = ProxyConfig::new(upstream);
        config.seed = 42;
        config.rate = 0.5;
        config.slow = (
            std::time::Duration::ZERO,
            std::time::Duration::from_millis(5),
        );
        let proxy = FaultProxy::start(config).await.expect("proxy");
        for _ in 0..30 {
            call(&proxy, "Kinesis_20131202.GetShardIterator", "{}").await;
        }
        tallies.push(proxy.counts());
    }
    assert_eq!(tallies[0], tallies[1]);
    assert!(tallies[0].injected() > 0);
}
