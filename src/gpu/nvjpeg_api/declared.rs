//! What src/gpu/nvjpeg_api.rs declares, as data: every type that crosses
//! the FFI boundary with its C name, size and alignment, every struct field's
//! offset, every C constant's value and each entry point's C pointer type,
//! for tests/gpu/nvjpeg_abi.rs to compile against the real nvjpeg.h.

pub use super::DECLARED_FUNCTIONS;
use super::{
    CUstream, EncoderParams, EncoderState, Handle, Image, InputFormat, JpegState, LibraryProperty,
    OutputFormat, RawChromaSubsampling, Status, MAX_COMPONENT, NVJPEG_CSS_420, NVJPEG_CSS_422,
    NVJPEG_CSS_444, NVJPEG_INPUT_RGBI, NVJPEG_OUTPUT_RGBI, PROPERTY_MAJOR_VERSION,
    PROPERTY_MINOR_VERSION, PROPERTY_PATCH_LEVEL, STATUS_NAMES,
};
use std::ffi::c_int;
use std::mem::{align_of, offset_of, size_of};

/// One nvJPEG entry point as Rust declares it: every one returns
/// `nvjpegStatus_t`; the parameter types are the Rust types as written.
#[derive(Clone, Copy, Debug)]
pub struct DeclaredFunction {
    /// The [`super::Api`] field holding it.
    pub field: &'static str,
    /// The C symbol.
    pub symbol: &'static str,
    pub params: &'static [&'static str],
}

/// A type that crosses the FFI boundary: its Rust name as written in the
/// declarations, its C name in nvjpeg.h, and its Rust size and alignment.
#[derive(Clone, Copy, Debug)]
pub struct DeclaredType {
    pub rust: &'static str,
    pub c: &'static str,
    pub size: usize,
    pub align: usize,
}

/// Builds [`DECLARED_TYPES`], sizes and alignments taken from the Rust types.
macro_rules! declared_types {
    ($($rust:ident => $c:literal,)*) => {
        /// Every type named in [`DECLARED_FUNCTIONS`], with its C name.
        pub const DECLARED_TYPES: &[DeclaredType] = &[$(DeclaredType {
            rust: stringify!($rust),
            c: $c,
            size: size_of::<$rust>(),
            align: align_of::<$rust>(),
        },)*];
    };
}

declared_types! {
    Status => "nvjpegStatus_t",
    Handle => "nvjpegHandle_t",
    JpegState => "nvjpegJpegState_t",
    EncoderState => "nvjpegEncoderState_t",
    EncoderParams => "nvjpegEncoderParams_t",
    Image => "nvjpegImage_t",
    RawChromaSubsampling => "nvjpegChromaSubsampling_t",
    InputFormat => "nvjpegInputFormat_t",
    OutputFormat => "nvjpegOutputFormat_t",
    LibraryProperty => "libraryPropertyType",
    CUstream => "cudaStream_t",
    c_int => "int",
    usize => "size_t",
    u8 => "unsigned char",
}

/// A field of a declared struct: C struct and field names, Rust offset and
/// size.
#[derive(Clone, Copy, Debug)]
pub struct DeclaredField {
    pub c_struct: &'static str,
    pub c_field: &'static str,
    pub offset: usize,
    pub size: usize,
}

/// Every field of every struct declared here.
pub const DECLARED_FIELDS: &[DeclaredField] = &[
    DeclaredField {
        c_struct: "nvjpegImage_t",
        c_field: "channel",
        offset: offset_of!(Image, channel),
        size: size_of::<[*mut u8; MAX_COMPONENT]>(),
    },
    DeclaredField {
        c_struct: "nvjpegImage_t",
        c_field: "pitch",
        offset: offset_of!(Image, pitch),
        size: size_of::<[usize; MAX_COMPONENT]>(),
    },
];

/// The nvjpeg.h major version these declarations were checked against.
pub const BUILT_FOR_NVJPEG_MAJOR: c_int = 13;

/// Every C constant imgwire relies on, by its C name, with the value Rust
/// uses for it.
pub fn declared_constants() -> Vec<(&'static str, i64)> {
    let others: [(&str, i64); 10] = [
        ("NVJPEG_CSS_444", NVJPEG_CSS_444.into()),
        ("NVJPEG_CSS_422", NVJPEG_CSS_422.into()),
        ("NVJPEG_CSS_420", NVJPEG_CSS_420.into()),
        ("NVJPEG_INPUT_RGBI", NVJPEG_INPUT_RGBI.into()),
        ("NVJPEG_OUTPUT_RGBI", NVJPEG_OUTPUT_RGBI.into()),
        ("MAJOR_VERSION", PROPERTY_MAJOR_VERSION.into()),
        ("MINOR_VERSION", PROPERTY_MINOR_VERSION.into()),
        ("PATCH_LEVEL", PROPERTY_PATCH_LEVEL.into()),
        ("NVJPEG_MAX_COMPONENT", MAX_COMPONENT as i64),
        ("NVJPEG_VER_MAJOR", BUILT_FOR_NVJPEG_MAJOR.into()),
    ];
    let statuses = STATUS_NAMES
        .iter()
        .map(|&(name, value)| (name, i64::from(value)));
    statuses.chain(others).collect()
}

impl DeclaredFunction {
    /// The C type of a pointer to this function as Rust declares it, e.g.
    /// `nvjpegStatus_t (*)(nvjpegHandle_t *)`; `None` names a Rust type
    /// missing from [`DECLARED_TYPES`].
    pub fn c_pointer_type(&self) -> Option<String> {
        let params: Option<Vec<String>> = self.params.iter().map(|ty| c_type(ty)).collect();
        Some(format!("{} (*)({})", c_type("Status")?, params?.join(", ")))
    }
}

/// `*mut Handle` -> `nvjpegHandle_t *`, `*const u8` -> `const unsigned char *`.
fn c_type(rust: &str) -> Option<String> {
    let rust = rust.trim();
    if let Some(pointee) = rust.strip_prefix('*') {
        let pointee = pointee.trim_start();
        if let Some(target) = pointee.strip_prefix("mut ") {
            return Some(format!("{} *", c_type(target)?));
        }
        let target = pointee.strip_prefix("const ")?;
        return Some(format!("const {} *", c_type(target)?));
    }
    let declared = DECLARED_TYPES.iter().find(|t| t.rust == rust)?;
    Some(declared.c.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_declared_signature_has_a_c_spelling() {
        for function in DECLARED_FUNCTIONS {
            assert!(
                function.c_pointer_type().is_some(),
                "{} uses a type missing from DECLARED_TYPES: {:?}",
                function.symbol,
                function.params
            );
        }
        let decode = DECLARED_FUNCTIONS.iter().find(|f| f.field == "decode");
        assert_eq!(
            decode.and_then(DeclaredFunction::c_pointer_type).as_deref(),
            Some(
                "nvjpegStatus_t (*)(nvjpegHandle_t, nvjpegJpegState_t, const unsigned char *, \
                 size_t, nvjpegOutputFormat_t, nvjpegImage_t *, cudaStream_t)"
            )
        );
    }

    #[test]
    fn declared_constants_are_named_once() {
        let constants = declared_constants();
        let mut names: Vec<&str> = constants.iter().map(|&(name, _)| name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), constants.len());
        assert!(constants.contains(&("NVJPEG_STATUS_INCOMPLETE_BITSTREAM", 10)));
    }
}
