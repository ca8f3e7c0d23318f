//! The server's work once a body is deserialized, shared by REST and gRPC:
//! decode and check, and the stand-in model.

use super::image_limits::check_image;
use super::refusal::{RefusalCounts, RequestError};
use super::{decode, ServerConfig, ServerDecoder};
use crate::stage::Stage;
use crate::wire::server_timing::ServerTimings;
use crate::wire::ImageMeta;
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
pub struct ServerState {
    pub config: ServerConfig,
    decode_slots: Semaphore,
    pub refusals: Arc<RefusalCounts>,
}

impl ServerState {
    pub fn new(config: ServerConfig) -> Self {
        let slots = config.threads.max(1);
        ServerState {
            config,
            decode_slots: Semaphore::new(slots),
            refusals: Arc::default(),
        }
    }
}

/// Decode (unless `--server-decoder none`) and the stand-in model, off the
/// I/O threads so that receiving other requests never waits behind them.
/// Whatever the decoder, an image over `--max-pixels` (as declared, or as
/// its JPEG header says) is refused first.
pub async fn process_image(
    state: &ServerState,
    bytes: Bytes,
    meta: ImageMeta,
    timings: &mut ServerTimings,
) -> Result<(), RequestError> {
    let config = &state.config;
    check_image(&bytes, &meta, config.max_pixels)?;
    if config.decoder == ServerDecoder::None && config.infer.is_zero() {
        return Ok(());
    }
    let queued = Instant::now();
    let _slot = state
        .decode_slots
        .acquire()
        .await
        .map_err(|_| RequestError::Internal("the server is shutting down".into()))?;
    timings.record(Stage::ServerQueue, queued.elapsed());
    let (decoder, infer) = (config.decoder, config.infer);
    let work = tokio::task::spawn_blocking(move || {
        let mut timings = ServerTimings::default();
        if decoder != ServerDecoder::None {
            timed(&mut timings, Stage::ServerDecode, || {
                decode::decode(decoder, &bytes, &meta)
            })?;
        }
        run_infer(infer, &mut timings);
        Ok::<_, RequestError>(timings)
    });
    let worker_timings = work
        .await
        .map_err(|e| RequestError::Internal(format!("decode worker failed: {e}")))??;
    for (stage, duration) in worker_timings.entries() {
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
