//! The model's tensors, as both REST and gRPC requests describe them: the
//! one input `image` (BYTES, shape [1]), how a serialized BYTES element is
//! read (u32 little-endian length, then the bytes), what the model makes of
//! an element (a JPEG, or base64 text of one), and the one output `size`.

use crate::server::jpeg_size;
use crate::server::refusal::{echo, echo_list, RequestError};
use crate::server::request::Deserialized;
use crate::wire::{ImageFormat, ImageMeta};
use base64::Engine;
use bytes::Bytes;

/// The image input.
pub const INPUT: &str = "image";
pub const INPUT_DATATYPE: &str = "BYTES";
pub const INPUT_SHAPE: [i64; 1] = [1];
/// The answer: [height, width].
pub const OUTPUT: &str = "size";
pub const OUTPUT_DATATYPE: &str = "INT32";
pub const OUTPUT_SHAPE: [i64; 1] = [2];

/// An input tensor as a request declares it.
pub struct DeclaredInput<'a> {
    pub name: &'a str,
    pub datatype: &'a str,
    pub shape: &'a [i64],
}

/// What the shared request path needs from an infer request, and what its
/// answer says.
pub struct ModelInput {
    pub image: Deserialized,
    /// `[height, width]`, from the JPEG's frame header.
    pub size: [i32; 2],
}

/// Checks that a request's inputs are the model's one input.
pub fn check_inputs(model: &str, inputs: &[DeclaredInput]) -> Result<(), RequestError> {
    let [input] = inputs else {
        return Err(malformed(format!(
            "expected 1 inputs but got {} inputs for model '{model}' (it takes one {INPUT_DATATYPE} input '{INPUT}')",
            inputs.len()
        )));
    };
    if input.name != INPUT {
        return Err(malformed(format!(
            "unexpected inference input '{}' for model '{model}' (its input is '{INPUT}')",
            echo(input.name)
        )));
    }
    if input.datatype != INPUT_DATATYPE {
        return Err(malformed(format!(
            "inference input '{INPUT}' data-type is '{}', but model '{model}' expects '{INPUT_DATATYPE}'",
            echo(input.datatype)
        )));
    }
    if input.shape != INPUT_SHAPE {
        return Err(malformed(format!(
            "unexpected shape for input '{INPUT}' for model '{model}'. Expected {INPUT_SHAPE:?}, got {}",
            echo_list(input.shape)
        )));
    }
    Ok(())
}

/// Checks that a requested output is the model's one output.
pub fn check_output(model: &str, name: &str) -> Result<(), RequestError> {
    if name == OUTPUT {
        Ok(())
    } else {
        Err(malformed(format!(
            "unexpected inference output '{}' for model '{model}' (its output is '{OUTPUT}')",
            echo(name)
        )))
    }
}

/// The one element of a serialized BYTES tensor of shape [1]: a u32
/// little-endian length, then that many bytes, and nothing after.
pub fn single_element(serialized: Bytes) -> Result<Bytes, RequestError> {
    let Some(prefix) = serialized.first_chunk::<4>() else {
        return Err(malformed(format!(
            "input '{INPUT}' holds {} bytes, too few for the 4-byte length (u32 little-endian) every {INPUT_DATATYPE} element starts with",
            serialized.len()
        )));
    };
    let declared = u32::from_le_bytes(*prefix) as usize;
    let available = serialized.len() - 4;
    if declared > available {
        return Err(malformed(format!(
            "incomplete string data for inference input '{INPUT}', expecting string of length {declared} but only {available} bytes available (each {INPUT_DATATYPE} element is its length as a u32 little-endian, then the bytes)"
        )));
    }
    if declared < available {
        return Err(malformed(format!(
            "input '{INPUT}' has {} bytes after its element of {declared} bytes; shape {INPUT_SHAPE:?} holds one element",
            available - declared
        )));
    }
    Ok(serialized.slice(4..))
}

