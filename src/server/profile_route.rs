//! `GET /debug/pprof/profile?seconds=N` on the REST port (`imgwire serve
//! --profiling`): a CPU profile of the whole server process, as Go's
//! net/http/pprof serves one, to loopback clients only unless
//! `--profiling-public`.

use axum::extract::ConnectInfo;
use axum::response::{IntoResponse, Response};
use http::header;
use std::net::{IpAddr, SocketAddr};

/// Whether a client at `peer` may take a profile: loopback clients always,
/// others only with `--profiling-public` (a profile names the server's
/// code and costs its CPU for as long as asked). The refusal says why.
pub fn may_profile(peer: IpAddr, public: bool) -> Result<(), String> {
    if public || peer.to_canonical().is_loopback() {
        Ok(())
    } else {
        Err(format!(
            "CPU profiles are served only to loopback clients, and this one is {peer} \
             (start imgwire serve with --profiling-public to serve them to any client)\n"
        ))
    }
}

/// `GET /debug/pprof/profile?seconds=N` (default 30, at most 300): samples
/// the whole server process for N seconds and answers a gzip-compressed
/// pprof protobuf, as Go's net/http/pprof does; 403 to a client `may_profile`
/// turns away.
pub async fn profile(
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    uri: http::Uri,
    public: bool,
) -> Response {
    if let Err(refusal) = may_profile(peer.ip(), public) {
        return (http::StatusCode::FORBIDDEN, refusal).into_response();
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_clients_profile_unless_public() {
        let loopback: [IpAddr; 3] = [
            [127, 0, 0, 1].into(),
            std::net::Ipv6Addr::LOCALHOST.into(),
            "::ffff:127.0.0.1".parse().unwrap(),
        ];
        for peer in loopback {
            assert_eq!(may_profile(peer, false), Ok(()), "{peer}");
        }
        let remote: IpAddr = [192, 168, 1, 7].into();
        let refusal = may_profile(remote, false).unwrap_err();
        assert!(refusal.contains("--profiling-public"), "{refusal}");
        assert!(refusal.contains("192.168.1.7"), "{refusal}");
        assert_eq!(may_profile(remote, true), Ok(()));
        assert!(may_profile("::ffff:10.0.0.1".parse().unwrap(), false).is_err());
    }
}
