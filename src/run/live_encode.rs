//! Live encode (`--encode live`): every request's frame is made and encoded
//! when the request is sent, by a pool of encoder threads (each with its
//! own encoder: encoders are not `Sync`), so `generate` and `encode` sit
//! inside the request's wall time and the encoding competes with sending
//! for the client's cores, as in a camera pipeline.
//!
//! A request's frame is a base frame (the pattern of `--seed`, or the next
//! file of `--images`, each made or decoded once per size) moved
//! `MOTION_PX` pixels to the left per frame index, wrapping around: a pan,
//! so no two requests in a row send the same pixels. `generate` times that
//! copy (what a capture hands over); `encode` is the wait for a free
//! encoder thread plus the encoding. With `--frames-on gpu` each thread
//! draws and encodes on the GPU instead (`live_gpu`).

use crate::encoders::{encode_frame, make_encoder, Encoder};
use crate::frame::{generate, Frame, Size};
use crate::run::live_gpu::GpuFrameWorker;
use crate::run::plan::{FramePlan, FramesOn};
use crate::run::prepare::FrameSource;
use crate::wire::EncodedImage;
use anyhow::{anyhow, Context, Result};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// Pixels a frame moves from one frame index to the next: not a multiple
/// of the JPEG block (8), so every frame's blocks hold other pixels.
pub const MOTION_PX: usize = 7;

/// One request's frame, made and encoded, with the time each step took.
pub struct LiveFrame {
    pub image: EncodedImage,
    /// From the request asking for its frame to an encoder thread taking it.
    pub waited: Duration,
    /// Making the frame (the base frame moved to its index).
    pub generate: Duration,
    /// Encoding it.
    pub encode: Duration,
}

/// A request's ask for frame `index`, and where its answer goes.
struct Job {
    index: usize,
    asked: Instant,
    answer: oneshot::Sender<Result<LiveFrame>>,
}

/// The encoder threads of one frame size; dropping it stops them.
pub struct LiveEncoder {
    jobs: Option<Sender<Job>>,
    threads: Vec<JoinHandle<()>>,
}

impl LiveEncoder {
    /// Makes the base frames of `size` and starts `threads` encoder threads,
    /// each with its own encoder (an encoder that cannot be made, such as
    /// nvJPEG without a GPU, fails here, before any request).
    pub fn start(
        source: &FrameSource,
        size: Size,
        plan: &FramePlan,
        threads: usize,
    ) -> Result<LiveEncoder> {
        // Frames on the CPU are moved copies of base frames made once; on
        // the GPU each thread draws every frame with the kernels.
        let bases = match plan.frames_on {
            FramesOn::Cpu => Some(Arc::new(base_frames(source, size)?)),
            FramesOn::Gpu => None,
        };
        let (jobs, queue) = channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        let mut live = LiveEncoder {
            jobs: Some(jobs),
            threads: Vec::with_capacity(threads),
        };
        for n in 0..threads.max(1) {
            let maker = FrameMaker::new(source, size, plan, bases.as_ref())?;
            let queue = queue.clone();
            let thread = std::thread::Builder::new()
                .name(format!("encode-{n}"))
                .spawn(move || serve_jobs(maker, &queue))
                .context("could not start an encoder thread (--encode-threads)")?;
            live.threads.push(thread);
        }
        Ok(live)
    }

    /// Frame `index`, made and encoded by the next free encoder thread.
    pub async fn frame(&self, index: usize) -> Result<LiveFrame> {
        let (answer, answered) = oneshot::channel();
        let job = Job {
            index,
            asked: Instant::now(),
            answer,
        };
        let jobs = self
            .jobs
            .as_ref()
            .expect("the encoder threads run until dropped");
        jobs.send(job)
            .map_err(|_| anyhow!("the encoder threads have stopped"))?;
        answered
            .await
            .map_err(|_| anyhow!("an encoder thread stopped before encoding its frame"))?
    }
}

