//! The GPU side: CUDA context and stream, frames resident on the device, GPU
//! frame kernels and nvJPEG; a clear error, never a panic, where no GPU is.
//!
//! CUDA is optional at run time, never at build time: the driver and NVRTC
//! are opened by cudarc with dlopen, nvJPEG by us with libloading, and each
//! is checked for (`libs`) before the first call that would need it.
//!
//! Who uses what: `--encoder nvjpeg` is [`NvjpegEncoder`] behind the
//! `Encoder` trait (in `encode::nvjpeg`; this module never sees that trait);
//! `--server-decoder nvjpeg` is one [`NvjpegDecoder`] per server thread (in
//! `server::decode`); `--frames-on gpu` is [`generate_frames_on_gpu`]. A frame
//! can also stay on the device from kernel to JPEG: make a [`FrameKernels`]
//! and an [`NvjpegEncoder`] on one [`GpuContext`], then pass
//! [`FrameKernels::generate`]'s frame to [`NvjpegEncoder::encode_device`].

mod error;
pub mod kernels;
pub(crate) mod libs;
pub(crate) mod nvjpeg;
pub mod nvjpeg_api;

pub use error::{GpuError, GpuUse};
pub use kernels::{generate_frames_on_gpu, FrameKernels};
pub use libs::driver_present;
pub use nvjpeg::{JpegInfo, NvjpegDecoder, NvjpegEncoder};
pub use nvjpeg_api::ChromaSubsampling;

use crate::frame::Frame;
use anyhow::{Context, Result};
use cudarc::driver::sys::CUevent_flags;
use cudarc::driver::{CudaContext, CudaEvent, CudaSlice, CudaStream};
use std::sync::Arc;
use std::time::Duration;

/// One CUDA device's context and the stream imgwire queues its work on.
/// Cloning shares both, so kernels and nvJPEG see each other's frames.
#[derive(Clone)]
pub struct GpuContext {
    pub ctx: Arc<CudaContext>,
    pub stream: Arc<CudaStream>,
    /// `cuDriverGetVersion`'s number, e.g. 13000.
    pub driver_version: i32,
}

impl GpuContext {
    /// Opens device `IMGWIRE_CUDA_DEVICE` (default 0) for `purpose`,
    /// checking the driver library first so that a machine without one gets
    /// [`GpuError::NoDriver`] (inside the `anyhow::Error`) instead of a panic
    /// inside cudarc.
    pub fn new(purpose: GpuUse) -> Result<Self> {
        let driver_version = libs::ensure_driver(purpose)?;
        let ordinal = match std::env::var("IMGWIRE_CUDA_DEVICE") {
            Ok(text) => text
                .trim()
                .parse::<usize>()
                .map_err(|_| GpuError::BadDeviceVariable(text))?,
            Err(_) => 0,
        };
        let no_device = |reason: String| GpuError::NoDevice { purpose, reason };
        let count = CudaContext::device_count().map_err(|e| no_device(e.to_string()))?;
        if count <= 0 {
            return Err(no_device("the driver sees 0 devices".to_owned()).into());
        }
        if ordinal >= count as usize {
            return Err(GpuError::DeviceOutOfRange { ordinal, count }.into());
        }
        let ctx = CudaContext::new(ordinal)
            .with_context(|| format!("could not open CUDA device {ordinal}"))?;
        let stream = ctx.new_stream().context("could not create a CUDA stream")?;
        Ok(GpuContext {
            ctx,
            stream,
            driver_version,
        })
    }

    /// "NVIDIA H100 80GB HBM3 (sm_90, driver CUDA 13.0)".
    pub fn describe(&self) -> String {
        let name = self.ctx.name().unwrap_or_else(|_| "unknown GPU".to_owned());
        let sm = self
            .ctx
            .compute_capability()
            .map(|(major, minor)| format!("sm_{major}{minor}"))
            .unwrap_or_else(|_| "sm_?".to_owned());
        format!(
            "{name} ({sm}, driver CUDA {})",
            libs::cuda_version_text(self.driver_version)
        )
    }

    /// A pair of events that can time work queued between them.
    pub fn timer(&self) -> Result<GpuTimer> {
        let flags = Some(CUevent_flags::CU_EVENT_DEFAULT);
        Ok(GpuTimer {
            start: self.ctx.new_event(flags)?,
            end: self.ctx.new_event(flags)?,
        })
    }
}

/// Times a span of stream work with CUDA events, as the design asks: the
/// host clock would measure queueing, not the GPU.
pub struct GpuTimer {
    start: CudaEvent,
    end: CudaEvent,
}

impl GpuTimer {
    pub fn start(&self, stream: &CudaStream) -> Result<()> {
        Ok(self.start.record(stream)?)
    }

    pub fn stop(&self, stream: &CudaStream) -> Result<()> {
        Ok(self.end.record(stream)?)
    }

    /// Waits for the end event; the GPU time between the two.
    pub fn elapsed(&self) -> Result<Duration> {
        let ms = self.start.elapsed_ms(&self.end)?;
        Ok(Duration::from_secs_f64(f64::from(ms.max(0.0)) / 1e3))
    }
}

/// Checks everything `purpose` needs (driver and device; nvJPEG for the
/// encoder and the server decoder, NVRTC for GPU frames) and describes what
/// was found, without doing any work. Call it before starting servers, so a
/// machine without a GPU stops at once with one line.
pub fn probe(purpose: GpuUse) -> Result<String> {
    let gpu = GpuContext::new(purpose)?;
    let library = match purpose {
        GpuUse::Encoder | GpuUse::ServerDecoder | GpuUse::EncodeComparison => {
            format!("nvJPEG from {}", nvjpeg_api::api()?.path)
        }
        GpuUse::Frames => format!("NVRTC from {}", libs::ensure_nvrtc()?),
    };
    Ok(format!("{}; {library}", gpu.describe()))
}

/// An interleaved RGB frame in device memory, row pitch `width * 3`.
pub struct DeviceFrame {
    pub width: u32,
    pub height: u32,
    pub pixels: CudaSlice<u8>,
}

impl DeviceFrame {
    pub fn pitch(&self) -> usize {
        self.width as usize * 3
    }

    pub fn len_bytes(&self) -> usize {
        self.pitch() * self.height as usize
    }

    /// Copies the pixels back to the host (blocks until the copy is done).
    pub fn download(&self, stream: &Arc<CudaStream>) -> Result<Frame> {
        let mut pixels = stream
            .clone_dtoh(&self.pixels)
            .context("could not copy a frame back from the GPU")?;
        pixels.truncate(self.len_bytes());
        Ok(Frame {
            width: self.width,
            height: self.height,
            channels: 3,
            pixels,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opening_the_gpu_says_no_driver_exactly_when_there_is_none() {
        let outcome = GpuContext::new(GpuUse::Encoder).map(|_| ());
        let said_no_driver = outcome.as_ref().is_err_and(|e| {
            matches!(
                e.downcast_ref::<GpuError>(),
                Some(GpuError::NoDriver(GpuUse::Encoder))
            )
        });
        assert_eq!(said_no_driver, !driver_present(), "{outcome:?}");
    }
}
