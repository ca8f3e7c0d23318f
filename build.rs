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
        .compile_protos(
            &["proto/imgwire/v1/imgwire.proto", "proto/seed/v1/seed.proto"],
            &["proto"],
        )?;
    Ok(())
}
