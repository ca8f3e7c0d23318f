//! GPU frame generation: kernels/frames.cu compiled by NVRTC at run time,
//! loaded into the context, launched to fill device frames with the same
//! pixels `frame::generate` makes on the CPU.

use super::{libs, DeviceFrame, GpuContext, GpuUse};
use crate::frame::{Content, Frame, Size};
use anyhow::{anyhow, Context, Result};
use clap::ValueEnum;
use cudarc::driver::{CudaFunction, LaunchConfig, PushKernelArg};
use cudarc::nvrtc::{CompileOptions, Ptx};
use std::time::Duration;

/// The kernel source, built into the binary so it runs from anywhere.
pub const FRAMES_CU: &str = include_str!("../../kernels/frames.cu");

/// The kernel in kernels/frames.cu that draws `content`. Every kernel takes
/// `(unsigned char *out, u32 width, u32 height, u64 seed)`.
pub fn entry_point(content: Content) -> &'static str {
    match content {
        Content::Noise => "frame_noise",
        Content::Smooth => "frame_smooth",
        Content::Natural => "frame_natural",
    }
}

/// Compiles kernels/frames.cu to PTX. Needs NVRTC, not a GPU.
/// `--fmad=false` keeps float results equal to the CPU patterns'.
pub fn compile_frames_ptx() -> Result<Ptx> {
    libs::ensure_nvrtc()?;
    let options = CompileOptions {
        fmad: Some(false),
        name: Some("frames.cu".to_owned()),
        ..Default::default()
    };
    cudarc::nvrtc::compile_ptx_with_opts(FRAMES_CU, options)
        .map_err(|e| anyhow!("NVRTC could not compile kernels/frames.cu: {e}"))
}

/// The seed the CPU side starts a frame's SplitMix64 at; the same formula
/// as `frame::patterns::generate`.
pub fn frame_seed(seed: u64, index: u64) -> u64 {
    seed ^ index.wrapping_mul(0xA076_1D64_78BD_642F)
}

/// How many threads a kernel needs: one per 8 bytes for noise (one SplitMix64
/// draw fills 8 bytes), one per pixel for the others.
fn thread_count(content: Content, size: Size) -> u64 {
    match content {
        Content::Noise => (size.pixels() * 3).div_ceil(8),
        Content::Smooth | Content::Natural => size.pixels(),
    }
}

/// The frame kernels, loaded into one context: one per [`Content`].
pub struct FrameKernels {
    gpu: GpuContext,
    kernels: Vec<(Content, CudaFunction)>,
}

impl FrameKernels {
    /// Compiles and loads the kernels (the JIT cost belongs to warm-up).
    /// A `--content` with no kernel in frames.cu is an error naming it.
    pub fn new(gpu: &GpuContext) -> Result<Self> {
        let ptx = compile_frames_ptx()?;
        let module = gpu
            .ctx
            .load_module(ptx)
            .context("the CUDA driver could not load the frame kernels' PTX (is NVRTC newer than the driver?)")?;
        let kernels = Content::value_variants()
            .iter()
            .map(|&content| {
                let name = entry_point(content);
                let function = module.load_function(name).with_context(|| {
                    format!(
                        "kernels/frames.cu has no kernel {name}, so --content {} cannot be generated on the GPU",
                        content.name()
                    )
                })?;
                Ok((content, function))
            })
            .collect::<Result<_>>()?;
        Ok(FrameKernels {
            gpu: gpu.clone(),
            kernels,
        })
    }

    /// Fills a new device frame with `content`; the same pixels as
    /// `frame::generate(content, size, seed, index)`. Returns the kernel's
    /// time from CUDA events.
    pub fn generate(
        &self,
        content: Content,
        size: Size,
        seed: u64,
        index: u64,
    ) -> Result<(DeviceFrame, Duration)> {
        let function = self
            .kernels
            .iter()
            .find(|(loaded, _)| *loaded == content)
            .map(|(_, function)| function)
            .with_context(|| format!("no GPU kernel for --content {}", content.name()))?;
        self.gpu.ctx.bind_to_thread()?;
        let stream = &self.gpu.stream;
        let (width, height) = (size.width, size.height);
        let mut pixels = stream.alloc_zeros::<u8>(usize::try_from(size.pixels() * 3)?)?;
        let start = frame_seed(seed, index);
        let config = LaunchConfig::for_num_elems(u32::try_from(thread_count(content, size))?);
        let timer = self.gpu.timer()?;
        timer.start(stream)?;
        let mut launch = stream.launch_builder(function);
        launch.arg(&mut pixels).arg(&width).arg(&height).arg(&start);
        // SAFETY: every frames.cu kernel takes (unsigned char *out, u32 w,
        // u32 h, u64 seed), the four arguments pushed above in that order,
        // and writes only bytes below w*h*3 of `out`, a buffer of exactly
        // w*h*3 bytes; threads past the end return at once.
        unsafe { launch.launch(config) }
            .with_context(|| format!("could not launch {}", entry_point(content)))?;
        timer.stop(stream)?;
        let kernel_time = timer.elapsed()?;
        Ok((
            DeviceFrame {
                width,
                height,
                pixels,
            },
            kernel_time,
        ))
    }
}

