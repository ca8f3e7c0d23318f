//! Timing encoders and judging their output: frames split across threads
//! (each thread its own encoder, one untimed warm-up frame each, all
//! starting together), and one encode of every pool frame decoded back
//! with turbojpeg for PSNR and SSIM.

use super::encoders::PoolEncoder;
use super::quality::{compare, Quality};
use crate::frame::Frame;
use crate::report::summary::{nanos, summarize};
use crate::wire::ImageFormat;
use anyhow::{anyhow, bail, Context, Result};
use serde::Serialize;
use std::sync::Barrier;
use std::time::{Duration, Instant};

/// What timing one encoder at one thread count found.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Speed {
    pub threads: usize,
    pub frames: usize,
    pub p50_frame_ns: u64,
    pub p99_frame_ns: u64,
    pub mean_frame_ns: u64,
    /// From the first thread's start to the last thread's last frame.
    pub wall_ns: u64,
    /// Every frame's pixels over the wall time, all threads together.
    pub megapixels_per_s: f64,
}

/// What one encoder's output is worth: size and fidelity, the mean over
/// the pool's frames.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Fidelity {
    pub mean_encoded_bytes: u64,
    pub bits_per_pixel: f64,
    #[serde(flatten)]
    pub quality: Quality,
}

/// Encodes `count` frames of the pool on `threads` threads, frame `i` on
/// thread `i % threads`; `make` builds each thread's encoder.
pub fn time_encoder<'a, F>(
    make: F,
    pixels_per_frame: u64,
    count: usize,
    threads: usize,
) -> Result<Speed>
where
    F: Fn() -> Result<Box<dyn PoolEncoder + 'a>> + Sync,
{
    let threads = threads.max(1);
    let barrier = Barrier::new(threads);
    let shares: Vec<Result<Share>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|first| {
                let (make, barrier) = (&make, &barrier);
                scope.spawn(move || {
                    let ready = make().and_then(|mut encoder| {
                        encoder.encode(first).context("the warm-up encode failed")?;
                        Ok(encoder)
                    });
                    barrier.wait();
                    encode_share(ready?, first, count, threads)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| {
                w.join()
                    .unwrap_or_else(|_| Err(anyhow!("an encoder thread panicked")))
            })
            .collect()
    });
    let shares = shares.into_iter().collect::<Result<Vec<Share>>>()?;
    let start = shares.iter().map(|s| s.start).min();
    let end = shares.iter().map(|s| s.end).max();
    let wall = match (start, end) {
        (Some(start), Some(end)) => end - start,
        _ => Duration::ZERO,
    };
    let samples: Vec<u64> = shares.into_iter().flat_map(|s| s.frame_ns).collect();
    let summary = summarize(&samples);
    let total_pixels = pixels_per_frame as f64 * samples.len() as f64;
    Ok(Speed {
        threads,
        frames: samples.len(),
        p50_frame_ns: summary.p50_ns,
        p99_frame_ns: summary.p99_ns,
        mean_frame_ns: summary.mean_ns,
        wall_ns: nanos(wall),
        megapixels_per_s: total_pixels / wall.as_secs_f64().max(1e-9) / 1e6,
    })
}

/// One thread's frames: when it began and ended, and each frame's time.
struct Share {
    start: Instant,
    end: Instant,
    frame_ns: Vec<u64>,
}

/// One thread's share: frames `first`, `first + step`, ... below `count`,
/// each timed. The wall clock spans the earliest start to the latest end
/// of all shares, each read on its own thread, so a main thread that wakes
/// late from the barrier cannot shorten it.
fn encode_share(
    mut encoder: Box<dyn PoolEncoder + '_>,
    first: usize,
    count: usize,
    step: usize,
) -> Result<Share> {
    let start = Instant::now();
    let frame_ns = (first..count)
        .step_by(step)
        .map(|index| {
            let begun = Instant::now();
            encoder.encode(index)?;
            Ok(nanos(begun.elapsed()))
        })
        .collect::<Result<_>>()?;
    Ok(Share {
        start,
        end: Instant::now(),
        frame_ns,
    })
}

/// Each frame of the pool encoded once, in order.
pub fn encode_pool(encoder: &mut dyn PoolEncoder, frames: &[Frame]) -> Result<Vec<Vec<u8>>> {
    if frames.is_empty() {
        bail!("no frames to encode");
    }
    (0..frames.len())
        .map(|index| encoder.encode(index))
        .collect()
}

