//! Serialization cost per wire format (REST JSON with base64, raw body;
//! protobuf string and bytes), read in MB/s of JPEG input.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use imgwire::encoders::{encode_frame, make_encoder, EncodeSettings, EncoderKind, Subsampling};
use imgwire::frame::{generate, Content};
use imgwire::protocol::Protocol;
use imgwire::wire::payload::serialize;
use imgwire::wire::PayloadKind;

fn serialize_payloads(c: &mut Criterion) {
    let settings = EncodeSettings {
        quality: 95,
        subsampling: Subsampling::S420,
    };
    let mut encoder = make_encoder(EncoderKind::Turbojpeg, settings).unwrap();
    let frame = generate(Content::Noise, "1080x1920".parse().unwrap(), 1, 0);
    let image = encode_frame(encoder.as_mut(), &frame).unwrap();
    let mut group = c.benchmark_group("serialize/1080x1920");
    group.sample_size(20);
    group.throughput(Throughput::Bytes(image.bytes.len() as u64));
    for protocol in [Protocol::Rest, Protocol::Grpc] {
        for payload in [PayloadKind::B64, PayloadKind::Binary] {
            let id = BenchmarkId::new(protocol.name(), payload.name());
            group.bench_function(id, |b| {
                b.iter(|| serialize(protocol, payload, Some(&image)).unwrap())
            });
        }
    }
    group.finish();
}

criterion_group!(benches, serialize_payloads);
criterion_main!(benches);
