//! The gRPC server (tonic, HTTP/2, cleartext or over TLS) and
//! `imgwire.v1.ImageService`'s method table: `Basic`, `Base64Image` and
//! `BinaryImage`, one payload kind each, answered by the shared request
//! path. An adapter: the router (`grpc_service`) receives and unframes the
//! message over the raw codec, so protobuf work is timed as server stages,
//! and carries the stage durations back in the `server-timing` trailer; the
//! Open Inference Protocol's service (`v2::grpc`) is served beside it.

use super::bodies::GrpcBodies;
use super::grpc_service::{reply, MethodRouter, MethodTable, Reply, TimingSlot, Unframed};
use super::request::{answer, Received};
use super::{stopped, ServerState};
use crate::wire::proto::paths;
use crate::wire::PayloadKind;
use std::sync::Arc;
use tokio::sync::watch;

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
        .add_service(MethodRouter(ImageService { state }))
        .serve_with_incoming_shutdown(incoming, stopped(signal))
        .await;
    if let Err(err) = result {
        eprintln!("error: the gRPC server stopped: {err}");
    }
}

/// `imgwire.v1.ImageService`: each method is one payload kind.
#[derive(Clone)]
struct ImageService {
    state: Arc<ServerState>,
}

impl MethodTable for ImageService {
    const NAME: &'static str = paths::SERVICE;
    type Method = PayloadKind;

    fn route(path: &str) -> Option<PayloadKind> {
        match path {
            paths::BASIC => Some(PayloadKind::Basic),
            paths::BASE64 => Some(PayloadKind::B64),
            paths::BINARY => Some(PayloadKind::Binary),
            _ => None,
        }
    }

    fn state(&self) -> &ServerState {
        &self.state
    }

    fn answer(&self, payload: PayloadKind, request: Unframed, slot: TimingSlot) -> Reply {
        let received = Received {
            payload,
            body: request.message,
            receive: request.receive,
        };
        let state = Arc::clone(&self.state);
        Box::pin(async move {
            let answered = answer(&state, received, &GrpcBodies).await;
            let ok = answered.result.is_ok();
            crate::metrics::server::record(&state.metrics, "grpc", &answered.timings, ok);
            reply(answered, &slot)
        })
    }
}
