//! imgwire's image request bodies. The base64 ones are each built in one
//! buffer of its exact size: base64 text is written straight into the JSON or protobuf around
//! it (no intermediate `String` and no growing `Vec` left with spare
//! capacity), and a protobuf `bytes` field takes the image's shared buffer
//! instead of a copy of it (the binary message is sent as parts, the image
//! one of them). The bytes are the same serde_json and prost
//! write for `Base64Json`, `Base64ImageRequest` and `BinaryImageRequest`.

use super::body::WireBody;
use super::proto::imgwire as pb;
use super::EncodedImage;
use base64::Engine;
use bytes::Bytes;
use prost::encoding;
use prost::Message;

/// `POST /base64`'s JSON: `{"image":"<base64>","width":..,"height":..,
/// "channels":..,"format":".."}`, the fields in `Base64Json`'s order.
/// Base64 text needs no JSON escaping, and the rest are numbers and a
/// lowercase format name.
pub fn base64_json(image: &EncodedImage) -> Vec<u8> {
    let meta = image.meta;
    let tail = format!(
        "\",\"width\":{},\"height\":{},\"channels\":{},\"format\":\"{}\"}}",
        meta.width,
        meta.height,
        meta.channels,
        meta.format.name()
    );
    const HEAD: &[u8] = b"{\"image\":\"";
    let mut json = Vec::with_capacity(HEAD.len() + base64_len(&image.bytes) + tail.len());
    json.extend_from_slice(HEAD);
    push_base64(&mut json, &image.bytes);
    json.extend_from_slice(tail.as_bytes());
    json
}

/// `Base64ImageRequest` as protobuf: field 1 (`image`, the base64 text),
/// then field 2 (`info`), as prost orders them.
pub fn base64_proto(image: &EncodedImage) -> Vec<u8> {
    let text_len = base64_len(&image.bytes);
    let info = pb::Base64ImageRequest {
        image: String::new(), // proto3 leaves an empty field out: `info` alone
        info: Some(image.meta.into()),
    };
    let info = info.encode_to_vec();
    let mut body = Vec::with_capacity(2 * 10 + text_len + info.len());
    push_field_head(&mut body, 1, text_len);
    push_base64(&mut body, &image.bytes);
    body.extend_from_slice(&info);
    body
}

/// `BinaryImageRequest` as protobuf, in three parts: field 1 (`image`) as
/// `bytes_field` gives it, then field 2 (`info`), as prost orders them.
/// Nothing copies the image.
pub fn binary_proto(image: &EncodedImage) -> WireBody {
    let info = pb::BinaryImageRequest {
        image: Bytes::new(),
        info: Some(image.meta.into()),
    };
    let info = Bytes::from(info.encode_to_vec());
    WireBody::from_parts(
        bytes_field(1, std::slice::from_ref(&image.bytes))
            .into_iter()
            .chain([info]),
    )
}

/// A protobuf `bytes` field whose value is the parts of `value`, their own
/// buffers: the field's key and the value's length, then the parts (a
/// reference count each, not a copy). An empty value is left out, as
/// proto3 and prost do.
pub fn bytes_field(field: u32, value: &[Bytes]) -> Vec<Bytes> {
    let length: usize = value.iter().map(Bytes::len).sum();
    if length == 0 {
        return Vec::new();
    }
    let mut head = Vec::with_capacity(2 * 10);
    push_field_head(&mut head, field, length);
    std::iter::once(Bytes::from(head))
        .chain(value.iter().cloned())
        .collect()
}

/// Appends what comes before a length-delimited field's `length` bytes:
/// its key and the length, as prost writes them; nothing for an empty
/// field, which proto3 (and prost) leave out.
fn push_field_head(out: &mut Vec<u8>, field: u32, length: usize) {
    if length > 0 {
        encoding::encode_key(field, encoding::WireType::LengthDelimited, out);
        encoding::encode_varint(length as u64, out);
    }
}

/// Appends `bytes` as padded base64 text, encoded in place (no `String`,
/// so no UTF-8 check of text that is ASCII by construction).
fn push_base64(out: &mut Vec<u8>, bytes: &[u8]) {
    let start = out.len();
    out.resize(start + base64_len(bytes), 0);
    let written = base64::engine::general_purpose::STANDARD
        .encode_slice(bytes, &mut out[start..])
        .unwrap_or_default();
    debug_assert_eq!(written, base64_len(bytes));
}

/// The length of `bytes` as padded base64 text.
fn base64_len(bytes: &[u8]) -> usize {
    bytes.len().div_ceil(3) * 4
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::json::Base64Json;
    use crate::wire::{ImageFormat, ImageMeta};
    use std::borrow::Cow;

    /// Images whose base64 text is 0, 4, 8 ... long, and one whose length
    /// needs a two-byte varint (over 127 characters) or a three-byte one.
    fn images() -> Vec<EncodedImage> {
        [0usize, 1, 2, 3, 4, 95, 96, 97, 20_000]
            .into_iter()
            .map(|len| EncodedImage {
                bytes: Bytes::from((0..len).map(|i| (i * 7 % 256) as u8).collect::<Vec<u8>>()),
                meta: ImageMeta {
                    width: 1920,
                    height: 1080,
                    channels: 3,
                    format: if len % 2 == 0 {
                        ImageFormat::Jpeg
                    } else {
                        ImageFormat::Raw
                    },
                },
            })
            .collect()
    }

    fn text(image: &EncodedImage) -> String {
        base64::engine::general_purpose::STANDARD.encode(&image.bytes)
    }

    #[test]
    fn the_json_is_what_serde_json_writes() {
        for image in images() {
            let serde = serde_json::to_vec(&Base64Json {
                image: Cow::Owned(text(&image)),
                width: image.meta.width,
                height: image.meta.height,
                channels: image.meta.channels,
                format: image.meta.format,
            })
            .unwrap();
            let built = base64_json(&image);
            assert_eq!(String::from_utf8(built.clone()), String::from_utf8(serde));
            assert_eq!(built.len(), built.capacity(), "exactly sized");
        }
    }

    #[test]
    fn the_protobuf_is_what_prost_writes() {
        for image in images() {
            let prost = pb::Base64ImageRequest {
                image: text(&image),
                info: Some(image.meta.into()),
            }
            .encode_to_vec();
            let built = base64_proto(&image);
            assert_eq!(built, prost, "{} image bytes", image.bytes.len());
            let prost = pb::BinaryImageRequest {
                image: image.bytes.clone(),
                info: Some(image.meta.into()),
            }
            .encode_to_vec();
            let binary = binary_proto(&image);
            assert_eq!(
                &binary.contiguous()[..],
                prost,
                "{} image bytes",
                image.bytes.len()
            );
            if !image.bytes.is_empty() {
                assert_eq!(binary.parts()[1].as_ptr(), image.bytes.as_ptr(), "no copy");
            }
        }
    }
}
