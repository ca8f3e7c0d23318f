//! Bodies whose parsing would multiply memory (millions of empty inputs,
//! parameters, map entries, shape dimensions) are refused while parsed,
//! naming the limit, on real servers on 127.0.0.1:0, and the server's peak
//! memory stays near the bodies' size; refusals quote a client's input by
//! a short prefix only; a gRPC message marked gzip that is not gzip is
//! INVALID_ARGUMENT and counted; the TCP floor says an oversized prefix on
//! stderr at most once per interval, however many arrive.

use crate::clients;
use crate::common;

use bytes::Bytes;
use clients::{get, http, jpeg, json_request, model_infer, post_json, Grpc};
use common::serve_process::serve_command;
use common::{server_config, start_servers};
use imgwire::wire::codec::RawCodec;
use imgwire::wire::proto::kserve as kpb;
use imgwire::wire::proto::paths;
use prost::Message;
use serde_json::json;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;

/// A `ModelInferRequest` for `decode` with `empty` more inputs, all empty
/// (two bytes each on the wire).
fn empty_inputs(empty: usize) -> Vec<u8> {
    let mut message = model_infer("decode", clients::element(&jpeg(16, 24))).encode_to_vec();
    for _ in 0..empty {
        message.extend_from_slice(&[0x2A, 0x00]);
    }
    message
}

/// A `ModelInferRequest` whose input's shape has `dims` dimensions.
fn long_shape(dims: usize) -> Vec<u8> {
    let mut request = model_infer("decode", clients::element(&jpeg(16, 24)));
    request.inputs[0].shape = vec![1; dims];
    request.encode_to_vec()
}

/// A `BasicRequest` (gRPC) with `entries` map entries.
fn basic_message(entries: usize) -> Vec<u8> {
    let mut message = imgwire::wire::content::basic_proto().encode_to_vec();
    for i in 0..entries {
        let key = format!("k{i}");
        let entry = [&[0x0A, key.len() as u8][..], key.as_bytes(), &[0x10, 0x01]].concat();
        message.extend_from_slice(&[0x22, entry.len() as u8]);
        message.extend_from_slice(&entry);
    }
    message
}

/// `/basic`'s JSON with `entries` keys in `field4`.
fn basic_json(entries: usize) -> Vec<u8> {
    let keys: Vec<String> = (0..entries).map(|i| format!("\"k{i}\":1")).collect();
    format!(
        r#"{{"field1":"a","field2":"b","field3":3,"field4":{{{}}}}}"#,
        keys.join(",")
    )
    .into_bytes()
}

/// A v2 REST infer request whose `parameters` hold a list of `zeros` zeros.
fn zero_parameters(zeros: usize) -> Vec<u8> {
    let mut body = json_request(&jpeg(16, 24));
    body["parameters"] = json!({"p": vec![0; zeros]});
    serde_json::to_vec(&body).unwrap()
}

/// One call of `imgwire.v1.ImageService` at `path` on `url`.
fn grpc_call(url: &str, path: &'static str, body: Vec<u8>) -> tonic::Status {
    let url = url.to_string();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let answered = runtime.block_on(async move {
        let endpoint = tonic::transport::Endpoint::from_shared(url).unwrap();
        let mut grpc = tonic::client::Grpc::new(endpoint.connect().await.unwrap())
            .max_encoding_message_size(64 << 20);
        grpc.ready().await.unwrap();
        let path = http::uri::PathAndQuery::from_static(path);
        grpc.unary(tonic::Request::new(Bytes::from(body)), path, RawCodec)
            .await
    });
    answered
        .err()
        .unwrap_or_else(|| tonic::Status::ok("answered"))
}

fn v2_infer(url: &str, message: Vec<u8>) -> tonic::Status {
    grpc_call(url, "/inference.GRPCInferenceService/ModelInfer", message)
}

fn post(addr: SocketAddr, path: &str, body: &[u8]) -> clients::Exchange {
    http(
        addr,
        "POST",
        path,
        &[("content-type", "application/json")],
        body,
    )
}

fn assert_status(status: &tonic::Status, code: tonic::Code, names: &str) {
    assert_eq!(status.code(), code, "{status:?}");
    assert!(status.message().contains(names), "{status:?}");
    assert!(
        status.message().len() < 1024,
        "{} bytes",
        status.message().len()
    );
}

