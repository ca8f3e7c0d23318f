//! What the servers send back, to the byte: the prediction and the
//! `{"error": ...}` bodies of REST, the prediction message and error statuses
//! of gRPC, and the `Server-Timing` stages that come with every answer,
//! refused requests included.

use crate::common;

use bytes::Bytes;
use common::raw_http::{http, Exchange};
use common::{server_config, start_servers};
use imgwire::protocol::Protocol;
use imgwire::wire::codec::RawCodec;
use imgwire::wire::content;
use imgwire::wire::proto::{imgwire as pb, paths};
use imgwire::wire::server_timing::ServerTimings;
use prost::Message;

/// The stages of a request answered with an image decoded.
const ANSWERED: [&str; 5] = [
    "server.receive",
    "server.deserialize",
    "server.queue",
    "server.decode",
    "server.respond",
];

/// The stages a request refused by the decoder went through before it.
const REFUSED_AT_DECODE: [&str; 3] = ["server.receive", "server.deserialize", "server.queue"];

/// `POST path` over a plain socket, as sent and answered.
fn post_raw(
    addr: std::net::SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Exchange {
    http(addr, "POST", path, headers, body)
}

#[test]
fn rest_answers_exact_json_bodies_and_times_refused_requests_too() {
    let servers = start_servers(server_config(&[]));
    let meta = [
        ("x-image-width", "24"),
        ("x-image-height", "16"),
        ("x-image-channels", "3"),
        ("x-image-format", "raw"),
    ];

    let ok = post_raw(servers.rest_addr, "/binary", &meta, &[0u8; 24 * 16 * 3]);
    assert_eq!(ok.status, 200);
    assert_eq!(ok.header("content-type"), Some("application/json"));
    assert_eq!(
        ok.body,
        serde_json::to_vec(&content::prediction_json()).unwrap()
    );
    assert_eq!(ok.stages(), ANSWERED);

    let short = post_raw(servers.rest_addr, "/binary", &meta, &[0u8; 17]);
    assert_eq!(short.status, 422);
    assert_eq!(short.header("content-type"), Some("application/json"));
    assert_eq!(
        std::str::from_utf8(&short.body).unwrap(),
        r#"{"error":"size mismatch: raw image is 17 bytes but 24x16x3 (width x height x channels) needs 1152"}"#
    );
    assert_eq!(
        short.stages()[..3],
        REFUSED_AT_DECODE,
        "a refused request still reports the stages it went through"
    );

    let mut coded = meta.to_vec();
    coded.push(("content-encoding", "br"));
    let refused = post_raw(servers.rest_addr, "/binary", &coded, &[0u8; 24 * 16 * 3]);
    assert_eq!(refused.status, 400);
    assert_eq!(
        std::str::from_utf8(&refused.body).unwrap(),
        r#"{"error":"malformed request: Content-Encoding 'br' is not supported (send gzip or none)"}"#
    );
    assert!(
        refused.stages().is_empty(),
        "refused while receiving: no stage completed"
    );
}

/// One `BinaryImage` call of a raw 24x16 RGB image declared `width` wide.
fn grpc_binary(url: String, width: u32) -> Result<tonic::Response<Bytes>, tonic::Status> {
    let body = pb::BinaryImageRequest {
        image: Bytes::from(vec![0u8; 24 * 16 * 3]),
        info: Some(pb::ImageInfo {
            width,
            height: 16,
            channels: 3,
            format: pb::ImageFormat::Raw as i32,
        }),
    }
    .encode_to_vec();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async move {
        let endpoint = tonic::transport::Endpoint::from_shared(url).unwrap();
        let mut grpc = tonic::client::Grpc::new(endpoint.connect().await.unwrap());
        grpc.ready().await.unwrap();
        let path = http::uri::PathAndQuery::from_static(paths::BINARY);
        grpc.unary(tonic::Request::new(Bytes::from(body)), path, RawCodec)
            .await
    })
}

fn metadata_stages(metadata: &tonic::metadata::MetadataMap) -> Vec<&'static str> {
    let text = metadata.get("server-timing").expect("server-timing sent");
    let timings = ServerTimings::parse(text.to_str().unwrap()).unwrap();
    timings.entries().iter().map(|(s, _)| s.name()).collect()
}

#[test]
fn grpc_answers_the_prediction_and_times_refused_calls_too() {
    let servers = start_servers(server_config(&[]));
    let ok = grpc_binary(servers.url(Protocol::Grpc), 24).expect("a good call succeeds");
    assert_eq!(metadata_stages(ok.metadata()), ANSWERED);
    // The labels are a protobuf map (a HashMap in prost), so compare messages,
    // not bytes: the entries' order differs from one encoding to the next.
    let answered = pb::PredictionResponse::decode(ok.into_inner()).unwrap();
    assert_eq!(answered, content::prediction_proto());

    let refused = grpc_binary(servers.url(Protocol::Grpc), 30).expect_err("a mismatch is refused");
    assert_eq!(refused.code(), tonic::Code::InvalidArgument);
    assert_eq!(
        refused.message(),
        "size mismatch: raw image is 1152 bytes but 30x16x3 (width x height x channels) needs 1440"
    );
    assert_eq!(metadata_stages(refused.metadata())[..3], REFUSED_AT_DECODE);
}
