//! The one hand-written gRPC `tower::Service` of the built-in servers. A
//! service is a table of unary methods (`MethodTable`: its name, which of
//! its methods a path names, how one call of each is answered), and
//! `MethodRouter` serves any table over the raw-bytes codec, so protobuf
//! decoding and encoding stay the server's own timed stages: tonic
//! receives and unframes the message under the server's message limits and
//! deadlines (`unary_with_timing`), the table answers it, and the stage
//! durations go back in the `server-timing` trailer, or the error status's
//! metadata (`reply`). imgwire's own service (`grpc`) and the Open
//! Inference Protocol's (`v2::grpc`) are two tables.

use super::connection_limits::{body_timeout_message, request_timeout_message};
use super::deadlines::DeadlineBody;
use super::guarded::Activity;
use super::refusal::{restate_tonic_refusal, RefusalKind, RequestError};
use super::request::Answer;
use super::ServerState;
use crate::trace_context::{TraceParent, TRACEPARENT};
use crate::wire::codec::RawCodec;
use crate::wire::server_timing;
use bytes::Bytes;
use http_body::{Body as HttpBody, Frame};
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tonic::body::Body;
use tonic::server::{Grpc, NamedService, UnaryService};
use tonic::{Request, Response, Status};

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// Where a call leaves its `server-timing` value for the trailers.
pub type TimingSlot = Arc<Mutex<Option<http::HeaderValue>>>;

/// The answer to one call: its message, or the status it failed with.
pub type Reply = BoxFuture<Result<Response<Bytes>, Status>>;

/// One call's request message as tonic hands it over.
pub struct Unframed {
    /// The message, read, inflated and unframed.
    pub message: Bytes,
    /// From the call's headers to the message unframed: receiving.
    pub receive: Duration,
}

/// One gRPC service's unary methods.
pub trait MethodTable: Clone + Send + Sync + 'static {
    /// The service's full name, as in its method paths
    /// (`/NAME/Method`).
    const NAME: &'static str;
    /// One of the service's methods.
    type Method: Copy + Send + 'static;

    /// The method the request path `path` names, if the service has it.
    fn route(path: &str) -> Option<Self::Method>;

    /// The server state the calls run under (limits, refusal counts).
    fn state(&self) -> &ServerState;

    /// Answers one call of `method`; a `server-timing` value goes in
    /// `slot` (see `reply`).
    fn answer(&self, method: Self::Method, request: Unframed, slot: TimingSlot) -> Reply;
}

/// A service whose calls `table` answers, ready to serve.
pub fn routes<M: MethodTable>(table: M) -> tonic::service::Routes {
    tonic::service::Routes::new(MethodRouter(table))
}

/// Serves the methods of table `M`, each call as a unary call over the raw
/// codec; a path it does not have is `UNIMPLEMENTED`.
#[derive(Clone)]
pub struct MethodRouter<M>(pub M);

impl<M: MethodTable> NamedService for MethodRouter<M> {
    const NAME: &'static str = M::NAME;
}

impl<M: MethodTable> tower::Service<http::Request<Body>> for MethodRouter<M> {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        // Headers have arrived; the body has not been read yet.
        let arrived = Instant::now();
        let Some(method) = M::route(request.uri().path()) else {
            let message = format!("{} has no such method here", M::NAME);
            return Box::pin(async move { Ok(Status::unimplemented(message).into_http()) });
        };
        let table = self.0.clone();
        let trace = TraceParent::from_headers(request.headers(), TRACEPARENT);
        Box::pin(async move {
            let slot = TimingSlot::default();
            let call = Call {
                table: table.clone(),
                method,
                arrived,
                slot: slot.clone(),
            };
            let mut response = unary_with_timing(table.state(), call, slot, request).await;
            if let Some(trace) = trace {
                super::rest::answer_under(trace, response.headers_mut());
            }
            Ok(response)
        })
    }
}

/// One call of one method of table `M`.
struct Call<M: MethodTable> {
    table: M,
    method: M::Method,
    arrived: Instant,
    slot: TimingSlot,
}

