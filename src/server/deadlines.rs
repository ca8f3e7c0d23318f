//! Time limits on one request, for both servers: a request body that fails
//! once it has not arrived whole within `--body-timeout-s` (so a stalled
//! upload's buffer is dropped), and the REST middleware that answers 503
//! past `--request-timeout-s` (counted as `request_timeout`). (gRPC's
//! whole-call limit lives beside its unary plumbing; a connection's idle
//! limit is `guarded`'s.)

use super::connection_limits::{body_timeout_message, request_timeout_message, ConnectionLimits};
use super::refusal::{RefusalCounts, RefusalKind};
use crate::wire::json::ErrorJson;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::header;
use http_body::{Body as HttpBody, Frame, SizeHint};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::Sleep;

/// The request body did not arrive whole within `--body-timeout-s`.
#[derive(Debug, thiserror::Error)]
#[error("{}", body_timeout_message(*limit))]
pub struct BodyTimedOut {
    limit: Duration,
}

/// Whether a `DeadlineBody` ran out of time, for whoever answers the
/// request after the body has been handed on.
#[derive(Clone, Debug, Default)]
pub struct BodyDeadlinePassed(Arc<AtomicBool>);

impl BodyDeadlinePassed {
    pub fn passed(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// A request body that errors once its deadline passes before its end.
pub struct DeadlineBody<B> {
    inner: B,
    limit: Duration,
    deadline: Pin<Box<Sleep>>,
    passed: BodyDeadlinePassed,
}

impl<B> DeadlineBody<B> {
    /// `inner` must end within `limit` from now.
    pub fn new(inner: B, limit: Duration) -> Self {
        DeadlineBody {
            inner,
            limit,
            deadline: Box::pin(tokio::time::sleep(limit)),
            passed: BodyDeadlinePassed::default(),
        }
    }

    /// Says, later, whether this body ran out of time.
    pub fn deadline_passed(&self) -> BodyDeadlinePassed {
        self.passed.clone()
    }
}

impl<B> HttpBody for DeadlineBody<B>
where
    B: HttpBody<Data = Bytes> + Unpin,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        match Pin::new(&mut self.inner).poll_frame(cx) {
            Poll::Ready(frame) => Poll::Ready(frame.map(|f| f.map_err(Into::into))),
            Poll::Pending => {
                if self.deadline.as_mut().poll(cx).is_ready() {
                    self.passed.0.store(true, Ordering::Relaxed);
                    let limit = self.limit;
                    Poll::Ready(Some(Err(Box::new(BodyTimedOut { limit }))))
                } else {
                    Poll::Pending
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// What the REST middleware needs: the limits, and where a request past
/// its time is counted.
#[derive(Clone)]
pub struct RestDeadlines {
    pub limits: ConnectionLimits,
    pub refusals: Arc<RefusalCounts>,
}

/// Whether `error` (or any error under it) is a body past its deadline.
pub fn is_body_timeout(error: &(dyn std::error::Error + 'static)) -> bool {
    std::iter::successors(Some(error), |error| error.source()).any(|e| e.is::<BodyTimedOut>())
}

/// REST middleware: the body under `--body-timeout-s`, the whole answer
/// under `--request-timeout-s` (503 past it, naming the flag).
pub async fn rest_deadlines(
    State(deadlines): State<RestDeadlines>,
    request: Request,
    next: Next,
) -> Response {
    let limits = deadlines.limits;
    let request = request.map(|body| axum::body::Body::new(DeadlineBody::new(body, limits.body)));
    match tokio::time::timeout(limits.request, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            deadlines.refusals.count(RefusalKind::RequestTimeout);
            let error = request_timeout_message(limits.request);
            let body = serde_json::to_vec(&ErrorJson { error }).unwrap_or_default();
            let json = [(header::CONTENT_TYPE, "application/json")];
            (http::StatusCode::SERVICE_UNAVAILABLE, json, body).into_response()
        }
    }
}
