//! What crosses the wire, whatever the target: payload kinds, imgwire's own
//! REST and gRPC bodies, the bodies and codecs every target's requests are
//! built from, the `Server-Timing` text, and the raw-bytes gRPC codec. Each
//! target's own request bodies and answer checks live in its folder under
//! `src/target/`.

pub(crate) mod body;
pub mod codec;
pub mod content;
pub mod gzip;
pub(crate) mod image_body;
pub(crate) mod json;
pub mod payload;
pub mod proto;
pub mod server_timing;

#[cfg(test)]
pub(crate) mod fuzz;

use bytes::Bytes;
use clap::ValueEnum;
use serde::{Deserialize, Serialize};

/// How the image bytes are packed (mirrors `imgwire.v1.ImageFormat`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageFormat {
    Jpeg,
    Raw,
}

impl ImageFormat {
    pub fn name(self) -> &'static str {
        match self {
            ImageFormat::Jpeg => "jpeg",
            ImageFormat::Raw => "raw",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "jpeg" => Some(ImageFormat::Jpeg),
            "raw" => Some(ImageFormat::Raw),
            _ => None,
        }
    }
}

/// What the client declares about an image; the server checks it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageMeta {
    pub width: u32,
    pub height: u32,
    pub channels: u32,
    pub format: ImageFormat,
}

/// Compressed bytes and what a server needs to check them. The bytes are
/// shared, not copied: every request that sends them as they are (a REST
/// `/binary` body, a protobuf `bytes` field) holds a reference to this one
/// buffer.
#[derive(Clone, Debug)]
pub struct EncodedImage {
    pub bytes: Bytes,
    pub meta: ImageMeta,
}

/// The seed post's three request shapes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, ValueEnum, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PayloadKind {
    /// Structured data only (two strings, an int, a 100-entry map).
    Basic,
    /// The image as base64 text in JSON, or in a protobuf string.
    B64,
    /// The image as bytes: the raw REST body, or a protobuf `bytes` field.
    Binary,
}

impl PayloadKind {
    pub fn name(self) -> &'static str {
        match self {
            PayloadKind::Basic => "basic",
            PayloadKind::B64 => "b64",
            PayloadKind::Binary => "binary",
        }
    }

    pub fn carries_image(self) -> bool {
        self != PayloadKind::Basic
    }
}

/// A few bytes that start like a JPEG, declared as `width` x `height` RGB:
/// what the wire formats' tests serialize (none of them decodes it).
#[cfg(test)]
pub(crate) fn test_image(width: u32, height: u32) -> EncodedImage {
    EncodedImage {
        bytes: Bytes::from_static(&[0xff, 0xd8, 1, 2, 3]),
        meta: test_jpeg_meta(width, height),
    }
}

/// What a client declares for a 3-channel JPEG of `width` x `height`, as
/// the tests send it.
#[cfg(test)]
pub(crate) fn test_jpeg_meta(width: u32, height: u32) -> ImageMeta {
    ImageMeta {
        width,
        height,
        channels: 3,
        format: ImageFormat::Jpeg,
    }
}
