//! `GET /metrics` for `imgwire bench --metrics-addr`: its own thread and
//! single-threaded runtime, so a scrape never waits on the run's runtime
//! and the run never waits on a scrape (it only takes the registry's lock
//! to render).

use super::registry::Registry;
use super::CONTENT_TYPE;
use anyhow::Result;
use axum::body::Bytes;
use axum::routing::get;
use std::net::SocketAddr;
use std::sync::Arc;

/// The route that renders `registry`, for a router of its own or the
/// REST server's. The registry learns when each answer's body has been
/// handed whole to its connection ([`Registry::mark_sent`]).
pub fn route<S: Clone + Send + Sync + 'static>(
    registry: Arc<Registry>,
) -> axum::routing::MethodRouter<S> {
    get(move || {
        let text = registry.render();
        let body = SentMark {
            text: Some(Bytes::from(text)),
            registry: Arc::clone(&registry),
        };
        async move {
            (
                [(http::header::CONTENT_TYPE, CONTENT_TYPE)],
                axum::body::Body::new(body),
            )
        }
    })
}

/// A rendered text as a body that tells the registry once it was taken.
struct SentMark {
    text: Option<Bytes>,
    registry: Arc<Registry>,
}

impl http_body::Body for SentMark {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        let frame = self
            .text
            .take()
            .map(|text| Ok(http_body::Frame::data(text)));
        if frame.is_none() {
            self.registry.mark_sent();
        }
        std::task::Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.text.is_none()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        http_body::SizeHint::with_exact(self.text.as_ref().map_or(0, |t| t.len() as u64))
    }
}

impl Drop for SentMark {
    fn drop(&mut self) {
        if self.text.is_none() {
            self.registry.mark_sent();
        }
    }
}

/// Listens on `addr` (port 0: any free port) and serves `/metrics` from
/// `registry` on a thread of its own for as long as the process lives.
/// Returns the address bound.
pub fn serve(addr: SocketAddr, registry: Arc<Registry>) -> Result<SocketAddr> {
    let app = axum::Router::new().route("/metrics", route(registry));
    crate::net::own_thread::serve_on_own_thread(addr, app, "metrics", "--metrics-addr")
}
