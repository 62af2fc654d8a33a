//! streamdlq-fault-proxy: a seeded, fault-injecting HTTP/1.1 proxy that sits
//! on 127.0.0.1 between an AWS SDK client and an emulator (kinesis-local,
//! moto) and fails calls the way Kinesis and SQS really fail them.
//!
//! Each request is forwarded unless the proxy draws a fault for it: with
//! probability [`ProxyConfig::rate`], one of the faults that fit its
//! operation ([`fault::menu`]), chosen by a [`fastrand`] generator seeded
//! from [`ProxyConfig::seed`]. Every fault is counted by kind
//! ([`FaultProxy::counts`]). Only the calls that hydration makes get faults
//! (`GetShardIterator`, `GetRecords`, `SendMessageBatch`); everything else
//! passes untouched, so a test can set up and read back through the same
//! endpoint.
//!
//! Two more hooks serve a checker:
//! - [`Sabotage`] breaks the promise once on purpose (a corrupted byte, or
//!   an entry dropped while answering success), to prove the checker
//!   notices;
//! - [`FaultProxy::arm_tripwire`] pauses the answer of the next
//!   `SendMessageBatch` that reached the queue, so the caller can be killed
//!   in the middle of a multi-part write.
//!
//! It depends on nothing else in the workspace.
//!
//! # Layout
//!
//! - [`fault`]: [`Fault`], the kinds, the menu per operation, and
//!   [`FaultCounts`].
//! - [`answer`]: the error answers in each SDK's wire protocol.
//! - [`batch`]: `SendMessageBatch` bodies taken apart: entries left out and
//!   answered `Failed`, the sabotage acts.
//! - `proxy` (this file's [`FaultProxy`]) and `forward`: the listener, the
//!   per-request decision, and the upstream call.

pub mod answer;
pub mod batch;
pub mod fault;
mod forward;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use answer::Protocol;
pub use fault::{Fault, FaultCounts};

/// How a proxy fails calls.
#[derive(Debug, Clone, PartialEq)]
pub struct ProxyConfig {
    /// Where requests go: the emulator.
    pub upstream: SocketAddr,
    /// Seed of the fault generator: the same seed draws the same faults for
    /// the same sequence of requests.
    pub seed: u64,
    /// Chance that a request with a fault menu gets a fault, 0.0..=1.0.
    pub rate: f64,
    /// The delay of a slow answer is drawn from this range.
    pub slow: (Duration, Duration),
    /// A promise broken once on purpose, for a checker's self-check.
    pub sabotage: Option<Sabotage>,
}

impl ProxyConfig {
    /// A proxy in front of `upstream` that injects nothing.
    pub fn new(upstream: SocketAddr) -> Self {
        Self {
            upstream,
            seed: 0,
            rate: 0.0,
            slow: (Duration::from_millis(50), Duration::from_millis(600)),
            sabotage: None,
        }
    }
}

/// A deliberate break of the delivery promise, applied to the first
/// `SendMessageBatch` it fits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sabotage {
    /// Change one base64 character of one record's data on its way to the
    /// queue.
    CorruptByte,
    /// Leave one entry out of the request and answer it as successful.
    DropEntry,
}

/// Fired when a `SendMessageBatch` reached the queue; the answer waits
/// until the sender passed in it is dropped (or 30 s pass).
pub type Tripwire = oneshot::Receiver<oneshot::Sender<()>>;

/// How long an answer waits for a fired tripwire to be released.
const TRIPWIRE_HOLD: Duration = Duration::from_secs(30);

#[derive(Debug)]
struct State {
    upstream: SocketAddr,
    rate: f64,
    slow: (Duration, Duration),
    rng: Mutex<fastrand::Rng>,
    counts: Mutex<FaultCounts>,
    sabotage: Mutex<Option<Sabotage>>,
    tripwire: Mutex<Option<oneshot::Sender<oneshot::Sender<()>>>>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl State {
    fn count_request(&self, operation: &str) {
        *lock(&self.counts)
            .requests
            .entry(operation.to_owned())
            .or_default() += 1;
    }

    fn count(&self, fault: Fault) {
        *lock(&self.counts).faults.entry(fault).or_default() += 1;
    }

    /// Draws the fault for one request, if any.
    fn draw(&self, operation: &str) -> Option<Fault> {
        let menu = fault::menu(operation);
        let mut rng = lock(&self.rng);
        if menu.is_empty() || rng.f64() >= self.rate {
            return None;
        }
        Some(menu[rng.usize(..menu.len())])
    }

    fn slow_delay(&self) -> Duration {
        let (low, high) = self.slow;
        let span = high.saturating_sub(low);
        low + span.mul_f64(lock(&self.rng).f64())
    }

    /// Entry positions to leave out of a batch of `count`: at least one.
    fn left_out(&self, count: usize) -> Vec<usize> {
        let mut rng = lock(&self.rng);
        let mut positions: Vec<usize> = (0..count).collect();
        rng.shuffle(&mut positions);
        let keep_out = rng.usize(1..=count);
        positions.truncate(keep_out);
        positions
    }
}

/// The connection is closed without an answer.
#[derive(Debug)]
struct Hangup;

impl std::fmt::Display for Hangup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection closed on purpose")
    }
}

impl std::error::Error for Hangup {}

type Answer = Result<Response<Full<Bytes>>, Hangup>;

/// A running proxy; it stops when dropped.
#[derive(Debug)]
pub struct FaultProxy {
    address: SocketAddr,
    state: Arc<State>,
    task: JoinHandle<()>,
}

