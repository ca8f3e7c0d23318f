//! The GPU side of live encode (`--encode live --frames-on gpu`): each
//! encoder thread has its own CUDA stream, on which the frame kernels draw
//! request `i`'s frame in device memory (the pixels `frame::generate` makes
//! for index `i`, so every request's frame differs), timed by CUDA events;
//! nvJPEG then encodes it where it lies, on the same stream, with no upload.
//! With a CPU encoder the frame is copied back first (the copy counted in
//! `generate`). The threads' streams run side by side, overlapped with the
//! sending of the frames already encoded.

use crate::encoders::{encode_frame, encoded_image, make_encoder, Encoder, EncoderKind};
use crate::frame::{Content, Size};
use crate::gpu::{FrameKernels, GpuContext, GpuUse, NvjpegEncoder};
use crate::run::plan::FramePlan;
use crate::wire::{EncodedImage, ImageFormat};
use anyhow::Result;
use std::time::{Duration, Instant};

/// How a GPU frame becomes bytes: nvJPEG on the device, or a CPU encoder
/// after the copy back.
enum GpuEncode {
    Device(NvjpegEncoder),
    Host(Box<dyn Encoder>),
}

/// One encoder thread's GPU: its stream, the kernels, its encoder.
pub struct GpuFrameWorker {
    gpu: GpuContext,
    kernels: FrameKernels,
    encode: GpuEncode,
    content: Content,
    seed: u64,
    size: Size,
}

/// A frame made and encoded, with the time each step took.
pub struct GpuMade {
    pub image: EncodedImage,
    /// The kernel's time by CUDA events (plus the copy back for a CPU
    /// encoder).
    pub generate: Duration,
    /// nvJPEG's encode and bitstream fetch, or the CPU encoder's.
    pub encode: Duration,
}

impl GpuFrameWorker {
    /// Opens a stream of its own on the GPU and loads the kernels (NVRTC
    /// compiles them); fails with one line naming `--frames-on gpu` without
    /// a GPU.
    pub fn new(plan: &FramePlan, content: Content, seed: u64, size: Size) -> Result<Self> {
        let gpu = GpuContext::new(GpuUse::Frames)?;
        let kernels = FrameKernels::new(&gpu)?;
        let encode = match plan.encoder {
            EncoderKind::Nvjpeg => GpuEncode::Device(NvjpegEncoder::new(
                gpu.clone(),
                plan.encode.quality,
                plan.encode.subsampling.nvjpeg(),
            )?),
            kind => GpuEncode::Host(make_encoder(kind, plan.encode)?),
        };
        Ok(GpuFrameWorker {
            gpu,
            kernels,
            encode,
            content,
            seed,
            size,
        })
    }

    /// Makes frame `index` on the GPU and encodes it.
    pub fn make(&mut self, index: usize) -> Result<GpuMade> {
        let (frame, kernel) =
            (self.kernels).generate(self.content, self.size, self.seed, index as u64)?;
        match &mut self.encode {
            GpuEncode::Device(nvjpeg) => {
                let start = Instant::now();
                let bytes = nvjpeg.encode_device(&frame)?;
                let shape = (frame.width, frame.height, 3);
                Ok(GpuMade {
                    image: encoded_image(bytes, shape, ImageFormat::Jpeg),
                    generate: kernel,
                    encode: start.elapsed(),
                })
            }
            GpuEncode::Host(encoder) => {
                let copy = Instant::now();
                let host = frame.download(&self.gpu.stream)?;
                let generate = kernel + copy.elapsed();
                let start = Instant::now();
                let image = encode_frame(encoder.as_mut(), &host)?;
                Ok(GpuMade {
                    image,
                    generate,
                    encode: start.elapsed(),
                })
            }
        }
    }
}
