//! nvJPEG on the GPU: encode (a host or device frame -> JPEG bytes) and
//! decode (JPEG bytes -> RGB in device memory). Plain parameters in and out;
//! the `Encoder` trait adapter for `--encoder nvjpeg` is `encode::nvjpeg`.

use super::nvjpeg_api::{self as api, check, Api, ChromaSubsampling, Image, NvjpegCallError};
use super::{DeviceFrame, GpuContext};
use crate::frame::Frame;
use anyhow::{bail, Context, Result};
use cudarc::driver::{DevicePtr, DevicePtrMut};
use std::ffi::c_int;

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

/// JPEG encoding with nvJPEG on the GPU.
pub struct NvjpegEncoder {
    // Fields drop in this order: nvJPEG's handles while the stream they were
    // made on still lives, then device memory, then the context.
    nv: EncodeHandles,
    /// Reused between frames of one size, so uploads do not allocate.
    staging: Option<DeviceFrame>,
    gpu: GpuContext,
}

impl Drop for NvjpegEncoder {
    fn drop(&mut self) {
        // nvJPEG frees device memory when its handles are destroyed (next,
        // as the fields drop), which needs the context current.
        let _ = self.gpu.ctx.bind_to_thread();
    }
}

impl NvjpegEncoder {
    /// An encoder queueing on `gpu`'s stream (share the context with
    /// [`super::FrameKernels`] to encode frames made there); `quality` is
    /// 1 to 100. Fails with one clear line where nvJPEG is missing.
    pub fn new(gpu: GpuContext, quality: u8, subsampling: ChromaSubsampling) -> Result<Self> {
        let api = api::api()?;
        gpu.ctx.bind_to_thread()?;
        let stream = gpu.stream.cu_stream();
        let mut nv = EncodeHandles {
            api,
            handle: std::ptr::null_mut(),
            state: std::ptr::null_mut(),
            params: std::ptr::null_mut(),
        };
        // SAFETY: each call writes one handle through a valid out-pointer and
        // takes handles created by the calls before it; `stream` belongs to
        // the context bound to this thread; on error the handles still null
        // are skipped by Drop.
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
                (api.encoder_params_set_quality)(nv.params, c_int::from(quality), stream),
                "nvjpegEncoderParamsSetQuality",
            )?;
            check(
                (api.encoder_params_set_sampling_factors)(nv.params, subsampling.raw(), stream),
                "nvjpegEncoderParamsSetSamplingFactors",
            )?;
        }
        Ok(NvjpegEncoder {
            nv,
            staging: None,
            gpu,
        })
    }

    /// Copies `frame` (interleaved RGB) to the device, then encodes it there.
    pub fn encode_host(&mut self, frame: &Frame) -> Result<Vec<u8>> {
        let expected = frame.width as usize * frame.height as usize * 3;
        if frame.channels != 3 || frame.pixels.len() != expected {
            bail!(
                "nvJPEG encodes interleaved RGB frames; this one is {}x{} with {} channels in {} bytes",
                frame.width,
                frame.height,
                frame.channels,
                frame.pixels.len()
            );
        }
        self.gpu.ctx.bind_to_thread()?;
        let stream = &self.gpu.stream;
        let staging = match &mut self.staging {
            Some(staging) if (staging.width, staging.height) == (frame.width, frame.height) => {
                staging
            }
            slot => slot.insert(DeviceFrame {
                width: frame.width,
                height: frame.height,
                pixels: stream.alloc_zeros::<u8>(expected)?,
            }),
        };
        stream
            .memcpy_htod(&frame.pixels, &mut staging.pixels)
            .context("could not copy the frame to the GPU")?;
        encode_on_device(&self.gpu, &self.nv, staging)
    }

    /// Encodes a frame already on the device (made by the frame kernels on
    /// this encoder's context): no upload.
    pub fn encode_device(&mut self, frame: &DeviceFrame) -> Result<Vec<u8>> {
        encode_on_device(&self.gpu, &self.nv, frame)
    }
}

/// Queues `nvjpegEncodeImage` for `frame` on `gpu`'s stream and fetches the
/// bitstream.
fn encode_on_device(gpu: &GpuContext, nv: &EncodeHandles, frame: &DeviceFrame) -> Result<Vec<u8>> {
    gpu.ctx.bind_to_thread()?;
    if frame.pixels.len() < frame.len_bytes() {
        bail!(
            "device frame holds {} bytes, needs {}",
            frame.pixels.len(),
            frame.len_bytes()
        );
    }
    let (width, height) = (
        c_int::try_from(frame.width)?,
        c_int::try_from(frame.height)?,
    );
    let stream = &gpu.stream;
    let (ptr, _read) = frame.pixels.device_ptr(stream);
    let image = Image::interleaved(ptr as usize as *mut u8, frame.pitch());
    // SAFETY: `image` points at `len_bytes` valid device bytes (checked
    // above) owned by `frame`, which outlives the call and whose read is
    // recorded on `stream` by `_read`; the handles are live and `&mut` on
    // the encoder keeps other threads off them.
    let status = unsafe {
        (nv.api.encode_image)(
            nv.handle,
            nv.state,
            nv.params,
            &image,
            api::NVJPEG_INPUT_RGBI,
            width,
            height,
            stream.cu_stream(),
        )
    };
    check(status, "nvjpegEncodeImage")?;
    retrieve_bitstream(gpu, nv)
}

