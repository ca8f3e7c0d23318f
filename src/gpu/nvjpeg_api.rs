//! The slice of NVIDIA's `nvjpeg.h` imgwire uses, declared by hand and bound
//! at run time with libloading, so building needs no CUDA toolkit.
//!
//! Types, values and signatures follow nvjpeg.h 13.x. C enums are passed as
//! `c_int` (each has its own alias below, named after the C type). What is
//! declared here is also described as data ([`DECLARED_FUNCTIONS`], next to
//! the declarations, and [`declared`]), which tests/gpu/nvjpeg_abi.rs compiles
//! against the real nvjpeg.h and resolves in the real libnvjpeg.so.13 (from
//! PyPI, by scripts/install-nvjpeg.sh).

use super::libs::{describe_dirs, open_first, search_dirs, NVJPEG_NAMES};
use anyhow::{bail, Result};
use cudarc::driver::sys::CUstream;
use std::ffi::c_int;
use std::marker::{PhantomData, PhantomPinned};
use std::sync::OnceLock;

pub mod declared;
use declared::DeclaredFunction;

/// `nvjpegStatus_t`.
pub type Status = c_int;

/// Declares the `NVJPEG_STATUS_*` constants and [`STATUS_NAMES`] from one
/// list, so a status cannot have a value without a name.
macro_rules! nvjpeg_statuses {
    ($($name:ident = $value:literal,)*) => {
        $(pub const $name: Status = $value;)*
        /// Every `nvjpegStatus_t` value, with its C name.
        const STATUS_NAMES: &[(&str, Status)] = &[$((stringify!($name), $name)),*];
    };
}

nvjpeg_statuses! {
    NVJPEG_STATUS_SUCCESS = 0,
    NVJPEG_STATUS_NOT_INITIALIZED = 1,
    NVJPEG_STATUS_INVALID_PARAMETER = 2,
    NVJPEG_STATUS_BAD_JPEG = 3,
    NVJPEG_STATUS_JPEG_NOT_SUPPORTED = 4,
    NVJPEG_STATUS_ALLOCATOR_FAILURE = 5,
    NVJPEG_STATUS_EXECUTION_FAILED = 6,
    NVJPEG_STATUS_ARCH_MISMATCH = 7,
    NVJPEG_STATUS_INTERNAL_ERROR = 8,
    NVJPEG_STATUS_IMPLEMENTATION_NOT_SUPPORTED = 9,
    NVJPEG_STATUS_INCOMPLETE_BITSTREAM = 10,
}

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

/// `nvjpegChromaSubsampling_t` as passed to and from C.
pub type RawChromaSubsampling = c_int;
pub const NVJPEG_CSS_444: RawChromaSubsampling = 0;
pub const NVJPEG_CSS_422: RawChromaSubsampling = 1;
pub const NVJPEG_CSS_420: RawChromaSubsampling = 2;

/// `nvjpegChromaSubsampling_t`, the values nvJPEG's encoder accepts here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChromaSubsampling {
    Css444,
    Css422,
    Css420,
}

impl ChromaSubsampling {
    /// The C enum's value.
    pub fn raw(self) -> RawChromaSubsampling {
        match self {
            ChromaSubsampling::Css444 => NVJPEG_CSS_444,
            ChromaSubsampling::Css422 => NVJPEG_CSS_422,
            ChromaSubsampling::Css420 => NVJPEG_CSS_420,
        }
    }
}

/// `nvjpegInputFormat_t`.
pub type InputFormat = c_int;
/// Interleaved RGB in channel 0.
pub const NVJPEG_INPUT_RGBI: InputFormat = 5;
/// `nvjpegOutputFormat_t`.
pub type OutputFormat = c_int;
/// Interleaved RGB in channel 0.
pub const NVJPEG_OUTPUT_RGBI: OutputFormat = 5;
/// `libraryPropertyType` (from CUDA's library_types.h).
pub type LibraryProperty = c_int;
pub const PROPERTY_MAJOR_VERSION: LibraryProperty = 0;
pub const PROPERTY_MINOR_VERSION: LibraryProperty = 1;
pub const PROPERTY_PATCH_LEVEL: LibraryProperty = 2;
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

/// Declares the entry points once; from the list come the [`Api`] struct,
/// the symbol lookups in `load` and [`DECLARED_FUNCTIONS`], so the three
/// cannot disagree. Parameter names are nvjpeg.h's.
macro_rules! nvjpeg_entry_points {
    ($($field:ident = $symbol:ident($($param:ident: $ty:ty),* $(,)?);)*) => {
        /// The loaded library and the entry points imgwire calls.
        pub struct Api {
            $(pub $field: unsafe extern "C" fn($($ty),*) -> Status,)*
            /// Where the library was found, for messages and reports.
            pub path: String,
            // Last, and never dropped while the pointers above are reachable:
            // the `Api` lives in a process-wide static.
            _lib: libloading::Library,
        }

        /// Every entry point [`Api`] holds, in declaration order.
        pub const DECLARED_FUNCTIONS: &[DeclaredFunction] = &[$(DeclaredFunction {
            field: stringify!($field),
            symbol: stringify!($symbol),
            params: &[$(stringify!($ty)),*],
        },)*];

        fn resolve_entry_points(lib: libloading::Library, path: String) -> Result<Api> {
            Ok(Api {
                $($field: {
                    // SAFETY: the symbol is stored with the type declared for
                    // it in `nvjpeg_entry_points!`, which matches nvjpeg.h
                    // (tests/gpu/nvjpeg_abi.rs compiles it against the header);
                    // the fn pointer is copied out and stays valid because
                    // `_lib` is kept in the same `Api` for the process's life.
                    let symbol = unsafe {
                        lib.get::<unsafe extern "C" fn($($ty),*) -> Status>(
                            stringify!($symbol).as_bytes(),
                        )
                    };
                    match symbol {
                        Ok(symbol) => *symbol,
                        Err(e) => bail!(
                            "nvJPEG at {path} lacks {}: {e}; use nvJPEG from CUDA 11 or newer",
                            stringify!($symbol)
                        ),
                    }
                },)*
                path,
                _lib: lib,
            })
        }
    };
}

