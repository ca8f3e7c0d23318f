//! Why the server refuses a request, in words a user can act on, the HTTP
//! and gRPC status each refusal maps to, and how many of each kind the
//! server has refused (`GET /stats`, and `imgwire serve` on exit).

use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

/// Why a request was refused. Each names the problem in words a user can act on.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    #[error("malformed request: {0}")]
    Malformed(String),
    /// The body or gRPC message is over `--max-message-mb`.
    #[error("{0}")]
    TooLarge(String),
    /// The image declares more pixels than `--max-pixels`.
    #[error("{0}")]
    TooManyPixels(String),
    /// The body's Content-Type contradicts the route.
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    #[error("bad image: {0}")]
    BadImage(String),
    #[error("size mismatch: {0}")]
    Mismatch(String),
    #[error("server error: {0}")]
    Internal(String),
    /// The request names something this server does not serve (a v2 model).
    #[error("{0}")]
    NotFound(String),
    /// The body did not arrive whole within `--body-timeout-s`.
    #[error("{0}")]
    BodyTimedOut(String),
}

/// A refusal's kind, as `GET /stats` counts it: a request refused, or a
/// connection the servers closed on a slow or idle client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RefusalKind {
    Malformed,
    TooLarge,
    TooManyPixels,
    UnsupportedMediaType,
    BadImage,
    Mismatch,
    Internal,
    NotFound,
    /// A connection closed at once: `--max-connections` were open.
    ConnectionLimit,
    /// A connection closed because nothing moved on it for
    /// `--idle-timeout-s` (or nothing came within `--header-timeout-s` of
    /// connecting).
    IdleClosed,
    /// A request body or gRPC message not whole within `--body-timeout-s`.
    BodyTimeout,
    /// A request not answered within `--request-timeout-s`.
    RequestTimeout,
}

impl RefusalKind {
    pub const ALL: [RefusalKind; 12] = [
        RefusalKind::Malformed,
        RefusalKind::TooLarge,
        RefusalKind::TooManyPixels,
        RefusalKind::UnsupportedMediaType,
        RefusalKind::BadImage,
        RefusalKind::Mismatch,
        RefusalKind::Internal,
        RefusalKind::NotFound,
        RefusalKind::ConnectionLimit,
        RefusalKind::IdleClosed,
        RefusalKind::BodyTimeout,
        RefusalKind::RequestTimeout,
    ];

    /// The name `GET /stats` shows.
    pub fn name(self) -> &'static str {
        match self {
            RefusalKind::Malformed => "malformed",
            RefusalKind::TooLarge => "too_large",
            RefusalKind::TooManyPixels => "too_many_pixels",
            RefusalKind::UnsupportedMediaType => "unsupported_media_type",
            RefusalKind::BadImage => "bad_image",
            RefusalKind::Mismatch => "mismatch",
            RefusalKind::Internal => "internal",
            RefusalKind::NotFound => "not_found",
            RefusalKind::ConnectionLimit => "connection_limit",
            RefusalKind::IdleClosed => "idle_closed",
            RefusalKind::BodyTimeout => "body_timeout",
            RefusalKind::RequestTimeout => "request_timeout",
        }
    }
}

impl RequestError {
    pub fn kind(&self) -> RefusalKind {
        match self {
            RequestError::Malformed(_) => RefusalKind::Malformed,
            RequestError::TooLarge(_) => RefusalKind::TooLarge,
            RequestError::TooManyPixels(_) => RefusalKind::TooManyPixels,
            RequestError::UnsupportedMediaType(_) => RefusalKind::UnsupportedMediaType,
            RequestError::BadImage(_) => RefusalKind::BadImage,
            RequestError::Mismatch(_) => RefusalKind::Mismatch,
            RequestError::Internal(_) => RefusalKind::Internal,
            RequestError::NotFound(_) => RefusalKind::NotFound,
            RequestError::BodyTimedOut(_) => RefusalKind::BodyTimeout,
        }
    }

    pub fn http_status(&self) -> http::StatusCode {
        use http::StatusCode;
        match self {
            RequestError::Malformed(_) => StatusCode::BAD_REQUEST,
            RequestError::TooLarge(_) | RequestError::TooManyPixels(_) => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            RequestError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            RequestError::BadImage(_) | RequestError::Mismatch(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            RequestError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            RequestError::NotFound(_) => StatusCode::NOT_FOUND,
            RequestError::BodyTimedOut(_) => StatusCode::REQUEST_TIMEOUT,
        }
    }

    pub fn grpc_status(&self) -> tonic::Status {
        let message = self.to_string();
        match self {
            RequestError::Malformed(_)
            | RequestError::UnsupportedMediaType(_)
            | RequestError::BadImage(_)
            | RequestError::Mismatch(_) => tonic::Status::invalid_argument(message),
            RequestError::TooLarge(_) | RequestError::TooManyPixels(_) => {
                tonic::Status::resource_exhausted(message)
            }
            RequestError::Internal(_) => tonic::Status::internal(message),
            RequestError::NotFound(_) => tonic::Status::not_found(message),
            RequestError::BodyTimedOut(_) => tonic::Status::deadline_exceeded(message),
        }
    }
}

/// The message for a body over the limit, naming the flag that raises it.
pub fn too_large(limit: usize) -> RequestError {
    RequestError::TooLarge(format!(
        "request body is over the server's limit of {} MiB (raise it with --max-message-mb)",
        limit / (1024 * 1024)
    ))
}

/// How many requests the server refused, of each kind, since it started.
#[derive(Debug, Default)]
pub struct RefusalCounts {
    counts: [AtomicU64; RefusalKind::ALL.len()],
}

/// What `GET /stats` answers.
#[derive(Debug, Serialize)]
pub struct RefusalSnapshot {
    /// Every kind, refused or not, by name.
    pub refused: BTreeMap<&'static str, u64>,
    pub refused_total: u64,
}

impl RefusalCounts {
    /// Counts one refused request.
    pub fn record(&self, error: &RequestError) {
        self.count(error.kind());
    }