/// Asks nvJPEG for the bitstream's length, then for the bytes.
fn retrieve_bitstream(gpu: &GpuContext, nv: &EncodeHandles) -> Result<Vec<u8>> {
    let stream = gpu.stream.cu_stream();
    let mut length = 0usize;
    // SAFETY: a null buffer asks only for the length, written to `length`;
    // the handles are live.
    let status = unsafe {
        (nv.api.encode_retrieve_bitstream)(
            nv.handle,
            nv.state,
            std::ptr::null_mut(),
            &mut length,
            stream,
        )
    };
    check(status, "nvjpegEncodeRetrieveBitstream (length)")?;
    gpu.stream.synchronize()?;
    let mut bytes = vec![0u8; length];
    // SAFETY: `bytes` has exactly `length` writable bytes, as nvJPEG
    // requires; the stream is synchronised after, before `bytes` is read.
    let status = unsafe {
        (nv.api.encode_retrieve_bitstream)(
            nv.handle,
            nv.state,
            bytes.as_mut_ptr(),
            &mut length,
            stream,
        )
    };
    check(status, "nvjpegEncodeRetrieveBitstream")?;
    gpu.stream.synchronize()?;
    bytes.truncate(length);
    Ok(bytes)
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

/// What a JPEG header says about the image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JpegInfo {
    pub width: u32,
    pub height: u32,
    pub components: u32,
}

/// JPEG decoding with nvJPEG, for `--server-decoder nvjpeg`.
pub struct NvjpegDecoder {
    // Dropped in this order, as for `NvjpegEncoder`.
    nv: DecodeHandles,
    /// The last decode's pixels, reused while the size stays the same.
    output: Option<DeviceFrame>,
    gpu: GpuContext,
}

impl Drop for NvjpegDecoder {
    fn drop(&mut self) {
        // As for `NvjpegEncoder`: the handles are destroyed next.
        let _ = self.gpu.ctx.bind_to_thread();
    }
}

impl NvjpegDecoder {
    /// A decoder queueing on `gpu`'s stream; fails with one clear line where
    /// nvJPEG is missing.
    pub fn new(gpu: GpuContext) -> Result<Self> {
        let api = api::api()?;
        gpu.ctx.bind_to_thread()?;
        let mut nv = DecodeHandles {
            api,
            handle: std::ptr::null_mut(),
            state: std::ptr::null_mut(),
        };
        // SAFETY: each call writes one handle through a valid out-pointer;
        // the state is created from the live handle; on error the null ones
        // are skipped by Drop.
        unsafe {
            check((api.create_simple)(&mut nv.handle), "nvjpegCreateSimple")?;
            check(
                (api.jpeg_state_create)(nv.handle, &mut nv.state),
                "nvjpegJpegStateCreate",
            )?;
        }
        Ok(NvjpegDecoder {
            nv,
            output: None,
            gpu,
        })
    }

    /// Reads the JPEG header; the error says whether the bytes were at fault
    /// ([`NvjpegCallError::is_bad_input`]).
    pub fn info(&self, jpeg: &[u8]) -> Result<JpegInfo, NvjpegCallError> {
        let mut components: c_int = 0;
        let mut subsampling: c_int = 0;
        let mut widths = [0 as c_int; api::MAX_COMPONENT];
        let mut heights = [0 as c_int; api::MAX_COMPONENT];
        // SAFETY: `jpeg` is a valid host buffer of `jpeg.len()` bytes; the
        // width and height arrays have NVJPEG_MAX_COMPONENT entries each; the
        // other out-pointers are to single live ints; the handle is live.
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
        let positive = |value: c_int| u32::try_from(value).unwrap_or(0);
        Ok(JpegInfo {
            width: positive(widths[0]),
            height: positive(heights[0]),
            components: positive(components),
        })
    }

    /// Decodes `jpeg` to interleaved RGB in device memory and waits for the
    /// GPU to finish, so a host clock around the call times the whole
    /// decode. The frame is overwritten by the next decode.
    pub fn decode_to_device(&mut self, jpeg: &[u8]) -> Result<&DeviceFrame> {
        self.gpu.ctx.bind_to_thread()?;
        let JpegInfo { width, height, .. } = self.info(jpeg)?;
        if width == 0 || height == 0 {
            bail!("nvJPEG read a {width}x{height} image from the header");
        }
        let stream = &self.gpu.stream;
        if self
            .output
            .as_ref()
            .is_some_and(|frame| (frame.width, frame.height) != (width, height))
        {
            self.output = None;
        }
        let output = match &mut self.output {
            Some(frame) => frame,
            empty => empty.insert(DeviceFrame {
                width,
                height,
                pixels: stream.alloc_zeros::<u8>(width as usize * height as usize * 3)?,
            }),
        };
        let pitch = output.pitch();
        {
            let (ptr, _write) = output.pixels.device_ptr_mut(stream);
            let mut image = Image::interleaved(ptr as usize as *mut u8, pitch);
            // SAFETY: `image` points at width*height*3 writable device bytes
            // owned by `output`, which outlives the call; its write is
            // recorded on `stream` by `_write`; `jpeg` is a valid host
            // buffer; the handles are live and `&mut self` keeps other
            // threads off them.
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
        stream
            .synchronize()
            .context("the GPU failed while decoding a JPEG")?;
        Ok(output)
    }
}
