//! The GPU path from outside. On every machine: clear errors without CUDA
//! (where a driver is present, the same tests check the GPU path works
//! instead) and kernels that compile to PTX with NVRTC alone (from PyPI:
//! scripts/install-nvrtc.sh, which scripts/test.sh runs). On an NVIDIA
//! machine, the ignored tests (scripts/gpu-check.sh runs them) check the
//! kernels and nvJPEG against the CPU side.

use crate::common;

use bytes::Bytes;
use clap::ValueEnum;
use imgwire::frame::{generate, Content, Size};
use imgwire::gpu::{
    self, ChromaSubsampling, FrameKernels, GpuContext, GpuError, GpuUse, NvjpegDecoder,
    NvjpegEncoder,
};
use imgwire::protocol::Protocol;
use imgwire::server::{check_decoder_available, ServerDecoder};
use imgwire::transport::Client;
use imgwire::wire::payload::WireRequest;
use std::process::Command;
use std::time::{Duration, Instant};

#[test]
fn nvjpeg_without_cuda_fails_at_once_with_one_clear_line() {
    if gpu::driver_present() {
        let found = gpu::probe(GpuUse::Encoder)
            .expect("a CUDA driver is present, so --encoder nvjpeg should find a GPU and nvJPEG");
        eprintln!("GPU: {found}");
        return;
    }
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_imgwire"))
        .args(["bench", "--encoder", "nvjpeg", "--sizes", "64x64"])
        .args(["--payloads", "binary", "--bursts", "1", "--warmup", "0"])
        .output()
        .expect("imgwire runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    let no_driver = GpuError::NoDriver(GpuUse::Encoder);
    assert_eq!(stderr, format!("error: {no_driver}\n"));
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(start.elapsed() < Duration::from_secs(10));
}

#[test]
fn nvjpeg_encoder_kind_is_offered_and_errs_only_without_cuda() {
    let settings = imgwire::encoders::EncodeSettings {
        quality: 90,
        subsampling: imgwire::encoders::Subsampling::S420,
    };
    let made = imgwire::encoders::make_encoder(imgwire::encoders::EncoderKind::Nvjpeg, settings);
    match made {
        Ok(_) => assert!(gpu::driver_present()),
        Err(e) if gpu::driver_present() => panic!("a CUDA driver is present but: {e:#}"),
        Err(e) => assert_eq!(
            e.to_string(),
            GpuError::NoDriver(GpuUse::Encoder).to_string()
        ),
    }
}

#[test]
fn nvjpeg_server_decoder_is_checked_before_serving() {
    assert!(check_decoder_available(ServerDecoder::Turbojpeg).is_ok());
    assert!(check_decoder_available(ServerDecoder::None).is_ok());
    let checked = check_decoder_available(ServerDecoder::Nvjpeg);
    if gpu::driver_present() {
        checked.expect("a CUDA driver is present, so --server-decoder nvjpeg should be available");
    } else {
        let err = checked.expect_err("no CUDA driver, no nvJPEG decoder");
        assert_eq!(
            err.to_string(),
            "no CUDA driver library (libcuda.so) found: --server-decoder nvjpeg needs an NVIDIA GPU and driver"
        );
    }
}

/// A JPEG of a generated frame, encoded on the CPU.
fn turbo_jpeg(content: Content, size: Size) -> Vec<u8> {
    let settings = imgwire::encoders::EncodeSettings {
        quality: 90,
        subsampling: imgwire::encoders::Subsampling::S420,
    };
    let mut encoder =
        imgwire::encoders::make_encoder(imgwire::encoders::EncoderKind::Turbojpeg, settings)
            .unwrap();
    encoder.encode(&generate(content, size, 1, 0)).unwrap()
}

/// POSTs each (body, declared width, declared height) to `/binary` on a REST
/// server decoding with nvJPEG; returns each outcome ("ok" or the error).
fn nvjpeg_server_outcomes(requests: Vec<(Vec<u8>, u32, u32)>) -> Vec<String> {
    let config = common::server_config(&["--server-decoder", "nvjpeg"]);
    let servers = common::start_servers(config);
    let url = servers.url(Protocol::Rest);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let settings = common::client_settings(1, 1);
        let client = Client::connect(Protocol::Rest, &url, &settings)
            .await
            .unwrap();
        let mut outcomes = Vec::new();
        for (body, width, height) in requests {
            let request = WireRequest {
                path: "/binary".into(),
                body: Bytes::from(body).into(),
                content_type: "application/octet-stream",
                headers: vec![
                    ("x-image-width", width.to_string()),
                    ("x-image-height", height.to_string()),
                    ("x-image-channels", "3".to_owned()),
                    ("x-image-format", "jpeg".to_owned()),
                ],
            };
            outcomes.push(match client.call(0, request).await {
                Ok(_) => "ok".to_owned(),
                Err(e) => format!("{e:#}"),
            });
        }
        outcomes
    })
}