    /// Counts one refusal of `kind` (a connection closed has no
    /// `RequestError`).
    pub fn count(&self, kind: RefusalKind) {
        self.counts[kind as usize].fetch_add(1, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> RefusalSnapshot {
        let refused: BTreeMap<_, _> = RefusalKind::ALL
            .iter()
            .map(|kind| {
                (
                    kind.name(),
                    self.counts[*kind as usize].load(Ordering::Relaxed),
                )
            })
            .collect();
        RefusalSnapshot {
            refused_total: refused.values().sum(),
            refused,
        }
    }
}

impl std::fmt::Display for RefusalSnapshot {
    /// One line: the total, then each kind that was refused at least once.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "refused requests: {}", self.refused_total)?;
        let seen: Vec<String> = self
            .refused
            .iter()
            .filter(|(_, count)| **count > 0)
            .map(|(kind, count)| format!("{kind} {count}"))
            .collect();
        if !seen.is_empty() {
            write!(f, " ({})", seen.join(", "))?;
        }
        Ok(())
    }
}

/// tonic refuses a gRPC message over the limit itself, before any of our
/// code runs: OUT_OF_RANGE when the frame says it is too long, and
/// RESOURCE_EXHAUSTED when a gzip'd one inflates past it, neither naming
/// the flag. This restates both as our `too_large` refusal (counted), and
/// passes any other response through.
pub fn restate_message_limit(
    response: http::Response<tonic::body::Body>,
    limit: usize,
    counts: &RefusalCounts,
) -> http::Response<tonic::body::Body> {
    let Some(status) = tonic::Status::from_header_map(response.headers()) else {
        return response;
    };
    let message = status.message();
    let over_limit = match status.code() {
        tonic::Code::OutOfRange => message.contains("message length too large"),
        tonic::Code::ResourceExhausted => message.contains("size limit"),
        _ => false,
    };
    if !over_limit {
        return response;
    }
    let error = too_large(limit);
    counts.record(&error);
    let mut restated: http::Response<tonic::body::Body> = error.grpc_status().into_http();
    restated.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/grpc"),
    );
    restated
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_each_kind_by_name() {
        let counts = RefusalCounts::default();
        counts.record(&RequestError::Malformed("x".into()));
        counts.record(&RequestError::Malformed("y".into()));
        counts.record(&RequestError::TooManyPixels("z".into()));
        let snapshot = counts.snapshot();
        assert_eq!(snapshot.refused["malformed"], 2);
        assert_eq!(snapshot.refused["too_many_pixels"], 1);
        assert_eq!(snapshot.refused["bad_image"], 0);
        assert_eq!(snapshot.refused.len(), RefusalKind::ALL.len());
        assert_eq!(snapshot.refused_total, 3);
        assert_eq!(
            snapshot.to_string(),
            "refused requests: 3 (malformed 2, too_many_pixels 1)"
        );
    }

    #[test]
    fn closed_connections_count_beside_refused_requests() {
        let counts = RefusalCounts::default();
        counts.count(RefusalKind::ConnectionLimit);
        counts.count(RefusalKind::IdleClosed);
        counts.record(&RequestError::BodyTimedOut("late".into()));
        let snapshot = counts.snapshot();
        assert_eq!(snapshot.refused["connection_limit"], 1);
        assert_eq!(snapshot.refused["idle_closed"], 1);
        assert_eq!(snapshot.refused["body_timeout"], 1);
        assert_eq!(snapshot.refused["request_timeout"], 0);
        assert_eq!(snapshot.refused_total, 3);
    }

    #[test]
    fn kinds_are_in_the_order_all_lists_them() {
        for (index, kind) in RefusalKind::ALL.iter().enumerate() {
            assert_eq!(*kind as usize, index);
        }
    }

    #[test]
    fn tonic_s_limit_refusals_become_ours() {
        let counts = RefusalCounts::default();
        let tonic_says = tonic::Status::out_of_range(
            "Error, decoded message length too large: found 9 bytes, the limit is: 4 bytes",
        );
        let restated = restate_message_limit(tonic_says.into_http(), 4 << 20, &counts);
        let status = tonic::Status::from_header_map(restated.headers()).unwrap();
        assert_eq!(status.code(), tonic::Code::ResourceExhausted);
        assert!(status.message().contains("--max-message-mb"), "{status:?}");
        assert_eq!(counts.snapshot().refused["too_large"], 1);
        let other = tonic::Status::invalid_argument("no");
        let passed = restate_message_limit(other.into_http(), 4, &counts);
        let status = tonic::Status::from_header_map(passed.headers()).unwrap();
        assert_eq!(status.code(), tonic::Code::InvalidArgument);
    }
}
