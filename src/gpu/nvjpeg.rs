//! nvJPEG encode (host or device frame -> JPEG bytes) and decode (JPEG bytes
//! -> device RGB), each stage timed with CUDA events.

use super::nvjpeg_api::{self as api, check, Api, Image};
use super::{DeviceFrame, GpuContext, GpuEncodeTimes};
use crate::encode::{EncodeSettings, Encoder, Subsampling};
use crate::frame::Frame;
use crate::wire::ImageFormat;
use anyhow::{bail, Context, Result};
use cudarc::driver::{DevicePtr, DevicePtrMut};
use std::ffi::c_int;
use std::time::Instant;

/// The nvJPEG library handle and an encoder's state and parameters. Raw
/// pointers, so not `Send` by themselves.
struct EncodeHandles {
    api: &'static Api,
    handle: api::Handle,
    state: api::EncoderState,
    params: api::EncoderParams,
}

// SAFETY: nvJPEG handles are plain heap objects with no thread affinity; the
// docs require only that one state is not used by two threads at once, which
// `&mut self` on every use guarantees.
unsafe impl Send for EncodeHandles {}

impl Drop for EncodeHandles {
    fn drop(&mut self) {
        // SAFETY: each pointer was created by the matching nvJPEG create call
        // (null if creation failed, which the destroy calls are skipped for)
        // and is destroyed once, dependants before the library handle.
        unsafe {
            if !self.params.is_null() {
                (self.api.encoder_params_destroy)(self.params);
            }
            if !self.state.is_null() {
                (self.api.encoder_state_destroy)(self.state);
            }
            if !self.handle.is_null() {
                (self.api.destroy)(self.handle);
            }
        }
    }
}

/// JPEG encoding with nvJPEG on the GPU, as one of the project's encoders.
pub struct NvjpegEncoder {
    gpu: GpuContext,
    nv: EncodeHandles,
    /// Reused between frames of one size, so uploads do not allocate.
    staging: Option<DeviceFrame>,
    last: GpuEncodeTimes,
}

impl NvjpegEncoder {
    /// Opens the GPU and nvJPEG; fails with one clear line where either is
    /// missing.
    pub fn new(settings: EncodeSettings) -> Result<Self> {
        Self::with_context(GpuContext::new()?, settings)
    }

    /// An encoder on an existing context, to share frames with kernels.
    pub fn with_context(gpu: GpuContext, settings: EncodeSettings) -> Result<Self> {
        let api = api::api()?;
        gpu.ctx.bind_to_thread()?;
        let stream = gpu.stream.cu_stream();
        let mut nv = EncodeHandles {
            api,
            handle: std::ptr::null_mut(),
            state: std::ptr::null_mut(),
            params: std::ptr::null_mut(),
        };
        // SAFETY: each call writes one handle through a valid out-pointer;
        // `stream` belongs to the context bound to this thread; on error the
        // handles still null are skipped by Drop.
        unsafe {
            check((api.create_simple)(&mut nv.handle), "nvjpegCreateSimple")?;
            check(
                (api.encoder_state_create)(nv.handle, &mut nv.state, stream),
                "nvjpegEncoderStateCreate",
            )?;
            check(
                (api.encoder_params_create)(nv.handle, &mut nv.params, stream),
                "nvjpegEncoderParamsCreate",
            )?;
            check(
                (api.encoder_params_set_quality)(nv.params, c_int::from(settings.quality), stream),
                "nvjpegEncoderParamsSetQuality",
            )?;
            check(
                (api.encoder_params_set_sampling_factors)(
                    nv.params,
                    css(settings.subsampling),
                    stream,
                ),
                "nvjpegEncoderParamsSetSamplingFactors",
            )?;
        }
        Ok(NvjpegEncoder {
            gpu,
            nv,
            staging: None,
            last: GpuEncodeTimes::default(),
        })
    }

    /// The context this encoder queues on (for generating frames on it).
    pub fn context(&self) -> &GpuContext {
        &self.gpu
    }

    /// The parts of the last encode.
    pub fn last_times(&self) -> GpuEncodeTimes {
        self.last
    }

