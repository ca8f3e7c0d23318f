//! `--save-requests DIR`: each scenario's first request written as it goes
//! on the wire, so an independent load generator (oha, h2load, curl) can
//! send exactly what imgwire sent: `STEM.body` (for gRPC, the message with
//! its 5-byte gRPC frame, as an HTTP/2 DATA payload carries it) and
//! `STEM.http` (the method and path, then one `name: value` line a header).

use crate::output::OutputPath;
use crate::protocol::Protocol;
use crate::report::Scenario;
use crate::wire::payload::WireRequest;
use anyhow::Result;
use std::path::Path;

/// Writes `request`, the first of `scenario`, under `dir`.
pub fn save_request(dir: &Path, scenario: &Scenario, request: &WireRequest) -> Result<()> {
    let stem = dir.join(scenario.file_stem());
    let body = match scenario.protocol {
        Protocol::Grpc => grpc_frame(&request.body.contiguous()),
        _ => request.body.contiguous().to_vec(),
    };
    OutputPath::new(stem.with_extension("body"), "--save-requests").write(&body)?;
    OutputPath::new(stem.with_extension("http"), "--save-requests")
        .write(head(scenario.protocol, request).as_bytes())
}

/// `POST /path` and the headers the request needs.
fn head(protocol: Protocol, request: &WireRequest) -> String {
    let mut lines = vec![
        format!("POST {}", request.path),
        format!("content-type: {}", request.content_type),
    ];
    if protocol == Protocol::Grpc {
        lines.push("te: trailers".into());
    }
    lines.extend(request.headers.iter().map(|(k, v)| format!("{k}: {v}")));
    lines.join("\n") + "\n"
}

/// A gRPC message as it travels: not compressed (0), its length (u32 big
/// endian), the message.
fn grpc_frame(message: &[u8]) -> Vec<u8> {
    let mut framed = Vec::with_capacity(message.len() + 5);
    framed.extend_from_slice(&crate::wire::codec::grpc_prefix(false, message.len()));
    framed.extend_from_slice(message);
    framed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::Size;
    use crate::wire::PayloadKind;

    #[test]
    fn a_grpc_request_is_saved_framed_with_its_headers() {
        let dir = tempfile::tempdir().unwrap();
        let scenario = Scenario {
            size: Size {
                height: 2,
                width: 3,
            },
            payload: PayloadKind::Binary,
            protocol: Protocol::Grpc,
        };
        let request = WireRequest {
            path: "/imgwire.v1.ImageService/BinaryImage".into(),
            body: bytes::Bytes::from_static(b"abc").into(),
            content_type: "application/grpc",
            headers: vec![],
        };
        save_request(dir.path(), &scenario, &request).unwrap();
        let stem = dir.path().join(scenario.file_stem());
        let body = std::fs::read(stem.with_extension("body")).unwrap();
        assert_eq!(body, [0, 0, 0, 0, 3, b'a', b'b', b'c']);
        let head = std::fs::read_to_string(stem.with_extension("http")).unwrap();
        assert_eq!(
            head,
            "POST /imgwire.v1.ImageService/BinaryImage\ncontent-type: application/grpc\n\
             te: trailers\n"
        );
    }
}
