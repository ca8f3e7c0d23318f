//! The GPU side: CUDA context and stream, frames resident on the device, GPU
//! frame kernels and nvJPEG; a clear error, never a panic, where no GPU is.
//!
//! CUDA is optional at run time, never at build time: the driver and NVRTC
//! are opened by cudarc with dlopen, nvJPEG by us with libloading, and each
//! is checked for (`libs`) before the first call that would need it.

pub mod kernels;
pub mod libs;
pub mod nvjpeg;
pub mod nvjpeg_api;

pub use kernels::FrameKernels;
pub use libs::{driver_present, NO_DRIVER};
pub use nvjpeg::{NvjpegDecoder, NvjpegEncoder};

use anyhow::{anyhow, Context, Result};
use cudarc::driver::sys::{CUevent_flags, CUresult};
use cudarc::driver::{CudaContext, CudaEvent, CudaSlice, CudaStream, DriverError};
use serde::Serialize;
use std::sync::Arc;

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
    /// Opens device `ordinal` (`IMGWIRE_CUDA_DEVICE`, default 0), checking
    /// the driver library first so that a machine without one gets
    /// [`NO_DRIVER`] instead of a panic inside cudarc.
    pub fn new() -> Result<Self> {
        let driver_version = libs::ensure_driver()?;
        let ordinal = match std::env::var("IMGWIRE_CUDA_DEVICE") {
            Ok(text) => text.trim().parse::<usize>().map_err(|_| {
                anyhow!("IMGWIRE_CUDA_DEVICE='{text}' is not a device number (0, 1, ...)")
            })?,
            Err(_) => 0,
        };
        let count = CudaContext::device_count().map_err(no_device)?;
        if count <= 0 {
            return Err(no_device(DriverError(CUresult::CUDA_ERROR_NO_DEVICE)));
        }
        if ordinal >= count as usize {
            return Err(anyhow!(
                "IMGWIRE_CUDA_DEVICE={ordinal} but only {count} CUDA device(s) are visible"
            ));
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

fn no_device(err: DriverError) -> anyhow::Error {
    anyhow!(
        "the CUDA driver is installed but no CUDA device is usable ({err}): --encoder nvjpeg needs an NVIDIA GPU; check nvidia-smi and CUDA_VISIBLE_DEVICES"
    )
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

    /// Waits for the end event; nanoseconds between the two.
    pub fn elapsed_ns(&self) -> Result<u64> {
        let ms = self.start.elapsed_ms(&self.end)?;
        Ok((f64::from(ms) * 1e6).round() as u64)
    }
}

/// Checks everything `--encoder nvjpeg` needs (driver, device, nvJPEG) and
/// describes what was found, without encoding anything.
pub fn probe() -> Result<String> {
    let gpu = GpuContext::new()?;
    let api = nvjpeg_api::api()?;
    Ok(format!("{}; nvJPEG from {}", gpu.describe(), api.path))
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
}

/// Where the time of one GPU encode went, each part timed on its own.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct GpuEncodeTimes {
    /// Host -> device copy of the raw frame (CUDA events); 0 when the frame
    /// was already on the device.
    pub upload_ns: u64,
    /// `nvjpegEncodeImage` on the stream (CUDA events).
    pub encode_ns: u64,
    /// Fetching the bitstream to the host (host clock: it is a blocking call).
    pub retrieve_ns: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_driver_is_an_error_not_a_panic() {
        if driver_present() {
            eprintln!("skipped: a CUDA driver is present on this machine");
            return;
        }
        let err = GpuContext::new().err().expect("no driver, no context");
        assert_eq!(err.to_string(), NO_DRIVER);
        let err = probe().unwrap_err().to_string();
        assert!(err.contains("libcuda.so") && err.contains("--encoder nvjpeg"));
    }
}
