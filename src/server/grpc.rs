//! The gRPC server (tonic, HTTP/2, cleartext or over TLS) for `imgwire.v1.ImageService`, written by
//! hand over a raw-bytes codec so protobuf decoding and encoding are timed as
//! server stages. An adapter: tonic receives and unframes the message, the
//! shared request path answers it, and the stage durations go back in the
//! `server-timing` trailer (or the error status's metadata). The Open
//! Inference Protocol's service, added beside it, runs its calls through the
//! same unary plumbing (`unary_with_timing`, `reply`).

use super::bodies::GrpcBodies;
use super::connection_limits::{body_timeout_message, request_timeout_message};
use super::deadlines::DeadlineBody;
use super::guarded::Activity;
use super::refusal::{restate_tonic_refusal, RefusalKind, RequestError};
use super::request::{answer, Answer, Received};
use super::{stopped, ServerState};
use crate::wire::codec::RawCodec;
use crate::wire::proto::paths;
use crate::wire::server_timing;
use crate::wire::PayloadKind;
use bytes::Bytes;
use http_body::{Body as HttpBody, Frame};
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Instant;
use tokio::sync::watch;
use tonic::body::Body;
use tonic::server::{Grpc, NamedService, UnaryService};
use tonic::{Request, Response, Status};

pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// Serves `imgwire.v1.ImageService` and the services in `others` (the
/// Open Inference Protocol's) on one port, over the connections `incoming`
/// hands over (plain or TLS).
pub async fn serve(
    incoming: super::accept::Incoming,
    state: Arc<ServerState>,
    others: tonic::service::Routes,
    signal: watch::Receiver<bool>,
) {
    let h2 = state.config.h2;
    let limits = state.config.limits;
    // No keep-alive pings: an idle connection must go quiet for the idle
    // limit (`guarded`) to close it; a dead peer goes quiet as well.
    let result = tonic::transport::Server::builder()
        .max_concurrent_streams(limits.max_streams)
        .initial_stream_window_size(h2.stream_window_bytes)
        .initial_connection_window_size(h2.connection_window_bytes)
        .http2_adaptive_window(Some(h2.adaptive_window))
        .max_frame_size(h2.max_frame_bytes)
        .add_routes(others)
        .add_service(ImageService { state })
        .serve_with_incoming_shutdown(incoming, stopped(signal))
        .await;
    if let Err(err) = result {
        eprintln!("error: the gRPC server stopped: {err}");
    }
}

#[derive(Clone)]
struct ImageService {
    state: Arc<ServerState>,
}

impl NamedService for ImageService {
    const NAME: &'static str = paths::SERVICE;
}

impl tower::Service<http::Request<Body>> for ImageService {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        // Headers have arrived; the body has not been read yet.
        let arrived = Instant::now();
        let payload = match request.uri().path() {
            paths::BASIC => PayloadKind::Basic,
            paths::BASE64 => PayloadKind::B64,
            paths::BINARY => PayloadKind::Binary,
            _ => {
                return Box::pin(async { Ok(Status::unimplemented("no such method").into_http()) })
            }
        };
        let state = self.state.clone();
        Box::pin(async move {
            let slot = TimingSlot::default();
            let method = Method {
                state: state.clone(),
                payload,
                arrived,
                slot: slot.clone(),
            };
            Ok(unary_with_timing(&state, method, slot, request).await)
        })
    }
}

/// Where a call leaves its `server-timing` value for the trailers.
pub type TimingSlot = Arc<Mutex<Option<http::HeaderValue>>>;

