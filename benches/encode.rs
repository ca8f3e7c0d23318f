//! Encode throughput: turbojpeg vs image-rs on the seed's sizes and each
//! generated content, read in MB/s of raw RGB input.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use imgwire::encoders::{make_encoder, EncodeSettings, EncoderKind, Subsampling};
use imgwire::frame::{generate, Content};

fn encode(c: &mut Criterion) {
    let settings = EncodeSettings {
        quality: 90,
        subsampling: Subsampling::S420,
    };
    for content in [Content::Noise, Content::Natural] {
        let mut group = c.benchmark_group(format!("encode/{}", content.name()));
        group.sample_size(10);
        for size in ["360x640", "1080x1920"] {
            let frame = generate(content, size.parse().unwrap(), 1, 0);
            group.throughput(Throughput::Bytes(frame.len_bytes() as u64));
            for kind in [EncoderKind::Turbojpeg, EncoderKind::ImageRs] {
                let mut encoder = make_encoder(kind, settings).unwrap();
                group.bench_with_input(BenchmarkId::new(kind.name(), size), &frame, |b, frame| {
                    b.iter(|| encoder.encode(frame).unwrap())
                });
            }
        }
        group.finish();
    }
}

criterion_group!(benches, encode);
criterion_main!(benches);