/// What `outputs` (one per pool frame, in order) are worth: decoded with
/// turbojpeg (JPEG) or taken as they are (raw) and compared with their
/// sources.
pub fn judge(outputs: &[Vec<u8>], frames: &[Frame], format: ImageFormat) -> Result<Fidelity> {
    if frames.is_empty() || outputs.len() != frames.len() {
        bail!("{} outputs for {} frames", outputs.len(), frames.len());
    }
    let mut bytes = 0u64;
    let mut pixels = 0u64;
    let mut qualities = Vec::with_capacity(frames.len());
    for (output, frame) in outputs.iter().zip(frames) {
        let (w, h) = (frame.width as usize, frame.height as usize);
        let decoded = match format {
            ImageFormat::Raw if output.len() == frame.pixels.len() => output.clone(),
            ImageFormat::Raw => bail!(
                "the raw output is {} bytes, not the frame's {}",
                output.len(),
                frame.pixels.len()
            ),
            ImageFormat::Jpeg => decode_jpeg(output, w, h)?,
        };
        qualities.push(compare(&frame.pixels, &decoded, w, h));
        bytes += output.len() as u64;
        pixels += (w * h) as u64;
    }
    Ok(Fidelity {
        mean_encoded_bytes: bytes / frames.len() as u64,
        bits_per_pixel: bytes as f64 * 8.0 / pixels as f64,
        quality: mean_quality(&qualities),
    })
}

/// An encoder's JPEG back to RGB, held to the frame's size.
fn decode_jpeg(jpeg: &[u8], w: usize, h: usize) -> Result<Vec<u8>> {
    let decoded = turbojpeg::decompress(jpeg, turbojpeg::PixelFormat::RGB)
        .context("turbojpeg could not decode the encoder's output")?;
    if (decoded.width, decoded.height) != (w, h) {
        bail!(
            "the encoder's JPEG decodes to {}x{}, not the frame's {h}x{w}",
            decoded.height,
            decoded.width
        );
    }
    Ok(decoded.pixels)
}

/// The mean of each figure; a PSNR is left out of its mean where the frame
/// came back identical, and is `None` only when every frame did.
fn mean_quality(qualities: &[Quality]) -> Quality {
    let mean = |values: Vec<f64>| {
        (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
    };
    Quality {
        psnr_y_db: mean(qualities.iter().filter_map(|q| q.psnr_y_db).collect()),
        psnr_rgb_db: mean(qualities.iter().filter_map(|q| q.psnr_rgb_db).collect()),
        ssim_y: mean(qualities.iter().map(|q| q.ssim_y).collect()).unwrap_or(1.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::encoders::{make, EncoderChoice};
    use crate::encoders::{EncodeSettings, Subsampling};
    use crate::frame::{generate, Content};

    #[test]
    fn every_frame_is_timed_once_across_the_threads() {
        let size = "32x48".parse().unwrap();
        let frames: Vec<Frame> = (0..3)
            .map(|i| generate(Content::Natural, size, 1, i))
            .collect();
        let settings = EncodeSettings {
            quality: 90,
            subsampling: Subsampling::S420,
        };
        for threads in [1, 2, 3] {
            let make = || make(EncoderChoice::Turbojpeg, settings, &frames);
            let speed = time_encoder(make, size.pixels(), 7, threads).unwrap();
            assert_eq!((speed.frames, speed.threads), (7, threads));
            assert!(speed.p50_frame_ns > 0 && speed.p50_frame_ns <= speed.p99_frame_ns);
            assert!(speed.megapixels_per_s > 0.0);
        }
        let mut encoder = make(EncoderChoice::Turbojpeg, settings, &frames).unwrap();
        let outputs = encode_pool(encoder.as_mut(), &frames).unwrap();
        let fidelity = judge(&outputs, &frames, ImageFormat::Jpeg).unwrap();
        assert!(fidelity.bits_per_pixel > 0.0);
        assert!(fidelity.quality.psnr_rgb_db.unwrap() > 20.0, "{fidelity:?}");
        assert!(fidelity.quality.ssim_y > 0.5 && fidelity.quality.ssim_y <= 1.0);
    }

    #[test]
    fn raw_frames_come_back_identical() {
        let size = "8x12".parse().unwrap();
        let frames: Vec<Frame> = (0..2)
            .map(|i| generate(Content::Noise, size, 1, i))
            .collect();
        let outputs: Vec<Vec<u8>> = frames.iter().map(|f| f.pixels.clone()).collect();
        let fidelity = judge(&outputs, &frames, ImageFormat::Raw).unwrap();
        assert_eq!(fidelity.mean_encoded_bytes, 8 * 12 * 3);
        assert_eq!(fidelity.bits_per_pixel, 24.0);
        assert_eq!(
            fidelity.quality.psnr_rgb_db, None,
            "identical: infinite PSNR"
        );
        assert!((fidelity.quality.ssim_y - 1.0).abs() < 1e-9);
        let short = [outputs[0][1..].to_vec(), outputs[1].clone()];
        assert!(judge(&short, &frames, ImageFormat::Raw).is_err());
    }

    #[test]
    fn an_encoder_that_cannot_be_made_is_an_error_not_a_hang() {
        let make = || -> Result<Box<dyn PoolEncoder>> { Err(anyhow!("no such encoder")) };
        let outcome = time_encoder(make, 1, 4, 2);
        assert_eq!(outcome.unwrap_err().to_string(), "no such encoder");
    }
}
