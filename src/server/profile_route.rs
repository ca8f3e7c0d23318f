//! `GET /debug/pprof/profile?seconds=N` on the REST port (`imgwire serve
//! --profiling`): a CPU profile of the whole server process, as Go's
//! net/http/pprof serves one.

use axum::response::{IntoResponse, Response};
use http::header;

/// `GET /debug/pprof/profile?seconds=N` (default 30, at most 300): samples
/// the whole server process for N seconds and answers a gzip-compressed
/// pprof protobuf, as Go's net/http/pprof does.
pub async fn profile(uri: http::Uri) -> Response {
    let seconds = uri
        .query()
        .unwrap_or_default()
        .split('&')
        .find_map(|pair| pair.strip_prefix("seconds="))
        .map_or(Ok(30), str::parse::<u64>);
    let seconds = match seconds {
        Ok(s) if (1..=300).contains(&s) => s,
        _ => {
            return (
                http::StatusCode::BAD_REQUEST,
                "seconds must be a whole number from 1 to 300\n",
            )
                .into_response()
        }
    };
    let sampler = match crate::profile::Sampler::start(997) {
        Ok(sampler) => sampler,
        Err(e) => {
            return (
                http::StatusCode::CONFLICT,
                format!("{e:#} (is another profile running?)\n"),
            )
                .into_response()
        }
    };
    tokio::time::sleep(std::time::Duration::from_secs(seconds)).await;
    let encoded = tokio::task::spawn_blocking(move || {
        sampler.stop().and_then(|r| crate::profile::pprof_gz(&r))
    })
    .await;
    match encoded {
        Ok(Ok(bytes)) => {
            ([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response()
        }
        Ok(Err(e)) => (http::StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}\n")).into_response(),
        Err(e) => (http::StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")).into_response(),
    }
}