/// What the model makes of an element: a JPEG when it starts with FF D8,
/// otherwise base64 text of one; with its [height, width].
pub fn model_input(element: Bytes) -> Result<ModelInput, RequestError> {
    let jpeg = if element.starts_with(&[0xFF, 0xD8]) {
        element
    } else {
        base64::engine::general_purpose::STANDARD
            .decode(&element)
            .map(Bytes::from)
            .map_err(|e| {
                malformed(format!(
                    "input '{INPUT}' is neither a JPEG (FF D8 ...) nor base64 text: {e}"
                ))
            })?
    };
    let size = jpeg_size::read(&jpeg).map_err(|e| {
        RequestError::BadImage(format!(
            "input '{INPUT}' ({} bytes) is not a readable JPEG: {e}",
            jpeg.len()
        ))
    })?;
    let meta = ImageMeta {
        width: u32::from(size.width),
        height: u32::from(size.height),
        channels: u32::from(size.components),
        format: ImageFormat::Jpeg,
    };
    Ok(ModelInput {
        image: Deserialized::Image { bytes: jpeg, meta },
        size: [i32::from(size.height), i32::from(size.width)],
    })
}

/// The answer `[height, width]` as a raw INT32 tensor: little-endian i32s.
pub fn size_bytes(size: [i32; 2]) -> Bytes {
    let mut raw = Vec::with_capacity(8);
    raw.extend_from_slice(&size[0].to_le_bytes());
    raw.extend_from_slice(&size[1].to_le_bytes());
    Bytes::from(raw)
}

fn malformed(message: String) -> RequestError {
    RequestError::Malformed(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn element(bytes: &[u8]) -> Bytes {
        let mut out = (bytes.len() as u32).to_le_bytes().to_vec();
        out.extend_from_slice(bytes);
        Bytes::from(out)
    }

    #[test]
    fn one_element_is_read_and_anything_else_refused() {
        assert_eq!(&single_element(element(b"abc")).unwrap()[..], b"abc");
        let short = single_element(Bytes::from_static(b"ab")).unwrap_err();
        assert!(
            short.to_string().contains("too few for the 4-byte length"),
            "{short}"
        );
        let mut cut = element(b"abcdef").to_vec();
        cut.truncate(7);
        let cut = single_element(Bytes::from(cut)).unwrap_err();
        assert!(
            cut.to_string()
                .contains("expecting string of length 6 but only 3"),
            "{cut}"
        );
        let mut long = element(b"ab").to_vec();
        long.push(0);
        let long = single_element(Bytes::from(long)).unwrap_err();
        assert!(
            long.to_string().contains("1 bytes after its element"),
            "{long}"
        );
    }

    #[test]
    fn inputs_other_than_the_model_s_are_refused_by_name() {
        let ok = DeclaredInput {
            name: "image",
            datatype: "BYTES",
            shape: &[1],
        };
        assert!(check_inputs("decode", &[ok]).is_ok());
        let uint8 = DeclaredInput {
            name: "image",
            datatype: "UINT8",
            shape: &[1],
        };
        let err = check_inputs("decode", &[uint8]).unwrap_err().to_string();
        assert!(
            err.contains("data-type is 'UINT8', but model 'decode' expects 'BYTES'"),
            "{err}"
        );
        let err = check_inputs("decode", &[]).unwrap_err().to_string();
        assert!(err.contains("expected 1 inputs but got 0"), "{err}");
        assert!(check_output("decode", "size").is_ok());
        assert!(check_output("decode", "labels").is_err());
    }

    #[test]
    fn text_that_is_not_base64_is_refused() {
        let err = model_input(Bytes::from_static(b"not base64!"))
            .err()
            .unwrap();
        assert!(err.to_string().contains("neither a JPEG"), "{err}");
        assert_eq!(&size_bytes([1080, 1920])[..], b"\x38\x04\0\0\x80\x07\0\0");
    }
}