    /// Copies `frame` to the device, then encodes it there.
    pub fn encode_host(&mut self, frame: &Frame) -> Result<(Vec<u8>, GpuEncodeTimes)> {
        if frame.channels != 3 {
            bail!(
                "nvJPEG encodes RGB frames; this one has {} channels",
                frame.channels
            );
        }
        self.gpu.ctx.bind_to_thread()?;
        let stream = self.gpu.stream.clone();
        let fits = self
            .staging
            .as_ref()
            .is_some_and(|s| (s.width, s.height) == (frame.width, frame.height));
        if !fits {
            self.staging = Some(DeviceFrame {
                width: frame.width,
                height: frame.height,
                pixels: stream.alloc_zeros::<u8>(frame.pixels.len())?,
            });
        }
        let Some(mut staging) = self.staging.take() else {
            unreachable!("staging was filled above")
        };
        let timer = self.gpu.timer()?;
        timer.start(&stream)?;
        let copied = stream.memcpy_htod(&frame.pixels, &mut staging.pixels);
        timer.stop(&stream)?;
        copied.context("could not copy the frame to the GPU")?;
        let upload_ns = timer.elapsed_ns()?;
        let result = self.encode_device(&staging);
        self.staging = Some(staging);
        let (bytes, mut times) = result?;
        times.upload_ns = upload_ns;
        self.last = times;
        Ok((bytes, times))
    }

    /// Encodes a frame already on the device (a `--frames-on gpu` path):
    /// no upload, so `upload_ns` is 0.
    pub fn encode_device(&mut self, frame: &DeviceFrame) -> Result<(Vec<u8>, GpuEncodeTimes)> {
        self.gpu.ctx.bind_to_thread()?;
        if frame.pixels.len() < frame.len_bytes() {
            bail!(
                "device frame holds {} bytes, needs {}",
                frame.pixels.len(),
                frame.len_bytes()
            );
        }
        let stream = &self.gpu.stream;
        let cu_stream = stream.cu_stream();
        let api = self.nv.api;
        let timer = self.gpu.timer()?;
        timer.start(stream)?;
        {
            let (ptr, _read) = frame.pixels.device_ptr(stream);
            let image = Image::interleaved(ptr as usize as *mut u8, frame.pitch());
            // SAFETY: `image` points at `len_bytes` valid device bytes
            // (checked above) owned by `frame`, which outlives the call and
            // whose read is recorded on `stream` by `_read`; the handles are
            // live and used by this thread only; width and height fit c_int
            // (frame sizes are capped at 16384).
            let status = unsafe {
                (api.encode_image)(
                    self.nv.handle,
                    self.nv.state,
                    self.nv.params,
                    &image,
                    api::NVJPEG_INPUT_RGBI,
                    frame.width as c_int,
                    frame.height as c_int,
                    cu_stream,
                )
            };
            check(status, "nvjpegEncodeImage")?;
        }
        timer.stop(stream)?;
        let encode_ns = timer.elapsed_ns()?;
        let start = Instant::now();
        let bytes = self.retrieve()?;
        let times = GpuEncodeTimes {
            upload_ns: 0,
            encode_ns,
            retrieve_ns: u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX),
        };
        self.last = times;
        Ok((bytes, times))
    }

    /// Asks nvJPEG for the bitstream's length, then for the bytes.
    fn retrieve(&mut self) -> Result<Vec<u8>> {
        let api = self.nv.api;
        let stream = self.gpu.stream.cu_stream();
        let mut length = 0usize;
        // SAFETY: a null buffer asks only for the length, written to `length`.
        let status = unsafe {
            (api.encode_retrieve_bitstream)(
                self.nv.handle,
                self.nv.state,
                std::ptr::null_mut(),
                &mut length,
                stream,
            )
        };
        check(status, "nvjpegEncodeRetrieveBitstream (length)")?;
        self.gpu.stream.synchronize()?;
        let mut bytes = vec![0u8; length];
        // SAFETY: `bytes` has exactly `length` writable bytes, as nvJPEG
        // requires; the stream is synchronised after, before `bytes` is read.
        let status = unsafe {
            (api.encode_retrieve_bitstream)(
                self.nv.handle,
                self.nv.state,
                bytes.as_mut_ptr(),
                &mut length,
                stream,
            )
        };
        check(status, "nvjpegEncodeRetrieveBitstream")?;
        self.gpu.stream.synchronize()?;
        bytes.truncate(length);
        Ok(bytes)
    }
}

impl Encoder for NvjpegEncoder {
    fn encode(&mut self, frame: &Frame) -> Result<Vec<u8>> {
        Ok(self.encode_host(frame)?.0)
    }

    fn format(&self) -> ImageFormat {
        ImageFormat::Jpeg
    }
}

fn css(subsampling: Subsampling) -> c_int {
    match subsampling {
        Subsampling::S420 => api::NVJPEG_CSS_420,
        Subsampling::S422 => api::NVJPEG_CSS_422,
        Subsampling::S444 => api::NVJPEG_CSS_444,
    }
}

/// The nvJPEG library handle and a decoder state.
struct DecodeHandles {
    api: &'static Api,
    handle: api::Handle,
    state: api::JpegState,
}

// SAFETY: as for `EncodeHandles`: no thread affinity, exclusive use via `&mut`.
unsafe impl Send for DecodeHandles {}

