//! The upstream call: one HTTP/1.1 connection per request (loopback, so the
//! handshake costs nothing worth pooling for).

use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::http::request::Parts;
use hyper::{Request, Response, header};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Sends the request made of `parts` and `body` to `upstream` and reads the
/// whole answer.
pub(crate) async fn forward(
    upstream: SocketAddr,
    parts: &Parts,
    body: Bytes,
) -> Result<Response<Bytes>, BoxError> {
    let stream = TcpStream::connect(upstream).await?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let path = parts
        .uri
        .path_and_query()
        .map_or("/", |path| path.as_str())
        .to_owned();
    let mut request = Request::builder()
        .method(parts.method.clone())
        .uri(path)
        .body(Full::new(body))?;
    *request.headers_mut() = parts.headers.clone();
    // The body may have changed: hyper sets the length of the one sent.
    request.headers_mut().remove(header::CONTENT_LENGTH);
    request.headers_mut().remove(header::TRANSFER_ENCODING);
    let response = sender.send_request(request).await?;
    let (head, body) = response.into_parts();
    let body = body.collect().await?.to_bytes();
    Ok(Response::from_parts(head, body))
}
