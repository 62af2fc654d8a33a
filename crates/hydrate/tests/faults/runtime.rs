//! The hydrate binary as Lambda runs it: a child process polling a loopback
//! fake of the Lambda Runtime API, so a crash or a SIGKILL is real.
//!
//! The fake serves the three calls `lambda_runtime` makes:
//! `GET /2018-06-01/runtime/invocation/next` (held until an invocation is
//! queued), `POST …/invocation/{id}/response` and `POST …/invocation/{id}/error`
//! (and `POST …/init/error`).

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use streamdlq_fault_proxy::Tripwire;
use tokio::net::TcpListener;
use tokio::process::{Child, Command};
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinHandle;

/// How long the fake gives an invocation (the Lambda timeout).
pub const INVOCATION_TIMEOUT: Duration = Duration::from_secs(120);

/// What the function reported for an invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Reported {
    Response,
    Error(String),
}

/// How one delivery of an event ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// The function answered: every failure is in the DLQ.
    Succeeded,
    /// The function reported an error with this `errorType`.
    Failed(String),
    /// SIGKILLed by the harness in the middle of writing.
    Killed,
    /// The process ended without answering.
    Crashed,
    /// No answer within the invocation timeout; the process was killed.
    TimedOut,
}

#[derive(Debug, Default)]
struct Queue {
    pending: Mutex<Option<(String, Bytes)>>,
    ready: Notify,
}

#[derive(Debug)]
struct RuntimeApi {
    address: SocketAddr,
    queue: Arc<Queue>,
    reported: mpsc::UnboundedReceiver<(String, Reported)>,
    task: JoinHandle<()>,
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl RuntimeApi {
    async fn start() -> Self {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .expect("bind the runtime API");
        let address = listener.local_addr().expect("address");
        let queue = Arc::new(Queue::default());
        let (report, reported) = mpsc::unbounded_channel();
        let served = Arc::clone(&queue);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let queue = Arc::clone(&served);
                let report = report.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request| {
                        answer(Arc::clone(&queue), report.clone(), request)
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self {
            address,
            queue,
            reported,
            task,
        }
    }

    fn queue(&self, request_id: &str, event: &str) {
        *self
            .queue
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner) =
            Some((request_id.to_owned(), Bytes::from(event.to_owned())));
        self.queue.ready.notify_one();
    }

    fn clear(&self) {
        self.queue
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
    }

    /// What the function reported for `request_id` (reports for earlier,
    /// abandoned invocations are skipped).
    async fn reported(&mut self, request_id: &str) -> Reported {
        loop {
            match self.reported.recv().await {
                Some((id, reported)) if id == request_id || id == "init" => return reported,
                Some(_) => continue,
                None => std::future::pending().await,
            }
        }
    }
}

async fn answer(
    queue: Arc<Queue>,
    report: mpsc::UnboundedSender<(String, Reported)>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, hyper::Error> {
    let path = request.uri().path().to_owned();
    let method = request.method().clone();
    let body = request.into_body().collect().await?.to_bytes();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (method, segments.as_slice()) {
        (Method::GET, ["2018-06-01", "runtime", "invocation", "next"]) => {
            let (request_id, event) = loop {
                let notified = queue.ready.notified();
                if let Some(next) = queue
                    .pending
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .take()
                {
                    break next;
                }
                notified.await;
            };
            let deadline = SystemTime::now() + INVOCATION_TIMEOUT;
            let deadline_ms = deadline
                .duration_since(UNIX_EPOCH)
                .map(|since| since.as_millis())
                .unwrap_or_default();
            Ok(Response::builder()
                .header("lambda-runtime-aws-request-id", request_id)
                .header("lambda-runtime-deadline-ms", deadline_ms.to_string())
                .header(
                    "lambda-runtime-invoked-function-arn",
                    "arn:aws:lambda:us-east-1:000000000000:function:hydrate",
                )
                .header(
                    "lambda-runtime-trace-id",
                    "Root=1-00000000-000000000000000000000000",
                )
                .body(Full::new(event))
                .expect("next invocation"))
        }
        (Method::POST, ["2018-06-01", "runtime", "invocation", id, "response"]) => {
            let _ = report.send(((*id).to_owned(), Reported::Response));
            Ok(accepted())
        }
        (Method::POST, ["2018-06-01", "runtime", "invocation", id, "error"]) => {
            let _ = report.send(((*id).to_owned(), Reported::Error(error_type(&body))));
            Ok(accepted())
        }
        (Method::POST, ["2018-06-01", "runtime", "init", "error"]) => {
            let _ = report.send(("init".to_owned(), Reported::Error(error_type(&body))));
            Ok(accepted())
        }
        _ => Ok(Response::builder()
            .status(StatusCode::NOT_FOUND)
            .body(Full::new(Bytes::new()))
            .expect("not found")),
    }
}

fn error_type(body: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|error| error["errorType"].as_str().map(str::to_owned))
        .unwrap_or_else(|| "unreadable error body".to_owned())
}

fn accepted() -> Response<Full<Bytes>> {
    Response::builder()
        .status(StatusCode::ACCEPTED)
        .body(Full::new(Bytes::from_static(b"{\"status\":\"OK\"}")))
        .expect("accepted")
}

/// One instance of the hydrate function: its runtime API and, while it
/// runs, its process. Started again on the next invocation after a crash
/// or a kill, as Lambda starts a new execution environment.
#[derive(Debug)]
pub struct Function {
    api: RuntimeApi,
    child: Option<Child>,
    env: Vec<(String, String)>,
    log: PathBuf,
    next_id: u64,
    name: String,
}

impl Function {
    /// An instance named `name` with the function's environment `env`
    /// (the runtime API address is added); logs go to `log`.
    pub async fn new(name: &str, env: Vec<(String, String)>, log: PathBuf) -> Self {
        Self {
            api: RuntimeApi::start().await,
            child: None,
            env,
            log,
            next_id: 0,
            name: name.to_owned(),
        }
    }

