//! The slice of NVIDIA's `nvjpeg.h` imgwire uses, declared by hand and bound
//! at run time with libloading, so building needs no CUDA toolkit.
//!
//! Types, values and signatures follow nvjpeg.h (CUDA 12.x/13.x; these have
//! not changed since nvJPEG 11). C enums are passed as `c_int`.

use super::libs::{describe_dirs, open_first, search_dirs, NVJPEG_NAMES};
use anyhow::{bail, Result};
use cudarc::driver::sys::CUstream;
use std::ffi::{c_int, c_void};
use std::sync::OnceLock;

/// `nvjpegStatus_t`.
pub type Status = c_int;
pub const NVJPEG_STATUS_SUCCESS: Status = 0;

/// Opaque `nvjpegHandle_t`, `nvjpegJpegState_t`, `nvjpegEncoderState_t`,
/// `nvjpegEncoderParams_t`.
pub type Handle = *mut c_void;
pub type JpegState = *mut c_void;
pub type EncoderState = *mut c_void;
pub type EncoderParams = *mut c_void;

/// `nvjpegChromaSubsampling_t` values.
pub const NVJPEG_CSS_444: c_int = 0;
pub const NVJPEG_CSS_422: c_int = 1;
pub const NVJPEG_CSS_420: c_int = 2;
/// `nvjpegInputFormat_t::NVJPEG_INPUT_RGBI`: interleaved RGB in channel 0.
pub const NVJPEG_INPUT_RGBI: c_int = 5;
/// `nvjpegOutputFormat_t::NVJPEG_OUTPUT_RGBI`: interleaved RGB in channel 0.
pub const NVJPEG_OUTPUT_RGBI: c_int = 5;
/// `NVJPEG_MAX_COMPONENT`.
pub const MAX_COMPONENT: usize = 4;

/// `nvjpegImage_t`: up to four planes, each a device pointer and a pitch.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Image {
    pub channel: [*mut u8; MAX_COMPONENT],
    pub pitch: [usize; MAX_COMPONENT],
}

impl Image {
    /// One interleaved plane at device address `ptr`, `pitch` bytes a row.
    pub fn interleaved(ptr: *mut u8, pitch: usize) -> Self {
        let mut image = Image {
            channel: [std::ptr::null_mut(); MAX_COMPONENT],
            pitch: [0; MAX_COMPONENT],
        };
        image.channel[0] = ptr;
        image.pitch[0] = pitch;
        image
    }
}

// `cudaStream_t` and the driver's `CUstream` are the same pointer type.
type FnCreateSimple = unsafe extern "C" fn(*mut Handle) -> Status;
type FnDestroy = unsafe extern "C" fn(Handle) -> Status;
type FnEncoderStateCreate = unsafe extern "C" fn(Handle, *mut EncoderState, CUstream) -> Status;
type FnEncoderStateDestroy = unsafe extern "C" fn(EncoderState) -> Status;
type FnEncoderParamsCreate = unsafe extern "C" fn(Handle, *mut EncoderParams, CUstream) -> Status;
type FnEncoderParamsDestroy = unsafe extern "C" fn(EncoderParams) -> Status;
type FnEncoderParamsSetInt = unsafe extern "C" fn(EncoderParams, c_int, CUstream) -> Status;
type FnEncodeImage = unsafe extern "C" fn(
    Handle,
    EncoderState,
    EncoderParams,
    *const Image,
    c_int, // nvjpegInputFormat_t
    c_int, // width
    c_int, // height
    CUstream,
) -> Status;
type FnEncodeRetrieveBitstream =
    unsafe extern "C" fn(Handle, EncoderState, *mut u8, *mut usize, CUstream) -> Status;
type FnJpegStateCreate = unsafe extern "C" fn(Handle, *mut JpegState) -> Status;
type FnJpegStateDestroy = unsafe extern "C" fn(JpegState) -> Status;
type FnGetImageInfo = unsafe extern "C" fn(
    Handle,
    *const u8,
    usize,
    *mut c_int, // nComponents
    *mut c_int, // nvjpegChromaSubsampling_t
    *mut c_int, // widths[NVJPEG_MAX_COMPONENT]
    *mut c_int, // heights[NVJPEG_MAX_COMPONENT]
) -> Status;
type FnDecode = unsafe extern "C" fn(
    Handle,
    JpegState,
    *const u8,
    usize,
    c_int, // nvjpegOutputFormat_t
    *mut Image,
    CUstream,
) -> Status;