impl<M: MethodTable> UnaryService<Bytes> for Call<M> {
    type Response = Bytes;
    type Future = Reply;

    fn call(&mut self, request: Request<Bytes>) -> Reply {
        // tonic has read and unframed the message by now: that is receiving.
        let unframed = Unframed {
            message: request.into_inner(),
            receive: self.arrived.elapsed(),
        };
        self.table.answer(self.method, unframed, self.slot.clone())
    }
}

/// Runs one unary call of `method` over the raw codec, with the server's
/// message limits and gzip'd requests accepted (inflated while receiving;
/// answers go plain); the `server-timing` value `method` leaves in `slot`
/// goes in the trailers beside `grpc-status`. The message must arrive
/// within `--body-timeout-s` and the call end within `--request-timeout-s`
/// (`DEADLINE_EXCEEDED` otherwise, naming the flag, counted as
/// `body_timeout` or `request_timeout`); either drops what the call held.
async fn unary_with_timing<U>(
    state: &ServerState,
    method: U,
    slot: TimingSlot,
    request: http::Request<Body>,
) -> http::Response<Body>
where
    U: UnaryService<Bytes, Response = Bytes>,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::ServerConfig;
    use http_body_util::{BodyExt, Full};
    use tower::ServiceExt;

    /// A table of one method, `Upper`, that answers its message in upper
    /// case and leaves a `server-timing` value.
    #[derive(Clone)]
    struct Shouting(Arc<ServerState>);

    impl MethodTable for Shouting {
        const NAME: &'static str = "test.Shouting";
        type Method = ();

        fn route(path: &str) -> Option<()> {
            (path == "/test.Shouting/Upper").then_some(())
        }

        fn state(&self) -> &ServerState {
            &self.0
        }

        fn answer(&self, (): (), request: Unframed, slot: TimingSlot) -> Reply {
            *slot.lock().unwrap() = Some(http::HeaderValue::from_static("decode;dur=1"));
            let upper = request.message.to_ascii_uppercase();
            Box::pin(async move { Ok(Response::new(Bytes::from(upper))) })
        }
    }

    /// A unary call of `path` with `message`, as a gRPC client frames it;
    /// the answer's message and trailers.
    async fn call(path: &str, message: &[u8]) -> (Bytes, http::HeaderMap) {
        let state = Arc::new(ServerState::new(ServerConfig::for_tests(1 << 20)));
        let mut framed = vec![0];
        framed.extend_from_slice(&(message.len() as u32).to_be_bytes());
        framed.extend_from_slice(message);
        let request = http::Request::post(path)
            .header("content-type", "application/grpc")
            .header("te", "trailers")
            .body(Body::new(Full::new(Bytes::from(framed))))
            .unwrap();
        let response = MethodRouter(Shouting(state))
            .oneshot(request)
            .await
            .unwrap();
        let (parts, body) = response.into_parts();
        let collected = body.collect().await.unwrap();
        let mut trailers = collected.trailers().cloned().unwrap_or_default();
        // A call refused at once has its status in the headers.
        trailers.extend(parts.headers);
        let bytes = collected.to_bytes();
        let message = bytes
            .get(5..)
            .map(Bytes::copy_from_slice)
            .unwrap_or_default();
        (message, trailers)
    }

    #[tokio::test]
    async fn a_routed_call_is_answered_with_its_server_timing_trailer() {
        let (message, trailers) = call("/test.Shouting/Upper", b"quiet").await;
        assert_eq!(&message[..], b"QUIET");
        assert_eq!(trailers["grpc-status"], "0");
        assert_eq!(trailers[server_timing::HEADER], "decode;dur=1");
    }

    #[tokio::test]
    async fn a_path_the_table_lacks_is_unimplemented_naming_the_service() {
        let (message, trailers) = call("/test.Shouting/Whisper", b"quiet").await;
        assert!(message.is_empty());
        assert_eq!(trailers["grpc-status"], "12");
        let said = trailers["grpc-message"].to_str().unwrap();
        assert!(said.contains("test.Shouting"), "{said}");
    }
}
