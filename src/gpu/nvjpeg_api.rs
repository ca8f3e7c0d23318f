//! The slice of NVIDIA's `nvjpeg.h` imgwire uses, declared by hand and bound
//! at run time with libloading, so building needs no CUDA toolkit.
//!
//! Types, values and signatures follow nvjpeg.h (CUDA 12.x/13.x; these have
//! not changed since nvJPEG 11). C enums are passed as `c_int`.

use super::libs::{describe_dirs, open_first, search_dirs, NVJPEG_NAMES};
use anyhow::{bail, Result};
use cudarc::driver::sys::CUstream;
use std::ffi::c_int;
use std::marker::{PhantomData, PhantomPinned};
use std::sync::OnceLock;

/// `nvjpegStatus_t`.
pub type Status = c_int;
pub const NVJPEG_STATUS_SUCCESS: Status = 0;

/// Declares an opaque C struct that only nvJPEG creates: zero-sized, not
/// constructible, `!Send`, `!Sync` and `!Unpin` (the pattern the Rustonomicon
/// gives for opaque FFI types). Each is its own type, so passing an encoder
/// state where a handle is expected does not compile.
macro_rules! opaque_nvjpeg_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[repr(C)]
        pub struct $name {
            _private: [u8; 0],
            _not_send_sync_or_unpin: PhantomData<(*mut u8, PhantomPinned)>,
        }
    };
}

opaque_nvjpeg_type!(
    /// What `nvjpegHandle_t` points at: the library instance.
    NvjpegHandle
);
opaque_nvjpeg_type!(
    /// What `nvjpegJpegState_t` points at: one decoder's state.
    NvjpegJpegState
);
opaque_nvjpeg_type!(
    /// What `nvjpegEncoderState_t` points at: one encoder's state.
    NvjpegEncoderState
);
opaque_nvjpeg_type!(
    /// What `nvjpegEncoderParams_t` points at: quality, sampling and so on.
    NvjpegEncoderParams
);

/// `nvjpegHandle_t`. The handle types do not mix:
///
/// ```compile_fail
/// use imgwire::gpu::nvjpeg_api::{EncoderState, Handle};
/// let state: EncoderState = std::ptr::null_mut();
/// let handle: Handle = state;
/// ```
pub type Handle = *mut NvjpegHandle;
/// `nvjpegJpegState_t`.
pub type JpegState = *mut NvjpegJpegState;
/// `nvjpegEncoderState_t`.
pub type EncoderState = *mut NvjpegEncoderState;
/// `nvjpegEncoderParams_t`.
pub type EncoderParams = *mut NvjpegEncoderParams;

/// `nvjpegChromaSubsampling_t`, the values nvJPEG's encoder accepts here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChromaSubsampling {
    Css444,
    Css422,
    Css420,
}

impl ChromaSubsampling {
    /// The C enum's value.
    pub fn raw(self) -> c_int {
        match self {
            ChromaSubsampling::Css444 => 0,
            ChromaSubsampling::Css422 => 1,
            ChromaSubsampling::Css420 => 2,
        }
    }
}
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

/// A failed nvJPEG call: which one, and the status it returned.
#[derive(Debug, thiserror::Error)]
#[error("{call} failed: NVJPEG_STATUS_{} ({status})", status_name(*.status))]
pub struct NvjpegCallError {
    pub call: &'static str,
    pub status: Status,
}

impl NvjpegCallError {
    /// Whether the bytes were at fault (not a JPEG, a kind nvJPEG does not
    /// decode, cut short), as opposed to the GPU or the library.
    pub fn is_bad_input(&self) -> bool {
        matches!(self.status, 3 | 4 | 10)
    }
}

/// Turns an nvJPEG status into an error naming the call.
pub fn check(status: Status, call: &'static str) -> Result<(), NvjpegCallError> {
    if status == NVJPEG_STATUS_SUCCESS {
        Ok(())
    } else {
        Err(NvjpegCallError { call, status })
    }
}

/// `NVJPEG_STATUS_*` without the prefix.
fn status_name(status: Status) -> &'static str {
    match status {
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
    }
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
        let err = check(3, "nvjpegDecode").unwrap_err();
        assert!(err.is_bad_input());
        assert_eq!(
            err.to_string(),
            "nvjpegDecode failed: NVJPEG_STATUS_BAD_JPEG (3)"
        );
        assert!(!check(6, "nvjpegDecode").unwrap_err().is_bad_input());
    }

    #[test]
    fn chroma_subsampling_matches_nvjpeg_h() {
        let raw = [
            ChromaSubsampling::Css444,
            ChromaSubsampling::Css422,
            ChromaSubsampling::Css420,
        ]
        .map(ChromaSubsampling::raw);
        assert_eq!(raw, [0, 1, 2]);
    }
}