impl Drop for DecodeHandles {
    fn drop(&mut self) {
        // SAFETY: created by the matching create calls, destroyed once each,
        // the state before the library handle; nulls are skipped.
        unsafe {
            if !self.state.is_null() {
                (self.api.jpeg_state_destroy)(self.state);
            }
            if !self.handle.is_null() {
                (self.api.destroy)(self.handle);
            }
        }
    }
}

/// A decoded image left on the device, and how long decoding took there.
pub struct DeviceDecoded {
    pub frame: DeviceFrame,
    /// `nvjpegDecode` including its host-side Huffman work (CUDA events
    /// around a call that blocks for part of its work).
    pub decode_ns: u64,
}

/// JPEG decoding with nvJPEG, for a GPU server-side decoder.
pub struct NvjpegDecoder {
    gpu: GpuContext,
    nv: DecodeHandles,
}

impl NvjpegDecoder {
    pub fn new(gpu: GpuContext) -> Result<Self> {
        let api = api::api()?;
        gpu.ctx.bind_to_thread()?;
        let mut nv = DecodeHandles {
            api,
            handle: std::ptr::null_mut(),
            state: std::ptr::null_mut(),
        };
        // SAFETY: each call writes one handle through a valid out-pointer;
        // on error the null ones are skipped by Drop.
        unsafe {
            check((api.create_simple)(&mut nv.handle), "nvjpegCreateSimple")?;
            check(
                (api.jpeg_state_create)(nv.handle, &mut nv.state),
                "nvjpegJpegStateCreate",
            )?;
        }
        Ok(NvjpegDecoder { gpu, nv })
    }

    /// Width, height and channel count from the JPEG header.
    pub fn info(&self, jpeg: &[u8]) -> Result<(u32, u32, u32)> {
        let mut components: c_int = 0;
        let mut subsampling: c_int = 0;
        let mut widths = [0 as c_int; api::MAX_COMPONENT];
        let mut heights = [0 as c_int; api::MAX_COMPONENT];
        // SAFETY: `jpeg` is a valid host buffer of `jpeg.len()` bytes; the
        // width and height arrays have NVJPEG_MAX_COMPONENT entries each.
        let status = unsafe {
            (self.nv.api.get_image_info)(
                self.nv.handle,
                jpeg.as_ptr(),
                jpeg.len(),
                &mut components,
                &mut subsampling,
                widths.as_mut_ptr(),
                heights.as_mut_ptr(),
            )
        };
        check(status, "nvjpegGetImageInfo")?;
        Ok((
            widths[0].max(0) as u32,
            heights[0].max(0) as u32,
            components.max(0) as u32,
        ))
    }

    /// Decodes `jpeg` to interleaved RGB in device memory.
    pub fn decode_to_device(&mut self, jpeg: &[u8]) -> Result<DeviceDecoded> {
        self.gpu.ctx.bind_to_thread()?;
        let (width, height, _) = self.info(jpeg)?;
        if width == 0 || height == 0 {
            bail!("nvJPEG read a {width}x{height} image from the header");
        }
        let stream = self.gpu.stream.clone();
        let mut frame = DeviceFrame {
            width,
            height,
            pixels: stream.alloc_zeros::<u8>(width as usize * height as usize * 3)?,
        };
        let timer = self.gpu.timer()?;
        timer.start(&stream)?;
        {
            let pitch = frame.pitch();
            let (ptr, _write) = frame.pixels.device_ptr_mut(&stream);
            let mut image = Image::interleaved(ptr as usize as *mut u8, pitch);
            // SAFETY: `image` points at width*height*3 writable device bytes
            // owned by `frame`, which outlives the call; its write is
            // recorded on `stream` by `_write`; `jpeg` is a valid host buffer.
            let status = unsafe {
                (self.nv.api.decode)(
                    self.nv.handle,
                    self.nv.state,
                    jpeg.as_ptr(),
                    jpeg.len(),
                    api::NVJPEG_OUTPUT_RGBI,
                    &mut image,
                    stream.cu_stream(),
                )
            };
            check(status, "nvjpegDecode")?;
        }
        timer.stop(&stream)?;
        let decode_ns = timer.elapsed_ns()?;
        Ok(DeviceDecoded { frame, decode_ns })
    }

    /// Decodes `jpeg` and copies the pixels back to the host.
    pub fn decode_to_host(&mut self, jpeg: &[u8]) -> Result<Frame> {
        let decoded = self.decode_to_device(jpeg)?;
        let pixels = self.gpu.stream.clone_dtoh(&decoded.frame.pixels)?;
        Ok(Frame {
            width: decoded.frame.width,
            height: decoded.frame.height,
            channels: 3,
            pixels,
        })
    }
}
