//! Small servers, on 127.0.0.1:0, that speak a foreign target's protocol
//! (v2, the seed's, TorchServe's) but answer differently from imgwire's own
//! stand-ins wherever the protocol lets a server differ: the client must
//! take what the protocol promises, not what one server happens to send.
//! REST and gRPC share one port (HTTP/1.1 and h2c, told apart by axum).
#![allow(dead_code)]

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, Full};

/// A server running on its own thread and runtime (the bench under test
/// runs its own), for the whole test process.
pub struct VariantServer {
    pub url: String,
}

/// Serves `router` on a free loopback port.
pub fn serve(router: axum::Router) -> VariantServer {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.set_nonblocking(true).expect("non-blocking");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("a tokio listener");
            axum::serve(listener, router)
                .await
                .expect("the server runs");
        });
    });
    VariantServer { url }
}

/// A gRPC request's message: the body less its 5-byte frame header.
pub fn grpc_message(body: &[u8]) -> &[u8] {
    body.get(5..).unwrap_or_default()
}

/// A gRPC answer: `message` framed, then trailers with status 0.
pub fn grpc_ok(message: Vec<u8>) -> Response {
    let mut frame = Vec::with_capacity(5 + message.len());
    frame.push(0);
    frame.extend_from_slice(&(message.len() as u32).to_be_bytes());
    frame.extend_from_slice(&message);
    let mut trailers = HeaderMap::new();
    trailers.insert("grpc-status", HeaderValue::from_static("0"));
    let body = Full::new(Bytes::from(frame)).with_trailers(async move { Some(Ok(trailers)) });
    grpc_response(Body::new(body))
}

/// A gRPC error: no message, the status in the headers (trailers-only).
pub fn grpc_error(code: u16, message: &str) -> Response {
    let mut response = grpc_response(Body::empty());
    let headers = response.headers_mut();
    headers.insert("grpc-status", HeaderValue::from(code));
    let message = HeaderValue::from_str(message).expect("an ASCII message");
    headers.insert("grpc-message", message);
    response
}

fn grpc_response(body: Body) -> Response {
    let mut response = Response::new(body);
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static("application/grpc"));
    response
}

/// A JSON answer with `status`.
pub fn json(status: StatusCode, value: serde_json::Value) -> Response {
    (
        status,
        [("content-type", "application/json")],
        value.to_string(),
    )
        .into_response()
}