impl Drop for LiveEncoder {
    fn drop(&mut self) {
        // Closing the queue ends every thread once its frame is done.
        drop(self.jobs.take());
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

/// How an encoder thread makes and encodes a frame: a moved copy of a base
/// frame and a CPU (or nvJPEG host) encoder, or the GPU's kernels and
/// encoder on a stream of its own (`--frames-on gpu`).
enum FrameMaker {
    Cpu {
        encoder: Box<dyn Encoder>,
        bases: Arc<Vec<Frame>>,
    },
    Gpu(Box<GpuFrameWorker>),
}

impl FrameMaker {
    /// A thread's maker (an encoder or GPU that cannot be opened fails
    /// here, before any request).
    fn new(
        source: &FrameSource,
        size: Size,
        plan: &FramePlan,
        bases: Option<&Arc<Vec<Frame>>>,
    ) -> Result<FrameMaker> {
        match (bases, source) {
            (Some(bases), _) => Ok(FrameMaker::Cpu {
                encoder: make_encoder(plan.encoder, plan.encode)?,
                bases: bases.clone(),
            }),
            (None, FrameSource::Pattern { content, seed }) => Ok(FrameMaker::Gpu(Box::new(
                GpuFrameWorker::new(plan, *content, *seed, size)?,
            ))),
            (None, FrameSource::Files { .. }) => {
                Err(crate::run::plan::PlanError::gpu_frames_from_files().into())
            }
        }
    }

    /// Frame `index`, encoded, with its generate and encode times.
    fn make(&mut self, index: usize) -> Result<(EncodedImage, Duration, Duration)> {
        match self {
            FrameMaker::Cpu { encoder, bases } => {
                let start = Instant::now();
                let frame = moving_frame(bases, index);
                let made = Instant::now();
                let image = encode_frame(encoder.as_mut(), &frame)?;
                Ok((image, made - start, made.elapsed()))
            }
            FrameMaker::Gpu(worker) => {
                let made = worker.make(index)?;
                Ok((made.image, made.generate, made.encode))
            }
        }
    }
}

/// An encoder thread: takes the next job, makes its frame, encodes it, and
/// answers, until the queue closes (its CPU time kept for the client's
/// encode share when it ends).
fn serve_jobs(mut maker: FrameMaker, queue: &Mutex<Receiver<Job>>) {
    let _cpu = crate::client_cpu::EncoderThreadCpu::start();
    loop {
        let next = match queue.lock() {
            Ok(queue) => queue.recv(),
            Err(_) => return,
        };
        let Ok(job) = next else { return };
        let taken = Instant::now();
        let frame = maker
            .make(job.index)
            .map(|(image, generate, encode)| LiveFrame {
                image,
                waited: taken.duration_since(job.asked),
                generate,
                encode,
            });
        // A request that gave up (its task ended) no longer wants it.
        let _ = job.answer.send(frame);
    }
}

/// The frames live frames are made from, at `size`: the pattern of the
/// seed (its frame 0), or every image file, each decoded once.
fn base_frames(source: &FrameSource, size: Size) -> Result<Vec<Frame>> {
    match source {
        FrameSource::Pattern { content, seed } => Ok(vec![generate(*content, size, *seed, 0)]),
        FrameSource::Files { files, .. } => (0..files.len()).map(|i| files.load(i, size)).collect(),
    }
}

/// Frame `index`: base `index % bases`, moved left by `MOTION_PX` pixels
/// per pass through the bases, wrapping around.
pub fn moving_frame(bases: &[Frame], index: usize) -> Frame {
    let base = &bases[index % bases.len()];
    let width = base.width as usize;
    let pixel = base.channels as usize;
    let shift = (index / bases.len()).wrapping_mul(MOTION_PX) % width.max(1) * pixel;
    let mut pixels = Vec::with_capacity(base.pixels.len());
    for row in base.pixels.chunks_exact(width * pixel) {
        pixels.extend_from_slice(&row[shift..]);
        pixels.extend_from_slice(&row[..shift]);
    }
    Frame { pixels, ..*base }
}

/// The header's words for live frames: where they come from and who makes
/// them, and which stage holds the wait for a free encoder.
pub fn describe(source: &FrameSource, threads: usize, frames_on: FramesOn) -> String {
    let what = match (source, frames_on) {
        (FrameSource::Pattern { .. }, FramesOn::Gpu) => format!(
            "{}, each request's frame drawn by the CUDA kernels (its index's pixels) on its \
             encoder thread's own stream",
            source.describe(1)
        ),
        (FrameSource::Pattern { .. }, FramesOn::Cpu) => {
            format!("{}, moving {MOTION_PX} pixels a frame", source.describe(1))
        }
        (FrameSource::Files { files, .. }, _) => format!(
            "{}, one after another, moving {MOTION_PX} pixels a frame",
            source.describe(files.len())
        ),
    };
    format!(
        "{what}; generated and encoded live per request by {} (encode includes the wait for a \
         free encoder thread)",
        crate::report::plural(threads, "encoder thread")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_move_by_their_index_and_wrap_around() {
        let size = Size {
            height: 2,
            width: 10,
        };
        let base = generate(crate::frame::Content::Noise, size, 1, 0);
        let bases = [base.clone()];
        let row = |frame: &Frame, y: usize| frame.pixels[y * 30..(y + 1) * 30].to_vec();
        assert_eq!(moving_frame(&bases, 0).pixels, base.pixels);
        let moved = moving_frame(&bases, 1);
        for y in 0..2 {
            let want = [&row(&base, y)[21..], &row(&base, y)[..21]].concat();
            assert_eq!(row(&moved, y), want, "row {y}");
        }
        assert_eq!(
            moving_frame(&bases, 10).pixels,
            base.pixels,
            "10 x 7 px wraps"
        );
        let two = [
            base.clone(),
            generate(crate::frame::Content::Noise, size, 2, 0),
        ];
        assert_eq!(
            moving_frame(&two, 1).pixels,
            two[1].pixels,
            "the next base first"
        );
        assert_eq!(row(&moving_frame(&two, 2), 0), row(&moved, 0));
    }
}
