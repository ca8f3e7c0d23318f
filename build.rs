//! Compiles proto/ into prost messages with a vendored protoc, so that no
//! system protoc is needed. The gRPC plumbing is written by hand
//! (src/transport/grpc.rs, src/server/grpc.rs) so that protobuf encoding and
//! decoding can be timed as stages of their own.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protoc = protoc_bin_vendored::protoc_bin_path()?;
    std::env::set_var("PROTOC", protoc);
    println!("cargo:rerun-if-changed=proto");
    tonic_prost_build::configure()
        .build_client(false)
        .build_server(false)
        .bytes(".")
        // TorchServe's answer nests google.rpc.Status; its module lives at
        // wire::proto::google_rpc, not where the package path would put it.
        .extern_path(".google.rpc", "crate::wire::proto::google_rpc")
        .compile_protos(
            &[
                "proto/imgwire/v1/imgwire.proto",
                "proto/seed/v1/seed.proto",
                "proto/kserve/v2/open_inference_grpc.proto",
                "proto/torchserve/v1/inference.proto",
            ],
            &["proto"],
        )?;
    // The nested Status, on its own so the extern path above can name it.
    tonic_prost_build::configure()
        .build_client(false)
        .build_server(false)
        .compile_protos(&["proto/google/rpc/status.proto"], &["proto"])?;
    Ok(())
}