impl FaultProxy {
    /// Starts a proxy on a free port of 127.0.0.1.
    pub async fn start(config: ProxyConfig) -> std::io::Result<Self> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let address = listener.local_addr()?;
        let state = Arc::new(State {
            upstream: config.upstream,
            rate: config.rate.clamp(0.0, 1.0),
            slow: config.slow,
            rng: Mutex::new(fastrand::Rng::with_seed(config.seed)),
            counts: Mutex::default(),
            sabotage: Mutex::new(config.sabotage),
            tripwire: Mutex::default(),
        });
        let task = tokio::spawn(serve(listener, Arc::clone(&state)));
        Ok(Self {
            address,
            state,
            task,
        })
    }

    /// `http://127.0.0.1:<port>`, for `AWS_ENDPOINT_URL_*` or an SDK config.
    pub fn endpoint_url(&self) -> String {
        format!("http://{}", self.address)
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// What the proxy saw and injected so far.
    pub fn counts(&self) -> FaultCounts {
        lock(&self.state.counts).clone()
    }

    /// Fires on the next `SendMessageBatch` the queue accepted (answered
    /// 200), before that answer goes back; the answer is held until the
    /// sender received through the tripwire is dropped. Arming again
    /// replaces an unfired tripwire.
    pub fn arm_tripwire(&self) -> Tripwire {
        let (fire, fired) = oneshot::channel();
        *lock(&self.state.tripwire) = Some(fire);
        fired
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(listener: TcpListener, state: Arc<State>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let state = Arc::clone(&state);
        tokio::spawn(async move {
            let service = service_fn(move |request| handle(Arc::clone(&state), request));
            // A hang-up ends the connection with an error: that is the point.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn handle(state: Arc<State>, request: Request<Incoming>) -> Answer {
    let (parts, body) = request.into_parts();
    let Ok(body) = body.collect().await.map(|body| body.to_bytes()) else {
        return Err(Hangup);
    };
    let target = parts
        .headers
        .get("x-amz-target")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let protocol = Protocol::of_target(&target);
    let operation = target.rsplit('.').next().unwrap_or_default().to_owned();
    state.count_request(&operation);

    let fault = state.draw(&operation);
    if let Some(fault) = fault {
        state.count(fault);
        if let Some(answer) = answer::error_answer(fault, protocol) {
            return Ok(answer);
        }
    }
    let mut body = body;
    let mut left_out = Vec::new();
    let mut answered_ok = Vec::new();
    match fault {
        Some(Fault::ConnectionReset) => return Err(Hangup),
        Some(Fault::SlowAnswer) => tokio::time::sleep(state.slow_delay()).await,
        Some(Fault::PartialBatchFailure) => {
            let count = batch::entry_count(&body);
            if let Some(split) = batch::leave_out(&body, &state.left_out(count)) {
                left_out = split.left_out;
                match split.forwarded {
                    Some(forwarded) => body = Bytes::from(forwarded),
                    None => return Ok(json_answer(batch::all_failed_answer(&left_out))),
                }
            }
        }
        _ => {}
    }
    if operation == "SendMessageBatch" {
        sabotage(&state, &mut body, &mut answered_ok);
    }

    let Ok(answer) = forward::forward(state.upstream, &parts, body).await else {
        return Ok(Response::builder()
            .status(StatusCode::BAD_GATEWAY)
            .body(Full::new(Bytes::from_static(b"upstream unreachable")))
            .unwrap_or_default());
    };
    if fault == Some(Fault::LostAnswer) {
        return Err(Hangup);
    }
    let (mut head, mut answer_body) = answer.into_parts();
    if head.status == StatusCode::OK && operation == "SendMessageBatch" {
        if (!left_out.is_empty() || !answered_ok.is_empty())
            && let Some(amended) = batch::amend_answer(&answer_body, &left_out, &answered_ok)
        {
            answer_body = Bytes::from(amended);
        }
        trip(&state).await;
    }
    head.headers.remove(hyper::header::CONTENT_LENGTH);
    head.headers.remove(hyper::header::TRANSFER_ENCODING);
    Ok(Response::from_parts(head, Full::new(answer_body)))
}

/// Applies the armed sabotage to `body`, once.
fn sabotage(state: &State, body: &mut Bytes, answered_ok: &mut Vec<String>) {
    let mut armed = lock(&state.sabotage);
    let done = match *armed {
        None => return,
        Some(Sabotage::CorruptByte) => match batch::corrupt_one_byte(body) {
            Some(corrupted) => {
                *body = Bytes::from(corrupted);
                Some(Fault::CorruptedByte)
            }
            None => None,
        },
        Some(Sabotage::DropEntry) => match batch::leave_out(body, &[0]) {
            Some(split) => {
                // A batch of one cannot lose its only entry and still be sent.
                split.forwarded.map(|forwarded| {
                    *body = Bytes::from(forwarded);
                    answered_ok.extend(split.left_out);
                    Fault::DroppedEntry
                })
            }
            None => None,
        },
    };
    if let Some(fault) = done {
        *armed = None;
        drop(armed);
        state.count(fault);
    }
}

/// Fires an armed tripwire and holds the answer until it is released.
async fn trip(state: &State) {
    let Some(fire) = lock(&state.tripwire).take() else {
        return;
    };
    let (release, released) = oneshot::channel::<()>();
    if fire.send(release).is_ok() {
        let _ = tokio::time::timeout(TRIPWIRE_HOLD, released).await;
    }
}

fn json_answer(body: Vec<u8>) -> Response<Full<Bytes>> {
    Response::builder()
        .status(StatusCode::OK)
        .header(hyper::header::CONTENT_TYPE, "application/x-amz-json-1.0")
        .body(Full::new(Bytes::from(body)))
        .unwrap_or_default()
}