/// Runs one unary call of `method` over the raw codec, with the server's
/// message limits and gzip'd requests accepted (inflated while receiving;
/// answers go plain); the `server-timing` value `method` leaves in `slot`
/// goes in the trailers beside `grpc-status`. The message must arrive
/// within `--body-timeout-s` and the call end within `--request-timeout-s`
/// (`DEADLINE_EXCEEDED` otherwise, naming the flag, counted as
/// `body_timeout` or `request_timeout`); either drops what the call held.
pub async fn unary_with_timing<M>(
    state: &ServerState,
    method: M,
    slot: TimingSlot,
    request: http::Request<Body>,
) -> http::Response<Body>
where
    M: UnaryService<Bytes, Response = Bytes>,
{
    let limit = Some(state.config.max_message_bytes);
    let mut grpc = Grpc::new(RawCodec)
        .accept_compressed(tonic::codec::CompressionEncoding::Gzip)
        .apply_max_message_size_config(limit, limit);
    let limits = state.config.limits;
    let activity = request.extensions().get::<Activity>().cloned();
    let _in_flight = activity.as_ref().map(Activity::busy);
    let (parts, body) = request.into_parts();
    let body = DeadlineBody::new(body, limits.body);
    let body_late = body.deadline_passed();
    let request = http::Request::from_parts(parts, Body::new(body));
    let call = tokio::time::timeout(limits.request, grpc.unary(method, request));
    let Ok(response) = call.await else {
        state.refusals.count(RefusalKind::RequestTimeout);
        let message = request_timeout_message(limits.request);
        return Status::deadline_exceeded(message).into_http();
    };
    if body_late.passed() {
        let error = RequestError::BodyTimedOut(body_timeout_message(limits.body));
        state.refusals.record(&error);
        return error.grpc_status().into_http();
    }
    let response = restate_tonic_refusal(response, state.config.max_message_bytes, &state.refusals);
    let trailer = slot.lock().ok().and_then(|mut slot| slot.take());
    response.map(|body| {
        Body::new(WithTrailer {
            inner: body,
            trailer,
        })
    })
}

/// An answer of the shared request path as a gRPC reply: its stage
/// durations go in `slot` (for the trailers) when it succeeded, in the
/// status's metadata when it was refused.
pub fn reply(answered: Answer, slot: &TimingSlot) -> Result<Response<Bytes>, Status> {
    let text = answered.timings.to_header();
    match answered.result {
        Ok(body) => {
            if let Ok(mut slot) = slot.lock() {
                *slot = http::HeaderValue::from_str(&text).ok();
            }
            Ok(Response::new(body))
        }
        Err(err) => {
            let mut status = err.grpc_status();
            if let Ok(value) = text.parse() {
                status.metadata_mut().insert(server_timing::HEADER, value);
            }
            Err(status)
        }
    }
}

/// One call of one method.
struct Method {
    state: Arc<ServerState>,
    payload: PayloadKind,
    arrived: Instant,
    slot: TimingSlot,
}

impl UnaryService<Bytes> for Method {
    type Response = Bytes;
    type Future = BoxFuture<Result<Response<Bytes>, Status>>;

    fn call(&mut self, request: Request<Bytes>) -> Self::Future {
        // tonic has read and unframed the message by now: that is receiving.
        let received = Received {
            payload: self.payload,
            body: request.into_inner(),
            receive: self.arrived.elapsed(),
        };
        let (state, slot) = (self.state.clone(), self.slot.clone());
        Box::pin(async move {
            let answered = answer(&state, received, &GrpcBodies).await;
            reply(answered, &slot)
        })
    }
}

/// A response body that adds the `server-timing` trailer beside tonic's
/// `grpc-status`.
struct WithTrailer {
    inner: Body,
    trailer: Option<http::HeaderValue>,
}

impl HttpBody for WithTrailer {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match polled {
            Poll::Ready(Some(Ok(frame))) if frame.is_trailers() => {
                let mut trailers = frame.into_trailers().unwrap_or_default();
                if let Some(value) = self.trailer.take() {
                    trailers.insert(server_timing::HEADER, value);
                }
                Poll::Ready(Some(Ok(Frame::trailers(trailers))))
            }
            other => other,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}