    fn spawn(&mut self) {
        if self.child.is_none() {
            let log = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.log)
                .expect("function log");
            let child = Command::new(env!("CARGO_BIN_EXE_hydrate"))
                .env_clear()
                .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                .env("AWS_LAMBDA_RUNTIME_API", self.api.address.to_string())
                .stdin(Stdio::null())
                .stdout(log.try_clone().expect("log"))
                .stderr(log)
                .kill_on_drop(true)
                .spawn()
                .expect("start the hydrate binary");
            self.child = Some(child);
        }
    }

    /// Delivers `event` once. With a `tripwire`, the process is SIGKILLed
    /// as soon as it fires (a DLQ write reached the queue), before the
    /// function learns that it did.
    pub async fn invoke(&mut self, event: &str, tripwire: Option<Tripwire>) -> Attempt {
        self.next_id += 1;
        let request_id = format!("{}-{:08}", self.name, self.next_id);
        self.api.queue(&request_id, event);
        self.spawn();
        let child = self.child.as_mut().expect("running");
        enum Ended {
            Reported(Reported),
            Tripped(tokio::sync::oneshot::Sender<()>),
            Exited,
            TimedOut,
        }
        let ended = tokio::select! {
            reported = self.api.reported(&request_id) => Ended::Reported(reported),
            release = async {
                match tripwire {
                    Some(tripwire) => match tripwire.await {
                        Ok(release) => release,
                        Err(_) => std::future::pending().await,
                    },
                    None => std::future::pending().await,
                }
            } => Ended::Tripped(release),
            _ = child.wait() => Ended::Exited,
            _ = tokio::time::sleep(INVOCATION_TIMEOUT + Duration::from_secs(5)) => Ended::TimedOut,
        };
        match ended {
            Ended::Reported(Reported::Response) => Attempt::Succeeded,
            Ended::Reported(Reported::Error(error_type)) => Attempt::Failed(error_type),
            Ended::Tripped(release) => {
                self.kill().await;
                drop(release);
                Attempt::Killed
            }
            Ended::Exited => {
                self.api.clear();
                self.child = None;
                Attempt::Crashed
            }
            Ended::TimedOut => {
                self.kill().await;
                Attempt::TimedOut
            }
        }
    }

    /// SIGKILL, then wait until the process is gone.
    async fn kill(&mut self) {
        self.api.clear();
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
        }
    }

    /// Stops the process, if running.
    pub async fn stop(mut self) {
        self.kill().await;
    }
}
