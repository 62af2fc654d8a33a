//! A minimal Lambda Invoke API on 127.0.0.1 that answers like `cargo lambda
//! watch` / `sam local start-lambda`: every request gets the same canned
//! answer, and every request is kept for the test to inspect. Test support
//! for every crate that drives a function through the Invoke API.

use std::sync::{Arc, Mutex, PoisonError};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// A request as the server received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub request_line: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// One canned answer: status, extra headers and a body.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(&'static str, &'static str)>,
    pub body: &'static str,
}

/// Serves `answer` to every request on a free loopback port until stopped.
#[derive(Debug)]
pub struct InvokeServer {
    pub endpoint: String,
    received: Arc<Mutex<Vec<Received>>>,
    task: JoinHandle<()>,
}

impl InvokeServer {
    /// Starts serving on a free loopback port.
    pub async fn start(answer: Answer) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let endpoint = format!("http://{}", listener.local_addr().expect("address"));
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&received);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (log, answer) = (Arc::clone(&log), answer.clone());
                tokio::spawn(async move {
                    let (reader, mut writer) = stream.into_split();
                    let mut reader = BufReader::new(reader);
                    let Some(request) = read_request(&mut reader).await else {
                        return;
                    };
                    log.lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(request);
                    let mut response = format!(
                        "HTTP/1.1 {} OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\nx-amzn-RequestId: 2b4d1c9e-8f7a-4c53-9a1e-6d0f3b2a7c55\r\n",
                        answer.status,
                        answer.body.len()
                    );
                    for (name, value) in &answer.headers {
                        response.push_str(&format!("{name}: {value}\r\n"));
                    }
                    response.push_str("\r\n");
                    response.push_str(answer.body);
                    let _ = writer.write_all(response.as_bytes()).await;
                    let _ = writer.shutdown().await;
                });
            }
        });
        Self {
            endpoint,
            received,
            task,
        }
    }

    /// Every request so far, in arrival order.
    pub fn received(&self) -> Vec<Received> {
        self.received
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Stops listening; the port is closed when this returns.
    pub async fn stop(self) {
        self.task.abort();
        let _ = self.task.await;
    }
}

async fn read_request<R: AsyncBufReadExt + Unpin>(reader: &mut R) -> Option<Received> {
    let mut request_line = String::new();
    reader.read_line(&mut request_line).await.ok()?;
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).await.ok()?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let length: usize = headers
        .iter()
        .find(|(name, _)| name == "content-length")
        .and_then(|(_, value)| value.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).await.ok()?;
    Some(Received {
        request_line: request_line.trim_end().to_owned(),
        headers,
        body,
    })
}

impl Answer {
    /// A function's plain 200 answer with `body`.
    pub fn returning(body: &'static str) -> Self {
        Self {
            status: 200,
            headers: Vec::new(),
            body,
        }
    }
}
