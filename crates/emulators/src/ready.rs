//! Telling when an emulator is ready: it answers an HTTP request.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::port::LOOPBACK;

/// How long one probe may take before it counts as "not yet".
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// Whether something on `127.0.0.1:port` answers an HTTP request.
///
/// A listening socket alone is not enough: the server may accept before its
/// request handling is wired up. Any HTTP status counts (kinesis-local says
/// 404 to `GET /`, moto serves its dashboard).
pub async fn answers_http(port: u16) -> bool {
    tokio::time::timeout(PROBE_TIMEOUT, exchange(port))
        .await
        .is_ok_and(|answered| answered.unwrap_or(false))
}

/// Whether `127.0.0.1:port` accepts a TCP connection.
pub async fn accepts_tcp(port: u16) -> bool {
    tokio::time::timeout(PROBE_TIMEOUT, TcpStream::connect((LOOPBACK, port)))
        .await
        .is_ok_and(|connected| connected.is_ok())
}

async fn exchange(port: u16) -> std::io::Result<bool> {
    let mut stream = TcpStream::connect((LOOPBACK, port)).await?;
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await?;
    let mut head = [0u8; 5];
    stream.read_exact(&mut head).await?;
    Ok(&head == b"HTTP/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    /// A server that answers with an HTTP status line counts as ready.
    #[tokio::test]
    async fn http_answer_counts_as_ready() {
        let listener = TcpListener::bind((LOOPBACK, 0)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = [0u8; 16];
            socket.read_exact(&mut request).await.unwrap();
            socket
                .write_all(b"HTTP/1.1 404 Not Found\r\n\r\n")
                .await
                .unwrap();
        });
        assert!(answers_http(port).await);
        server.await.unwrap();
    }

    /// A port that accepts but never speaks HTTP does not count as ready.
    #[tokio::test]
    async fn silent_listener_is_not_ready() {
        let listener = TcpListener::bind((LOOPBACK, 0)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let (socket, _) = listener.accept().await.unwrap();
            drop(socket);
        });
        assert!(!answers_http(port).await);
        server.await.unwrap();
    }

    /// A closed port is not ready.
    #[tokio::test]
    async fn closed_port_is_not_ready() {
        let port = crate::port::free_loopback_ports(1).unwrap()[0];
        assert!(!answers_http(port).await);
        assert!(!accepts_tcp(port).await);
    }
}
