//! The frames a scenario sends, made before any burst: each generated (or
//! read from a file) and encoded once, each step timed as its own stage.

use crate::encode::{encode_frame, make_encoder};
use crate::frame::{generate, Content, FileFrames, Frame, Size};
use crate::report::summary::nanos;
use crate::run::plan::{FramePlan, FrameSpec, FramesOn};
use crate::wire::EncodedImage;
use anyhow::{bail, Result};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Where frames come from, opened.
pub enum FrameSource {
    Pattern { content: Content, seed: u64 },
    Files { dir: String, files: FileFrames },
}

impl FrameSource {
    /// Opens what `spec` names (lists a folder's images).
    pub fn open(spec: &FrameSpec) -> Result<FrameSource> {
        Ok(match spec {
            FrameSpec::Pattern { content, seed } => FrameSource::Pattern {
                content: *content,
                seed: *seed,
            },
            FrameSpec::Files(dir) => FrameSource::Files {
                dir: dir.display().to_string(),
                files: FileFrames::open(dir)?,
            },
        })
    }

    /// The content as a scenario reports it: `noise`, `files:DIR`.
    pub fn content_label(&self) -> String {
        match self {
            FrameSource::Pattern { content, .. } => content.name().to_string(),
            FrameSource::Files { dir, .. } => format!("files:{dir}"),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            FrameSource::Pattern { content, seed } => format!("{} (seed {seed})", content.name()),
            FrameSource::Files { files, .. } => format!("{} image files", files.len()),
        }
    }
}

/// A pool of encoded frames for one size, with the timings of making them.
pub struct FramePool {
    pub images: Arc<Vec<EncodedImage>>,
    pub generate_ns: Vec<u64>,
    pub encode_ns: Vec<u64>,
    pub raw_bytes: usize,
}

impl FramePool {
    /// Mean encoded bytes of the pool's images.
    pub fn mean_bytes(&self) -> f64 {
        let total: usize = self.images.iter().map(|i| i.bytes.len()).sum();
        total as f64 / self.images.len().max(1) as f64
    }
}

/// Generates and encodes the plan's pool of frames of `size`.
pub fn prepare_pool(source: &FrameSource, size: Size, plan: &FramePlan) -> Result<FramePool> {
    let count = plan.pool_size;
    let mut encoder = make_encoder(plan.encoder, plan.encode)?;
    let mut pool = FramePool {
        images: Arc::new(Vec::new()),
        generate_ns: Vec::new(),
        encode_ns: Vec::new(),
        raw_bytes: 0,
    };
    let mut images = Vec::with_capacity(count);
    for (frame, generate_time) in make_frames(source, size, plan)? {
        pool.generate_ns.push(nanos(generate_time));
        let start = Instant::now();
        images.push(encode_frame(encoder.as_mut(), &frame)?);
        pool.encode_ns.push(nanos(start.elapsed()));
        pool.raw_bytes = frame.len_bytes();
    }
    pool.images = Arc::new(images);
    Ok(pool)
}

/// The pool's raw frames, each with the time it took to make: a CPU
/// pattern, a file read and scaled, or a CUDA kernel (timed by CUDA events).
fn make_frames(
    source: &FrameSource,
    size: Size,
    plan: &FramePlan,
) -> Result<Vec<(Frame, Duration)>> {
    let count = plan.pool_size.max(1);
    match (source, plan.frames_on) {
        (FrameSource::Pattern { content, seed }, FramesOn::Gpu) => {
            crate::gpu::generate_frames_on_gpu(*content, size, *seed, count)
        }
        (FrameSource::Files { .. }, FramesOn::Gpu) => {
            bail!("--frames-on gpu generates frames; it cannot be used with --images")
        }
        (source, FramesOn::Cpu) => (0..count)
            .map(|index| {
                let start = Instant::now();
                let frame = match source {
                    FrameSource::Pattern { content, seed } => {
                        generate(*content, size, *seed, index as u64)
                    }
                    FrameSource::Files { files, .. } => files.load(index, size)?,
                };
                Ok((frame, start.elapsed()))
            })
            .collect(),
    }
}
