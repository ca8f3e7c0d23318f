//! The server's work once a body is deserialized, shared by REST and gRPC:
//! decode and check, and the stand-in model, each decode holding one of the
//! server's decode slots until the decoder returns, whatever became of its
//! request.

use super::decode::{self, PixelBuffers};
use super::decode_gauge::DecodeGauge;
use super::decode_limits::{check_image, check_scans};
use super::refusal::{RefusalCounts, RequestError};
use super::{ServerConfig, ServerDecoder};
use crate::stage::Stage;
use crate::wire::server_timing::ServerTimings;
use crate::wire::{ImageFormat, ImageMeta};
use bytes::Bytes;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// Runs `work` and records how long it took as `stage`.
pub fn timed<T>(timings: &mut ServerTimings, stage: Stage, work: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = work();
    timings.record(stage, start.elapsed());
    out
}

/// A server's settings and the slots that bound how many images it decodes
/// at once (one per server thread), so waiting for CPU shows as
/// `server.queue` instead of hiding in whichever stage happened to wait;
/// and how many requests it refused, of each kind.
///
/// A slot is held by the decode itself, not by its request: a request that
/// ends early (the client closed or reset it, a deadline passed) leaves
/// its decode running with the slot until the decoder returns, so the
/// decodes running (and the pixel buffers they fill) never outnumber the
/// slots.
pub struct ServerState {
    pub config: ServerConfig,
    decode_slots: Arc<Semaphore>,
    /// turbojpeg's output buffers, one per decode slot that has run.
    pixels: Arc<PixelBuffers>,
    /// Decodes running now, at most at once, and left by their requests.
    pub decodes: Arc<DecodeGauge>,
    pub refusals: Arc<RefusalCounts>,
    /// What `/metrics` serves: every answer's stages.
    pub metrics: Arc<crate::metrics::registry::Registry>,
}

impl ServerState {
    pub fn new(config: ServerConfig) -> Self {
        let slots = config.threads.max(1);
        ServerState {
            config,
            decode_slots: Arc::new(Semaphore::new(slots)),
            pixels: Arc::default(),
            decodes: Arc::new(DecodeGauge::new(slots)),
            refusals: Arc::default(),
            metrics: Arc::new(crate::metrics::server::registry()),
        }
    }
}

/// Decode (unless `--server-decoder none`) and the stand-in model, off the
/// I/O threads so that receiving other requests never waits behind them.
/// Whatever the decoder, an image over `--max-pixels` (as declared, or as
/// its JPEG header says) is refused first; when one decodes, so is a
/// progressive JPEG past `--max-scans` or `--max-scan-pixels`, before it
/// waits for a slot.
pub async fn process_image(
    state: &ServerState,
    bytes: Bytes,
    meta: ImageMeta,
    timings: &mut ServerTimings,
) -> Result<(), RequestError> {
    let config = &state.config;
    check_image(&bytes, &meta, config.max_pixels)?;
    if config.decoder != ServerDecoder::None && meta.format == ImageFormat::Jpeg {
        check_scans(&bytes, &config.decode)?;
    }
    if config.decoder == ServerDecoder::None && config.infer.is_zero() {
        return Ok(());
    }
    let queued = Instant::now();
    let slot = Arc::clone(&state.decode_slots)
        .acquire_owned()
        .await
        .map_err(|_| RequestError::Internal("the server is shutting down".into()))?;
    timings.record(Stage::ServerQueue, queued.elapsed());
    let (decoder, infer, limits) = (config.decoder, config.infer, config.decode);
    let (buffers, gauge) = (Arc::clone(&state.pixels), Arc::clone(&state.decodes));
    let request = gauge.request_waiting();
    let watched = request.watch();
    let work = tokio::task::spawn_blocking(move || {
        let running = gauge.start(&watched);
        let mut pixels = buffers.take();
        let mut timings = ServerTimings::default();
        let decoded = match decoder {
            ServerDecoder::None => Ok(0),
            _ => timed(&mut timings, Stage::ServerDecode, || {
                decode::decode_into(decoder, &bytes, &meta, &mut pixels, &limits)
            }),
        };
        // The compressed bytes go as soon as they are decoded, not after the model.
        drop(bytes);
        buffers.give_back(pixels);
        if decoded.is_ok() {
            run_infer(infer, &mut timings);
        }
        // Counted as ended before the slot frees, so a decode started on
        // the freed slot never shows beside this one.
        running.finish();
        drop(slot);
        decoded.map(|_| timings)
    });
    let worker_timings = work
        .await
        .map_err(|e| RequestError::Internal(format!("decode worker failed: {e}")))?;
    request.answered();
    for (stage, duration) in worker_timings?.entries() {
        timings.record(*stage, *duration);
    }
    Ok(())
}

/// Busy CPU work standing in for a model, so inference-dominated cases show.
fn run_infer(duration: Duration, timings: &mut ServerTimings) {
    if duration.is_zero() {
        return;
    }
    timed(timings, Stage::ServerInfer, || {
        let start = Instant::now();
        let mut x = 0u64;
        while start.elapsed() < duration {
            for _ in 0..1000 {
                x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg(width: u32, height: u32) -> (Bytes, ImageMeta) {
        let size = format!("{height}x{width}").parse().unwrap();
        let frame = crate::frame::generate(crate::frame::Content::Smooth, size, 1, 0);
        let mut compressor = turbojpeg::Compressor::new().unwrap();
        let jpeg = compressor
            .compress_to_vec(turbojpeg::Image {
                pixels: frame.pixels.as_slice(),
                width: width as usize,
                pitch: width as usize * 3,
                height: height as usize,
                format: turbojpeg::PixelFormat::RGB,
            })
            .unwrap();
        (
            Bytes::from(jpeg),
            crate::wire::test_jpeg_meta(width, height),
        )
    }

    #[tokio::test]
    async fn decodes_reuse_one_pixel_buffer_per_slot() {
        let state = ServerState::new(ServerConfig::for_tests(1 << 20));
        assert_eq!(state.pixels.idle(), (0, 0));
        for (width, height) in [(64, 32), (64, 32), (32, 16)] {
            let (bytes, meta) = jpeg(width, height);
            let mut timings = ServerTimings::default();
            process_image(&state, bytes, meta, &mut timings)
                .await
                .unwrap();
            let (buffers, bytes) = state.pixels.idle();
            assert_eq!(buffers, 1, "one slot, one buffer");
            assert_eq!(bytes, 64 * 32 * 3, "the largest image's pixels, kept");
        }
        let (bytes, mut meta) = jpeg(64, 32);
        meta.width = 32;
        let mut timings = ServerTimings::default();
        let refused = process_image(&state, bytes, meta, &mut timings).await;
        assert!(matches!(refused, Err(RequestError::Mismatch(_))));
        assert_eq!(
            state.pixels.idle().0,
            1,
            "a refused image gives its buffer back"
        );
    }

    #[test]
    fn a_buffer_over_the_limit_is_freed() {
        let buffers = PixelBuffers::default();
        buffers.give_back(Vec::with_capacity(PixelBuffers::KEEP_AT_MOST + 1));
        assert_eq!(buffers.idle(), (0, 0));
        buffers.give_back(Vec::with_capacity(10));
        assert_eq!(buffers.take().capacity(), 10);
        assert_eq!(buffers.take().capacity(), 0, "none idle: a new one");
    }
}