// `cudaStream_t` and the driver's `CUstream` are the same pointer type.
nvjpeg_entry_points! {
    get_property = nvjpegGetProperty(kind: LibraryProperty, value: *mut c_int);
    create_simple = nvjpegCreateSimple(handle: *mut Handle);
    destroy = nvjpegDestroy(handle: Handle);
    encoder_state_create = nvjpegEncoderStateCreate(
        handle: Handle,
        encoder_state: *mut EncoderState,
        stream: CUstream,
    );
    encoder_state_destroy = nvjpegEncoderStateDestroy(encoder_state: EncoderState);
    encoder_params_create = nvjpegEncoderParamsCreate(
        handle: Handle,
        encoder_params: *mut EncoderParams,
        stream: CUstream,
    );
    encoder_params_destroy = nvjpegEncoderParamsDestroy(encoder_params: EncoderParams);
    encoder_params_set_quality = nvjpegEncoderParamsSetQuality(
        encoder_params: EncoderParams,
        quality: c_int,
        stream: CUstream,
    );
    encoder_params_set_sampling_factors = nvjpegEncoderParamsSetSamplingFactors(
        encoder_params: EncoderParams,
        chroma_subsampling: RawChromaSubsampling,
        stream: CUstream,
    );
    encode_image = nvjpegEncodeImage(
        handle: Handle,
        encoder_state: EncoderState,
        encoder_params: EncoderParams,
        source: *const Image,
        input_format: InputFormat,
        image_width: c_int,
        image_height: c_int,
        stream: CUstream,
    );
    encode_retrieve_bitstream = nvjpegEncodeRetrieveBitstream(
        handle: Handle,
        encoder_state: EncoderState,
        data: *mut u8,
        length: *mut usize,
        stream: CUstream,
    );
    jpeg_state_create = nvjpegJpegStateCreate(handle: Handle, jpeg_handle: *mut JpegState);
    jpeg_state_destroy = nvjpegJpegStateDestroy(jpeg_handle: JpegState);
    // `widths` and `heights` point at NVJPEG_MAX_COMPONENT ints each.
    get_image_info = nvjpegGetImageInfo(
        handle: Handle,
        data: *const u8,
        length: usize,
        n_components: *mut c_int,
        subsampling: *mut RawChromaSubsampling,
        widths: *mut c_int,
        heights: *mut c_int,
    );
    decode = nvjpegDecode(
        handle: Handle,
        jpeg_handle: JpegState,
        data: *const u8,
        length: usize,
        output_format: OutputFormat,
        destination: *mut Image,
        stream: CUstream,
    );
}

impl Api {
    /// The library's own version, `(major, minor, patch)`; needs no GPU.
    pub fn version(&self) -> Result<(c_int, c_int, c_int), NvjpegCallError> {
        let property = |kind: LibraryProperty| {
            let mut value: c_int = 0;
            // SAFETY: nvjpegGetProperty writes one int through the pointer,
            // which is to a live local; it needs no handle and no device.
            let status = unsafe { (self.get_property)(kind, &mut value) };
            check(status, "nvjpegGetProperty").map(|()| value)
        };
        Ok((
            property(PROPERTY_MAJOR_VERSION)?,
            property(PROPERTY_MINOR_VERSION)?,
            property(PROPERTY_PATCH_LEVEL)?,
        ))
    }
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
    resolve_entry_points(lib, path)
}

/// A failed nvJPEG call: which one, and the status it returned.
#[derive(Debug, thiserror::Error)]
#[error("{call} failed: {} ({status})", status_name(*.status))]
pub struct NvjpegCallError {
    pub call: &'static str,
    pub status: Status,
}

impl NvjpegCallError {
    /// Whether the bytes were at fault (not a JPEG, a kind nvJPEG does not
    /// decode, cut short), as opposed to the GPU or the library.
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self.status,
            NVJPEG_STATUS_BAD_JPEG
                | NVJPEG_STATUS_JPEG_NOT_SUPPORTED
                | NVJPEG_STATUS_INCOMPLETE_BITSTREAM
        )
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

/// `NVJPEG_STATUS_*`'s C name.
fn status_name(status: Status) -> &'static str {
    STATUS_NAMES
        .iter()
        .find(|&&(_, value)| value == status)
        .map_or("unknown NVJPEG_STATUS", |&(name, _)| name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::size_of;

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
        assert_eq!(
            check(99, "nvjpegDecode").unwrap_err().to_string(),
            "nvjpegDecode failed: unknown NVJPEG_STATUS (99)"
        );
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

    #[test]
    fn every_api_entry_point_is_in_the_declared_table() {
        // `Api` is its fn pointers, the path and the library handle; counting
        // pointer-sized slots catches a field added outside the macro.
        let pointer_fields =
            (size_of::<Api>() - size_of::<String>() - size_of::<libloading::Library>())
                / size_of::<fn()>();
        assert_eq!(pointer_fields, DECLARED_FUNCTIONS.len());
        let mut symbols: Vec<&str> = DECLARED_FUNCTIONS.iter().map(|f| f.symbol).collect();
        symbols.sort_unstable();
        symbols.dedup();
        assert_eq!(symbols.len(), DECLARED_FUNCTIONS.len(), "a symbol twice");
        assert!(symbols.iter().all(|s| s.starts_with("nvjpeg")));
    }
}