#[test]
fn amplifying_bodies_are_refused_while_parsed_naming_the_limit() {
    let servers = start_servers(server_config(&[]));
    let grpc = servers.url(imgwire::protocol::Protocol::Grpc);
    let inputs = v2_infer(&grpc, empty_inputs(1_000_000));
    assert_status(
        &inputs,
        tonic::Code::InvalidArgument,
        "inputs holds more than 64",
    );
    let shape = v2_infer(&grpc, long_shape(1_000_000));
    assert_status(
        &shape,
        tonic::Code::InvalidArgument,
        "shape holds more than 32",
    );
    let basic = grpc_call(&grpc, paths::BASIC, basic_message(100_000));
    assert_status(
        &basic,
        tonic::Code::InvalidArgument,
        "field4 holds more than 4096",
    );
    let zeros = post(
        servers.rest_addr,
        "/v2/models/decode/infer",
        &zero_parameters(1_000_000),
    );
    assert_eq!(zeros.status, 400, "{}", zeros.text());
    assert!(
        zeros.text().contains("a parameter value"),
        "{}",
        zeros.text()
    );
    let keys = post(servers.rest_addr, "/basic", &basic_json(100_000));
    assert_eq!(keys.status, 400, "{}", keys.text());
    assert!(
        keys.text().contains("field4 holds more than 4096"),
        "{}",
        keys.text()
    );
    let stats = get(&servers, "/stats").json();
    assert_eq!(stats["refused"]["malformed"], 5, "{stats}");
    // What a request needs still passes.
    let fits = post(servers.rest_addr, "/basic", &basic_json(100));
    assert_eq!(fits.status, 200, "{}", fits.text());
    assert_eq!(
        grpc_call(&grpc, paths::BASIC, basic_message(100)).code(),
        tonic::Code::Ok
    );
    let answered = post_json(&servers, "decode", &json_request(&jpeg(16, 24)));
    assert_eq!(answered.status, 200, "{}", answered.text());
    assert!(Grpc::connect(&servers)
        .infer(model_infer("decode", clients::element(&jpeg(16, 24))))
        .is_ok());
}

#[test]
fn refusals_quote_a_client_s_input_by_a_short_prefix() {
    let servers = start_servers(server_config(&[]));
    let grpc = servers.url(imgwire::protocol::Protocol::Grpc);
    let long = "m".repeat(4000);
    let mut request = model_infer(&long, clients::element(&jpeg(16, 24)));
    let unknown = v2_infer(&grpc, request.encode_to_vec());
    assert_status(&unknown, tonic::Code::NotFound, "(4000 bytes)");
    assert!(unknown.message().len() < 200, "{unknown:?}");
    request.model_name = "decode".into();
    request.inputs[0].name = long.clone();
    let input = v2_infer(&grpc, request.encode_to_vec());
    assert_status(
        &input,
        tonic::Code::InvalidArgument,
        "unexpected inference input",
    );
    assert!(input.message().len() < 300, "{input:?}");
    request.inputs[0].name = "image".into();
    request.inputs[0].shape = vec![7; 30];
    let shape = v2_infer(&grpc, request.encode_to_vec());
    assert_status(&shape, tonic::Code::InvalidArgument, "... (30 items)]");
    let metadata = kpb::ModelMetadataRequest {
        name: long.clone(),
        version: String::new(),
    };
    let asked = Grpc::connect(&servers).raw("ModelMetadata", metadata.encode_to_vec());
    let asked = asked.expect_err("an unknown model");
    assert!(asked.message().len() < 200, "{asked:?}");
    let headers = [
        ("x-image-width", "24"),
        ("x-image-height", "16"),
        ("x-image-channels", "3"),
        ("x-image-format", long.as_str()),
    ];
    let format = http(
        servers.rest_addr,
        "POST",
        "/binary",
        &headers,
        &jpeg(16, 24),
    );
    assert_eq!(format.status, 400);
    assert!(format.text().contains("(4000 bytes)"), "{}", format.text());
    assert!(format.body.len() < 300, "{}", format.text());
}

/// One gRPC call of `path` sent by hand over HTTP/2 with `grpc-encoding:
/// gzip` and the compressed flag set on a frame of `payload`; the
/// `grpc-status` and `grpc-message` of the answer.
fn grpc_marked_gzip(addr: SocketAddr, path: &str, payload: &[u8]) -> (String, String) {
    let mut frame = vec![1u8];
    frame.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    frame.extend_from_slice(payload);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async move {
        let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let io = hyper_util::rt::TokioIo::new(stream);
        let executor = hyper_util::rt::TokioExecutor::new();
        let (mut sender, connection) = hyper::client::conn::http2::handshake(executor, io)
            .await
            .unwrap();
        tokio::spawn(connection);
        let request = http::Request::post(format!("http://{addr}{path}"))
            .header("content-type", "application/grpc")
            .header("grpc-encoding", "gzip")
            .header("te", "trailers")
            .body(http_body_util::Full::new(Bytes::from(frame)))
            .unwrap();
        let response = sender.send_request(request).await.unwrap();
        let (parts, body) = response.into_parts();
        let collected = http_body_util::BodyExt::collect(body).await.unwrap();
        let trailers = collected.trailers().cloned().unwrap_or_default();
        let read = |name: &str| {
            let value = parts.headers.get(name).or_else(|| trailers.get(name));
            value
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_default()
        };
        (read("grpc-status"), read("grpc-message"))
    })
}

