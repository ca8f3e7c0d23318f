//! The GPU path from outside: a clear error without CUDA, kernels that
//! compile with NVRTC alone, and (on an NVIDIA machine) kernels and nvJPEG
//! checked against the CPU side. Tests needing what is absent say why and
//! pass, unless IMGWIRE_REQUIRE_GPU=1 (scripts/gpu-check.sh) makes them fail.

use imgwire::encode::{EncodeSettings, Encoder, Subsampling};
use imgwire::frame::{generate, Content, Size};
use imgwire::gpu::{self, FrameKernels, GpuContext, NvjpegDecoder, NvjpegEncoder};
use std::process::Command;
use std::time::{Duration, Instant};

fn skip(reason: &str) {
    if std::env::var_os("IMGWIRE_REQUIRE_GPU").is_some_and(|v| v == "1") {
        panic!("IMGWIRE_REQUIRE_GPU=1 but: {reason}");
    }
    eprintln!("skipped: {reason}");
}

/// The GPU context, or None after saying why the test is skipped.
fn gpu_or_skip() -> Option<GpuContext> {
    match GpuContext::new() {
        Ok(gpu) => {
            eprintln!("GPU: {}", gpu.describe());
            Some(gpu)
        }
        Err(e) => {
            skip(&format!("{e:#}"));
            None
        }
    }
}

#[test]
fn nvjpeg_without_cuda_fails_at_once_with_one_clear_line() {
    if gpu::driver_present() {
        eprintln!("skipped: a CUDA driver is present; this test is for machines without one");
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
    assert_eq!(stderr, format!("error: {}\n", gpu::NO_DRIVER));
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(start.elapsed() < Duration::from_secs(10));
}

#[test]
fn nvjpeg_encoder_kind_is_offered_and_errs_without_cuda() {
    if gpu::driver_present() {
        eprintln!("skipped: a CUDA driver is present");
        return;
    }
    let settings = EncodeSettings {
        quality: 90,
        subsampling: Subsampling::S420,
    };
    let err = imgwire::encode::make_encoder(imgwire::encode::EncoderKind::Nvjpeg, settings)
        .err()
        .expect("no GPU, no encoder");
    assert_eq!(err.to_string(), gpu::NO_DRIVER);
}

#[test]
fn frame_kernels_compile_to_ptx_with_nvrtc() {
    if let Err(e) = gpu::libs::ensure_nvrtc() {
        skip(&format!("{e:#}"));
        return;
    }
    let ptx = gpu::kernels::compile_frames_ptx().expect("frames.cu compiles");
    let text = ptx.to_src();
    for name in gpu::kernels::ENTRY_POINTS {
        assert!(text.contains(&format!(".entry {name}(")), "{name} in PTX");
    }
    let header: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with(".version") || l.starts_with(".target"))
        .collect();
    eprintln!("frames.cu -> {} bytes of PTX, {header:?}", text.len());
}

#[test]
fn gpu_kernels_make_the_cpu_pixels() {
    let Some(gpu) = gpu_or_skip() else { return };
    let kernels = FrameKernels::new(&gpu).expect("kernels load");
    for size in ["37x53", "1080x1920"] {
        let size: Size = size.parse().unwrap();
        for content in [Content::Noise, Content::Smooth, Content::Natural] {
            let (frame, kernel_ns) = kernels.generate(content, size, 5, 2).unwrap();
            let on_gpu = kernels.download(&frame).unwrap();
            let on_cpu = generate(content, size, 5, 2).pixels;
            let differing = on_gpu.iter().zip(&on_cpu).filter(|(a, b)| a != b).count();
            eprintln!("{content:?} {size}: kernel {kernel_ns} ns, {differing} bytes differ");
            assert_eq!(differing, 0, "{content:?} {size}");
        }
    }
}

#[test]
fn nvjpeg_encodes_what_decoders_read_back() {
    let Some(gpu) = gpu_or_skip() else { return };
    let settings = EncodeSettings {
        quality: 90,
        subsampling: Subsampling::S420,
    };
    let mut encoder = match NvjpegEncoder::with_context(gpu.clone(), settings) {
        Ok(e) => e,
        Err(e) => return skip(&format!("{e:#}")),
    };
    let size: Size = "360x640".parse().unwrap();
    let frame = generate(Content::Smooth, size, 1, 0);
    let (jpeg, times) = encoder.encode_host(&frame).unwrap();
    eprintln!("nvjpeg 360x640 smooth: {} bytes, {times:?}", jpeg.len());
    assert!(times.upload_ns > 0 && times.encode_ns > 0);
    let decoded = image::load_from_memory_with_format(&jpeg, image::ImageFormat::Jpeg)
        .expect("image-rs reads nvJPEG's output")
        .to_rgb8();
    assert_eq!(decoded.dimensions(), (640, 360));
    let mean_error = mean_abs_diff(decoded.as_raw(), &frame.pixels);
    assert!(mean_error < 4.0, "mean abs error {mean_error}");

    let mut decoder = NvjpegDecoder::new(gpu.clone()).unwrap();
    let back = decoder.decode_to_host(&jpeg).unwrap();
    assert_eq!((back.width, back.height), (640, 360));
    assert!(mean_abs_diff(&back.pixels, &frame.pixels) < 4.0);

    // A frame made on the GPU is encoded without an upload.
    let kernels = FrameKernels::new(&gpu).unwrap();
    let (device_frame, _) = kernels.generate(Content::Natural, size, 1, 0).unwrap();
    let (jpeg, times) = encoder.encode_device(&device_frame).unwrap();
    assert_eq!(times.upload_ns, 0);
    let bits = jpeg.len() as f64 * 8.0 / size.pixels() as f64;
    eprintln!("nvjpeg natural from device: {bits:.2} bits/pixel, {times:?}");
    assert!((0.5..=4.0).contains(&bits), "{bits}");
    let _: &dyn Encoder = &encoder;
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