/// Generates frames `0..count` of `content` with the CUDA kernels (NVRTC
/// compiles them first) and copies each to the host, so any encoder can
/// take them: the same pixels as `frame::generate(content, size, seed, i)`.
/// Each frame comes with its kernel time from CUDA events (not the copy).
/// Fails with one clear line (naming `--frames-on gpu`) without a GPU.
pub fn generate_frames_on_gpu(
    content: Content,
    size: Size,
    seed: u64,
    count: usize,
) -> Result<Vec<(Frame, Duration)>> {
    let gpu = GpuContext::new(GpuUse::Frames)?;
    let kernels = FrameKernels::new(&gpu)?;
    (0..count as u64)
        .map(|index| {
            let (frame, kernel_time) = kernels.generate(content, size, seed, index)?;
            Ok((frame.download(&gpu.stream)?, kernel_time))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    //! The kernels' counter-based indexing, transcribed to Rust and checked
    //! against the CPU patterns: this proves the draw arithmetic of
    //! frames.cu without a GPU (the GPU test compares the real kernels).
    use super::*;
    use crate::frame::generate;

    fn nth(seed: u64, n: u64) -> u64 {
        let mut z = seed.wrapping_add(n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    struct Lattice {
        cell: u64,
        cols: u64,
        first_draw: u64,
    }

    fn at(seed: u64, l: &Lattice, x: u64, y: u64) -> f32 {
        let v = |cx: u64, cy: u64| {
            (nth(seed, l.first_draw + cy * l.cols + cx + 1) >> 40) as f32 / 16_777_216.0 - 0.5
        };
        let (cx, cy) = (x / l.cell, y / l.cell);
        let fx = (x % l.cell) as f32 / l.cell as f32;
        let fy = (y % l.cell) as f32 / l.cell as f32;
        let top = v(cx, cy) * (1.0 - fx) + v(cx + 1, cy) * fx;
        let bottom = v(cx, cy + 1) * (1.0 - fx) + v(cx + 1, cy + 1) * fx;
        top * (1.0 - fy) + bottom * fy
    }

    fn model(content: Content, w: u64, h: u64, seed: u64) -> Vec<u8> {
        let mut out = vec![0u8; (w * h * 3) as usize];
        match content {
            Content::Noise => {
                for (i, byte) in out.iter_mut().enumerate() {
                    let k = i as u64 / 8;
                    *byte = (nth(seed, k + 1) >> (8 * (i as u64 % 8))) as u8;
                }
            }
            Content::Smooth => {
                let phase = nth(seed, 1) % 256;
                for p in 0..w * h {
                    let (x, y) = (p % w, p / w);
                    let px = &mut out[(p * 3) as usize..][..3];
                    px[0] = ((x * 255 / w + phase) % 256) as u8;
                    px[1] = (y * 255 / h) as u8;
                    px[2] = (((x + y) * 255 / (w + h) + 255 - phase) % 256) as u8;
                }
            }
            Content::Natural => {
                let mut drawn = 0;
                let lattices: Vec<Lattice> = [192, 192, 192, 48, 12, 3]
                    .iter()
                    .map(|&cell| {
                        let (cols, rows) = (w / cell + 2, h / cell + 2);
                        let l = Lattice {
                            cell,
                            cols,
                            first_draw: drawn,
                        };
                        drawn += cols * rows;
                        l
                    })
                    .collect();
                let grain_seed = nth(seed, drawn + 1);
                for p in 0..w * h {
                    let (x, y) = (p % w, p / w);
                    let mut luma = 0.0f32;
                    for (i, amp) in [70.0f32, 40.0, 22.0].iter().enumerate() {
                        luma += at(seed, &lattices[3 + i], x, y) * amp;
                    }
                    let noise = (nth(grain_seed, p + 1) % 9) as f32 - 4.0;
                    for c in 0..3 {
                        let value = 128.0 + at(seed, &lattices[c], x, y) * 150.0 + luma + noise;
                        out[(p * 3 + c as u64) as usize] = value.clamp(0.0, 255.0) as u32 as u8;
                    }
                }
            }
        }
        out
    }

    #[test]
    fn kernel_arithmetic_reproduces_the_cpu_patterns() {
        for (h, w) in [(37u32, 53u32), (200, 300)] {
            let size = Size {
                height: h,
                width: w,
            };
            for content in [Content::Noise, Content::Smooth, Content::Natural] {
                let cpu = generate(content, size, 11, 3);
                let gpu_model = model(content, u64::from(w), u64::from(h), frame_seed(11, 3));
                assert!(cpu.pixels == gpu_model, "{content:?} at {size} differs");
            }
        }
    }

    #[test]
    fn every_content_has_a_kernel_with_the_shared_signature() {
        for &content in Content::value_variants() {
            let signature = format!(
                "extern \"C\" __global__ void {}(unsigned char *out, u32 w, u32 h, u64 seed)",
                entry_point(content)
            );
            assert!(FRAMES_CU.contains(&signature), "{signature}");
        }
    }
}
