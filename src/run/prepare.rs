//! The frames a scenario sends, made before any burst: each generated (or
//! read from a file) and encoded once, each step timed as its own stage.

use crate::encoders::{encode_frame, make_encoder};
use crate::frame::{generate, Content, FileFrames, Frame, ImageFiles, ImageFolder, Size};
use crate::report::summary::nanos;
use crate::run::plan::{FramePlan, FrameSpec, FramesOn};
use crate::wire::EncodedImage;
use anyhow::Result;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Where frames come from, opened.
pub enum FrameSource {
    Pattern { content: Content, seed: u64 },
    Files { dir: String, files: FileFrames },
}

impl FrameSource {
    /// Opens what `plan` names (decodes every image file of a folder).
    pub fn open(plan: &FramePlan) -> Result<FrameSource> {
        Ok(match &plan.source {
            FrameSpec::Pattern { content, seed } => FrameSource::Pattern {
                content: *content,
                seed: *seed,
            },
            FrameSpec::Files(dir) => FrameSource::Files {
                dir: dir.display().to_string(),
                files: FileFrames::open(&ImageFolder {
                    dir: dir.clone(),
                    bad: plan.bad_images,
                })?,
            },
        })
    }

    /// Distinct frames per size: `--frames`, else one per image file (or
    /// one generated frame).
    pub fn pool_size(&self, plan: &FramePlan) -> usize {
        match (plan.pool_size, self) {
            (Some(n), _) => n.max(1),
            (None, FrameSource::Files { files, .. }) => files.len(),
            (None, FrameSource::Pattern { .. }) => 1,
        }
    }

    /// The content as a scenario reports it: `noise`, `files:DIR`.
    pub fn content_label(&self) -> String {
        match self {
            FrameSource::Pattern { content, .. } => content.name().to_string(),
            FrameSource::Files { dir, .. } => format!("files:{dir}"),
        }
    }

    /// What frames are sent, as the header says it.
    pub fn describe(&self, pool_size: usize) -> String {
        match self {
            FrameSource::Pattern { content, seed } => format!("{} (seed {seed})", content.name()),
            FrameSource::Files { dir, files } => describe_files(dir, &files.listing, pool_size),
        }
    }

    /// Every image file read or skipped, for the JSON settings.
    pub fn image_files(&self) -> Option<ImageFiles> {
        match self {
            FrameSource::Files { files, .. } => Some(files.listing.clone()),
            FrameSource::Pattern { .. } => None,
        }
    }
}

/// The image files of `dir`: how many, each with its size, pixels and bits
/// per pixel (the first few by name), how many the pool uses, and those
/// left out by `--skip-bad-images`.
fn describe_files(dir: &str, files: &ImageFiles, pool_size: usize) -> String {
    let used = match pool_size.cmp(&files.read.len()) {
        std::cmp::Ordering::Less => format!(", the first {pool_size} used (--frames)"),
        std::cmp::Ordering::Equal => String::new(),
        std::cmp::Ordering::Greater => format!(", {pool_size} frames cycling through them"),
    };
    let skipped = match files.skipped.len() {
        0 => String::new(),
        n => format!(
            "; {n} skipped (--skip-bad-images): {}",
            files.skipped_names()
        ),
    };
    format!(
        "{} in {dir}{used} ({}){skipped}",
        crate::report::plural(files.read.len(), "image file"),
        files.listing(8)
    )
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
    let count = source.pool_size(plan);
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
    let count = source.pool_size(plan);
    match (source, plan.frames_on) {
        (FrameSource::Pattern { content, seed }, FramesOn::Gpu) => {
            crate::gpu::generate_frames_on_gpu(*content, size, *seed, count)
        }
        (FrameSource::Files { .. }, FramesOn::Gpu) => {
            Err(crate::run::plan::PlanError::gpu_frames_from_files().into())
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
