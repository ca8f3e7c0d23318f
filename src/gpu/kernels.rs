//! GPU frame generation: kernels/frames.cu compiled by NVRTC at run time,
//! loaded into the context, launched to fill device frames.

use super::{libs, DeviceFrame, GpuContext};
use crate::frame::{Content, Size};
use anyhow::{anyhow, Context, Result};
use cudarc::driver::{CudaFunction, LaunchConfig, PushKernelArg};
use cudarc::nvrtc::{CompileOptions, Ptx};

/// The kernel source, built into the binary so it runs from anywhere.
pub const FRAMES_CU: &str = include_str!("../../kernels/frames.cu");

/// The kernels' entry points, one per [`Content`].
pub const ENTRY_POINTS: [&str; 3] = ["frame_noise", "frame_smooth", "frame_natural"];

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

/// The frame kernels, loaded into one context.
pub struct FrameKernels {
    gpu: GpuContext,
    noise: CudaFunction,
    smooth: CudaFunction,
    natural: CudaFunction,
}

impl FrameKernels {
    /// Compiles and loads the kernels (the JIT cost belongs to warm-up).
    pub fn new(gpu: &GpuContext) -> Result<Self> {
        let ptx = compile_frames_ptx()?;
        let module = gpu
            .ctx
            .load_module(ptx)
            .context("the CUDA driver could not load the frame kernels' PTX (is NVRTC newer than the driver?)")?;
        let load = |name: &str| {
            module
                .load_function(name)
                .with_context(|| format!("kernel {name} missing from frames.cu"))
        };
        Ok(FrameKernels {
            gpu: gpu.clone(),
            noise: load(ENTRY_POINTS[0])?,
            smooth: load(ENTRY_POINTS[1])?,
            natural: load(ENTRY_POINTS[2])?,
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
    ) -> Result<(DeviceFrame, u64)> {
        self.gpu.ctx.bind_to_thread()?;
        let stream = &self.gpu.stream;
        let (w, h) = (size.width, size.height);
        let len = size.pixels() as usize * 3;
        let mut pixels = stream.alloc_zeros::<u8>(len)?;
        let start = frame_seed(seed, index);
        let timer = self.gpu.timer()?;
        timer.start(stream)?;
        match content {
            Content::Noise => {
                let len64 = len as u64;
                let cfg = LaunchConfig::for_num_elems(u32::try_from(len.div_ceil(8))?);
                let mut launch = stream.launch_builder(&self.noise);
                launch.arg(&mut pixels).arg(&len64).arg(&start);
                // SAFETY: frame_noise(unsigned char*, u64 len, u64 seed)
                // writes only bytes < len of a buffer of exactly len bytes.
                unsafe { launch.launch(cfg) }?;
            }
            Content::Smooth | Content::Natural => {
                let function = match content {
                    Content::Smooth => &self.smooth,
                    _ => &self.natural,
                };
                let cfg = LaunchConfig::for_num_elems(u32::try_from(size.pixels())?);
                let mut launch = stream.launch_builder(function);
                launch.arg(&mut pixels).arg(&w).arg(&h).arg(&start);
                // SAFETY: frame_smooth/frame_natural(unsigned char*, u32 w,
                // u32 h, u64 seed) write 3 bytes for each pixel index < w*h,
                // in a buffer of exactly w*h*3 bytes.
                unsafe { launch.launch(cfg) }?;
            }
        }
        timer.stop(stream)?;
        let kernel_ns = timer.elapsed_ns()?;
        Ok((
            DeviceFrame {
                width: w,
                height: h,
                pixels,
            },
            kernel_ns,
        ))
    }

    /// Copies a device frame back, for comparisons with the CPU patterns.
    pub fn download(&self, frame: &DeviceFrame) -> Result<Vec<u8>> {
        Ok(self.gpu.stream.clone_dtoh(&frame.pixels)?)
    }
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
    fn the_kernel_source_names_every_entry_point() {
        for name in ENTRY_POINTS {
            assert!(FRAMES_CU.contains(&format!("extern \"C\" __global__ void {name}(")));
        }
    }
}