#[test]
fn nvjpeg_server_decoder_answers_as_the_check_says() {
    let jpeg = turbo_jpeg(Content::Natural, "16x24".parse().unwrap());
    let got = nvjpeg_server_outcomes(vec![(jpeg, 24, 16)]);
    match check_decoder_available(ServerDecoder::Nvjpeg) {
        Ok(()) => assert_eq!(got[0], "ok"),
        Err(e) => {
            assert!(got[0].contains("500"), "{}", got[0]);
            assert!(
                got[0].contains(&format!("server error: {e}")),
                "{} should carry: {e}",
                got[0]
            );
        }
    }
}

#[test]
fn frame_kernels_compile_to_ptx_with_nvrtc() {
    let ptx = gpu::kernels::compile_frames_ptx()
        .unwrap_or_else(|e| panic!("{e:#} (scripts/test.sh installs NVRTC from PyPI)"));
    let text = ptx.to_src();
    for &content in Content::value_variants() {
        let name = gpu::kernels::entry_point(content);
        assert!(text.contains(&format!(".entry {name}(")), "{name} in PTX");
    }
    let header: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with(".version") || l.starts_with(".target"))
        .collect();
    eprintln!("frames.cu -> {} bytes of PTX, {header:?}", text.len());
}

#[test]
#[ignore = "needs an NVIDIA GPU and driver"]
fn gpu_kernels_make_the_cpu_pixels() {
    for size in ["37x53", "1080x1920"] {
        let size: Size = size.parse().unwrap();
        for &content in Content::value_variants() {
            let frames = gpu::generate_frames_on_gpu(content, size, 5, 3).unwrap();
            assert_eq!(frames.len(), 3);
            for (index, (on_gpu, kernel_time)) in frames.iter().enumerate() {
                let on_cpu = generate(content, size, 5, index as u64);
                let differing = (on_gpu.pixels.iter().zip(&on_cpu.pixels))
                    .filter(|(a, b)| a != b)
                    .count();
                eprintln!(
                    "{content:?} {size} #{index}: kernel {kernel_time:?}, {differing} bytes differ"
                );
                assert_eq!((on_gpu.width, on_gpu.height), (on_cpu.width, on_cpu.height));
                assert_eq!(on_gpu.pixels.len(), on_cpu.pixels.len());
                assert_eq!(differing, 0, "{content:?} {size} #{index}");
            }
        }
    }
}

#[test]
#[ignore = "needs an NVIDIA GPU and driver"]
fn nvjpeg_encodes_what_decoders_read_back() {
    let gpu = GpuContext::new(GpuUse::Encoder).unwrap();
    eprintln!("GPU: {}", gpu.describe());
    let mut encoder = NvjpegEncoder::new(gpu.clone(), 90, ChromaSubsampling::Css420).unwrap();
    let size: Size = "360x640".parse().unwrap();
    let frame = generate(Content::Smooth, size, 1, 0);
    let jpeg = encoder.encode_host(&frame).unwrap();
    let decoded = image::load_from_memory_with_format(&jpeg, image::ImageFormat::Jpeg)
        .expect("image-rs reads nvJPEG's output")
        .to_rgb8();
    assert_eq!(decoded.dimensions(), (640, 360));
    let mean_error = mean_abs_diff(decoded.as_raw(), &frame.pixels);
    assert!(mean_error < 4.0, "mean abs error {mean_error}");

    let mut decoder = NvjpegDecoder::new(gpu.clone()).unwrap();
    let info = decoder.info(&jpeg).unwrap();
    assert_eq!((info.width, info.height, info.components), (640, 360, 3));
    let back = decoder
        .decode_to_device(&jpeg)
        .unwrap()
        .download(&gpu.stream)
        .unwrap();
    assert_eq!((back.width, back.height), (640, 360));
    assert!(mean_abs_diff(&back.pixels, &frame.pixels) < 4.0);

    // A frame made on the GPU is encoded without an upload.
    let kernels = FrameKernels::new(&gpu).unwrap();
    let (device_frame, _) = kernels.generate(Content::Natural, size, 1, 0).unwrap();
    let jpeg = encoder.encode_device(&device_frame).unwrap();
    let bits = jpeg.len() as f64 * 8.0 / size.pixels() as f64;
    eprintln!("nvjpeg natural from device: {bits:.2} bits/pixel");
    assert!((0.5..=4.0).contains(&bits), "{bits}");
}

#[test]
#[ignore = "needs an NVIDIA GPU and driver"]
fn nvjpeg_server_decoder_checks_what_turbojpeg_checks() {
    let jpeg = turbo_jpeg(Content::Natural, "16x24".parse().unwrap());
    let got = nvjpeg_server_outcomes(vec![
        (jpeg.clone(), 24, 16),
        (jpeg.clone(), 25, 16),
        (b"not a jpeg at all".to_vec(), 24, 16),
        (jpeg, 24, 16),
    ]);
    assert_eq!(got[0], "ok");
    assert!(
        got[1].contains("size mismatch") && got[1].contains("24x16"),
        "{}",
        got[1]
    );
    assert!(
        got[2].contains("422") && got[2].contains("not a readable JPEG"),
        "{}",
        got[2]
    );
    assert_eq!(got[3], "ok", "the server still answers good requests");
}

fn mean_abs_diff(a: &[u8], b: &[u8]) -> f64 {
    assert_eq!(a.len(), b.len());
    let total: u64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    total as f64 / a.len().max(1) as f64
}