/// The loaded library and the entry points imgwire calls.
pub struct Api {
    pub create_simple: FnCreateSimple,
    pub destroy: FnDestroy,
    pub encoder_state_create: FnEncoderStateCreate,
    pub encoder_state_destroy: FnEncoderStateDestroy,
    pub encoder_params_create: FnEncoderParamsCreate,
    pub encoder_params_destroy: FnEncoderParamsDestroy,
    pub encoder_params_set_quality: FnEncoderParamsSetInt,
    pub encoder_params_set_sampling_factors: FnEncoderParamsSetInt,
    pub encode_image: FnEncodeImage,
    pub encode_retrieve_bitstream: FnEncodeRetrieveBitstream,
    pub jpeg_state_create: FnJpegStateCreate,
    pub jpeg_state_destroy: FnJpegStateDestroy,
    pub get_image_info: FnGetImageInfo,
    pub decode: FnDecode,
    /// Where the library was found, for messages and reports.
    pub path: String,
    // Last, and never dropped while the pointers above are reachable: the
    // `Api` lives in a process-wide static.
    _lib: libloading::Library,
}

/// Loads nvJPEG once per process; later calls return the same result.
pub fn api() -> Result<&'static Api> {
    static API: OnceLock<Result<Api, String>> = OnceLock::new();
    match API.get_or_init(|| load().map_err(|e| format!("{e:#}"))) {
        Ok(api) => Ok(api),
        Err(message) => bail!("{message}"),
    }
}

fn load() -> Result<Api> {
    let dirs = search_dirs("NVJPEG_LIB_DIR", &["cu13", "nvjpeg"]);
    let Some((lib, path)) = open_first(NVJPEG_NAMES, &dirs) else {
        bail!(
            "no nvJPEG library (libnvjpeg.so.13/.12/.11) found: install the CUDA toolkit or `pip install nvidia-nvjpeg` and set NVJPEG_LIB_DIR to its lib folder (searched {})",
            describe_dirs(&dirs)
        );
    };
    macro_rules! sym {
        ($name:literal) => {{
            // SAFETY: the symbol is declared in nvjpeg.h with exactly the
            // signature of the field it is stored in (see the type aliases
            // above); the fn pointer is copied out and stays valid because
            // `_lib` is kept in the same `Api` for the life of the process.
            match unsafe { lib.get($name.as_bytes()) } {
                Ok(symbol) => *symbol,
                Err(e) => bail!(
                    "nvJPEG at {path} lacks {}: {e}; use nvJPEG from CUDA 11 or newer",
                    $name
                ),
            }
        }};
    }
    Ok(Api {
        create_simple: sym!("nvjpegCreateSimple"),
        destroy: sym!("nvjpegDestroy"),
        encoder_state_create: sym!("nvjpegEncoderStateCreate"),
        encoder_state_destroy: sym!("nvjpegEncoderStateDestroy"),
        encoder_params_create: sym!("nvjpegEncoderParamsCreate"),
        encoder_params_destroy: sym!("nvjpegEncoderParamsDestroy"),
        encoder_params_set_quality: sym!("nvjpegEncoderParamsSetQuality"),
        encoder_params_set_sampling_factors: sym!("nvjpegEncoderParamsSetSamplingFactors"),
        encode_image: sym!("nvjpegEncodeImage"),
        encode_retrieve_bitstream: sym!("nvjpegEncodeRetrieveBitstream"),
        jpeg_state_create: sym!("nvjpegJpegStateCreate"),
        jpeg_state_destroy: sym!("nvjpegJpegStateDestroy"),
        get_image_info: sym!("nvjpegGetImageInfo"),
        decode: sym!("nvjpegDecode"),
        path,
        _lib: lib,
    })
}

/// Turns an nvJPEG status into an error naming the call.
pub fn check(status: Status, call: &str) -> Result<()> {
    if status == NVJPEG_STATUS_SUCCESS {
        return Ok(());
    }
    let name = match status {
        1 => "NOT_INITIALIZED",
        2 => "INVALID_PARAMETER",
        3 => "BAD_JPEG",
        4 => "JPEG_NOT_SUPPORTED",
        5 => "ALLOCATOR_FAILURE",
        6 => "EXECUTION_FAILED",
        7 => "ARCH_MISMATCH",
        8 => "INTERNAL_ERROR",
        9 => "IMPLEMENTATION_NOT_SUPPORTED",
        10 => "INCOMPLETE_BITSTREAM",
        _ => "unknown status",
    };
    bail!("{call} failed: NVJPEG_STATUS_{name} ({status})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_layout_matches_nvjpeg_h() {
        // Four pointers then four size_t, no padding, on 64-bit targets.
        assert_eq!(std::mem::size_of::<Image>(), 64);
        let image = Image::interleaved(8 as *mut u8, 30);
        assert_eq!((image.pitch[0], image.pitch[1]), (30, 0));
        assert!(image.channel[1].is_null());
    }

    #[test]
    fn statuses_name_the_call() {
        assert!(check(NVJPEG_STATUS_SUCCESS, "x").is_ok());
        let err = check(3, "nvjpegDecode").unwrap_err().to_string();
        assert_eq!(err, "nvjpegDecode failed: NVJPEG_STATUS_BAD_JPEG (3)");
    }
}