#[test]
fn a_grpc_message_marked_gzip_that_is_not_gzip_is_invalid_argument_and_counted() {
    let servers = start_servers(server_config(&[]));
    let (status, message) = grpc_marked_gzip(servers.grpc_addr, paths::BINARY, b"not gzip at all");
    assert_eq!(status, "3", "INVALID_ARGUMENT, not INTERNAL: {message}");
    assert!(message.contains("gzip"), "{message}");
    let v2 = "/inference.GRPCInferenceService/ModelInfer";
    let (status, _) = grpc_marked_gzip(servers.grpc_addr, v2, b"\x1f\x8b\x08garbage");
    assert_eq!(status, "3");
    let stats = get(&servers, "/stats").json();
    assert_eq!(stats["refused"]["malformed"], 2, "{stats}");
    assert_eq!(stats["refused"]["internal"], 0, "{stats}");
}

/// `imgwire serve` with its stderr kept; its REST, gRPC and TCP floor
/// addresses.
fn serve_keeping_stderr(extra: &[&str]) -> (std::process::Child, [SocketAddr; 3]) {
    let mut child = serve_command(extra)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("imgwire serve starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut address = |prefix: &str| -> SocketAddr {
        let line = lines.next().unwrap().unwrap();
        let url = line
            .strip_prefix(prefix)
            .unwrap_or_else(|| panic!("{line}"));
        url.rsplit("//").next().unwrap().parse().unwrap()
    };
    let rest = address("REST listening on ");
    let grpc = address("gRPC listening on ");
    let tcp = address("TCP floor listening on ");
    std::thread::spawn(move || lines.for_each(drop));
    (child, [rest, grpc, tcp])
}

#[test]
fn oversized_tcp_floor_prefixes_are_counted_and_said_at_most_once_per_interval() {
    let (mut child, [rest, _, tcp]) = serve_keeping_stderr(&["--max-message-mb", "1"]);
    for _ in 0..30 {
        let mut stream = std::net::TcpStream::connect(tcp).unwrap();
        stream.write_all(&u32::MAX.to_be_bytes()).unwrap();
        let mut rest = Vec::new();
        // The server closes the connection at once.
        let _ = stream.read_to_end(&mut rest);
    }
    let stats = http(rest, "GET", "/stats", &[], b"").json();
    assert_eq!(stats["refused"]["too_large"], 30, "{stats}");
    child.kill().unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    child.wait().unwrap();
    let said = stderr.lines().filter(|l| l.contains("TCP message")).count();
    assert_eq!(said, 1, "{stderr}");
    assert!(stderr.contains("raise --max-message-mb"), "{stderr}");
}

/// The server's peak resident memory (VmHWM), in bytes.
fn peak_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

#[test]
fn amplifying_bodies_leave_the_server_s_peak_memory_near_their_size() {
    let (mut child, [rest, grpc, _]) = serve_keeping_stderr(&["--server-threads", "2"]);
    std::thread::spawn({
        let stderr = child.stderr.take().unwrap();
        move || BufReader::new(stderr).lines().for_each(drop)
    });
    assert_eq!(http(rest, "GET", "/stats", &[], b"").status, 200);
    let before = peak_rss(child.id());
    // About 8 to 10 MB each; what parsing would have made of them is
    // 100 MB to 700 MB (24 to 150 bytes of structs per 2 to 10 bytes).
    let rest_bodies = [
        ("/v2/models/decode/infer", zero_parameters(4_000_000)),
        ("/basic", basic_json(800_000)),
    ];
    let grpc_bodies = [
        (
            "/inference.GRPCInferenceService/ModelInfer",
            empty_inputs(4_000_000),
        ),
        (paths::BASIC, basic_message(800_000)),
    ];
    let sizes = rest_bodies
        .iter()
        .chain(&grpc_bodies)
        .map(|(_, body)| body.len());
    let largest = sizes.max().unwrap() as u64;
    for (path, body) in &rest_bodies {
        assert_eq!(post(rest, path, body).status, 400);
    }
    let url = format!("http://{grpc}");
    for (path, body) in grpc_bodies {
        let refused = grpc_call(&url, path, body);
        assert_eq!(refused.code(), tonic::Code::InvalidArgument, "{refused:?}");
    }
    let after = peak_rss(child.id());
    eprintln!(
        "peak RSS {} MB before the bodies, {} MB after (largest body {} MB)",
        before / 1_000_000,
        after / 1_000_000,
        largest / 1_000_000
    );
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        after - before < 6 * largest,
        "peak RSS grew {} MB for bodies of {} MB",
        (after - before) / 1_000_000,
        largest / 1_000_000
    );
}
