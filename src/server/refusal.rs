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
    /// The JPEG holds more scans than `--max-scans` or `--max-scan-pixels` allow.
    #[error("{0}")]
    TooManyScans(String),
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
    TooManyScans,
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
    pub const ALL: [RefusalKind; 13] = [
        RefusalKind::Malformed,
        RefusalKind::TooLarge,
        RefusalKind::TooManyPixels,
        RefusalKind::TooManyScans,
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
            RefusalKind::TooManyScans => "too_many_scans",
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
            RequestError::TooManyScans(_) => RefusalKind::TooManyScans,
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
            RequestError::TooLarge(_)
            | RequestError::TooManyPixels(_)
            | RequestError::TooManyScans(_) => StatusCode::PAYLOAD_TOO_LARGE,
            RequestError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            RequestError::BadImage(_) | RequestError::Mismatch(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            RequestError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            RequestError::NotFound(_) => StatusCode::NOT_FOUND,
            RequestError::BodyTimedOut(_) => StatusCode::REQUEST_TIMEOUT,
        }
    }

    /// What the client reads: the refusal in words, cut to
    /// [`MAX_MESSAGE_BYTES`] whatever input it quotes.
    pub fn message(&self) -> String {
        cut_to(self.to_string(), MAX_MESSAGE_BYTES)
    }

    pub fn grpc_status(&self) -> tonic::Status {
        let message = self.message();
        match self {
            RequestError::Malformed(_)
            | RequestError::UnsupportedMediaType(_)
            | RequestError::BadImage(_)
            | RequestError::Mismatch(_) => tonic::Status::invalid_argument(message),
            RequestError::TooLarge(_)
            | RequestError::TooManyPixels(_)
            | RequestError::TooManyScans(_) => tonic::Status::resource_exhausted(message),
            RequestError::Internal(_) => tonic::Status::internal(message),
            RequestError::NotFound(_) => tonic::Status::not_found(message),
            RequestError::BodyTimedOut(_) => tonic::Status::deadline_exceeded(message),
        }
    }
}

/// The most of a client's own input (a name, a header, a shape) a refusal
/// quotes: enough to recognise it, never the megabytes it may be.
pub const ECHO_BYTES: usize = 64;

/// The longest refusal message a client is sent (REST's `error`, gRPC's
/// `grpc-message`), whatever it quotes.
pub const MAX_MESSAGE_BYTES: usize = 1024;

/// `text`, a client's input, as a refusal quotes it: whole when short,
/// otherwise its first [`ECHO_BYTES`] and how long it was.
pub fn echo(text: &str) -> String {
    if text.len() <= ECHO_BYTES {
        return text.to_string();
    }
    format!("{}... ({} bytes)", prefix(text, ECHO_BYTES), text.len())
}

/// A list from a client (a shape's dimensions) as a refusal quotes it:
/// its first 8 items, and how many it had.
pub fn echo_list<T: std::fmt::Debug>(items: &[T]) -> String {
    const SHOWN: usize = 8;
    if items.len() <= SHOWN {
        return format!("{items:?}");
    }
    let shown: Vec<String> = items[..SHOWN].iter().map(|i| format!("{i:?}")).collect();
    format!("[{}, ... ({} items)]", shown.join(", "), items.len())
}

/// `text` cut to `limit` bytes (on a character boundary), saying so.
fn cut_to(text: String, limit: usize) -> String {
    if text.len() <= limit {
        return text;
    }
    format!(
        "{}... (cut from {} bytes)",
        prefix(&text, limit),
        text.len()
    )
}

/// The longest start of `text` within `limit` bytes.
fn prefix(text: &str, limit: usize) -> &str {
    let mut end = limit.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
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

/// tonic refuses some gRPC messages itself, before any of our code runs:
/// OUT_OF_RANGE when the frame says it is over the limit,
/// RESOURCE_EXHAUSTED when a gzip'd one inflates past it, INTERNAL when a
/// gzip'd one is not gzip; none naming the flag or counted. This restates
/// the first two as our `too_large` refusal and the third as `malformed`
/// (INVALID_ARGUMENT: the client's bytes are wrong, not the server),
/// counting each, and passes any other response through.
pub fn restate_tonic_refusal(
    response: http::Response<tonic::body::Body>,
    limit: usize,
    counts: &RefusalCounts,
) -> http::Response<tonic::body::Body> {
    let Some(status) = tonic::Status::from_header_map(response.headers()) else {
        return response;
    };
    let message = status.message();
    let error = match status.code() {
        tonic::Code::OutOfRange if message.contains("message length too large") => too_large(limit),
        tonic::Code::ResourceExhausted if message.contains("size limit") => too_large(limit),
        tonic::Code::Internal if message.starts_with("Error decompressing") => {
            RequestError::Malformed(format!(
                "the gRPC message is marked gzip (grpc-encoding) but could not be inflated: {}",
                echo(message)
            ))
        }
        _ => return response,
    };
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
        let restated = restate_tonic_refusal(tonic_says.into_http(), 4 << 20, &counts);
        let status = tonic::Status::from_header_map(restated.headers()).unwrap();
        assert_eq!(status.code(), tonic::Code::ResourceExhausted);
        assert!(status.message().contains("--max-message-mb"), "{status:?}");
        assert_eq!(counts.snapshot().refused["too_large"], 1);
        let other = tonic::Status::invalid_argument("no");
        let passed = restate_tonic_refusal(other.into_http(), 4, &counts);
        let status = tonic::Status::from_header_map(passed.headers()).unwrap();
        assert_eq!(status.code(), tonic::Code::InvalidArgument);
        let bad_gzip = tonic::Status::internal(
            "Error decompressing: invalid gzip header, while sending request",
        );
        let restated = restate_tonic_refusal(bad_gzip.into_http(), 4, &counts);
        let status = tonic::Status::from_header_map(restated.headers()).unwrap();
        assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
        assert!(status.message().contains("gzip"), "{status:?}");
        assert_eq!(counts.snapshot().refused["malformed"], 1);
        let protocol = tonic::Status::internal("protocol error: received message with compressed-flag but no grpc-encoding was specified");
        let passed = restate_tonic_refusal(protocol.into_http(), 4, &counts);
        let status = tonic::Status::from_header_map(passed.headers()).unwrap();
        assert_eq!(
            status.code(),
            tonic::Code::Internal,
            "the gRPC spec's INTERNAL stays"
        );
    }

    #[test]
    fn echoed_input_and_messages_are_cut_short() {
        assert_eq!(echo("decode"), "decode");
        let long = "é".repeat(1_000_000);
        let quoted = echo(&long);
        assert!(quoted.len() < ECHO_BYTES + 40, "{quoted}");
        assert!(quoted.ends_with("(2000000 bytes)"), "{quoted}");
        assert_eq!(echo_list(&[1, 2]), "[1, 2]");
        let dims = vec![1i64; 1_000_000];
        assert_eq!(
            echo_list(&dims),
            "[1, 1, 1, 1, 1, 1, 1, 1, ... (1000000 items)]"
        );
        let error = RequestError::Malformed(long);
        assert!(error.message().len() <= MAX_MESSAGE_BYTES + 40);
        assert!(error.grpc_status().message().len() <= MAX_MESSAGE_BYTES + 40);
    }
}
