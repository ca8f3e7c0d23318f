//! REST bodies as JSON (serde): the seed's field names, plus image metadata.

use super::{ImageFormat, ImageMeta};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `POST /basic`: the seed's structured request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BasicJson {
    pub field1: String,
    pub field2: String,
    pub field3: i32,
    pub field4: BTreeMap<String, i32>,
}

/// `POST /base64`: `{"image": "<base64>"}` as the seed sent it, with the
/// image's metadata beside it (a seed server ignores the extra fields).
#[derive(Debug, Serialize, Deserialize)]
pub struct Base64Json<'a> {
    #[serde(borrow)]
    pub image: std::borrow::Cow<'a, str>,
    pub width: u32,
    pub height: u32,
    pub channels: u32,
    pub format: ImageFormat,
}

impl Base64Json<'_> {
    pub fn meta(&self) -> ImageMeta {
        ImageMeta {
            width: self.width,
            height: self.height,
            channels: self.channels,
            format: self.format,
        }
    }
}

/// The response body, the same content as gRPC's `PredictionResponse`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PredictionJson {
    pub prediction1: Vec<f32>,
    pub prediction2: BTreeMap<String, i32>,
}

/// The body of every REST error: one line a person can act on.
#[derive(Debug, Serialize, Deserialize)]
pub struct ErrorJson {
    pub error: String,
}

/// Headers that carry the image's metadata beside a raw `POST /binary` body.
pub mod headers {
    pub const WIDTH: &str = "x-image-width";
    pub const HEIGHT: &str = "x-image-height";
    pub const CHANNELS: &str = "x-image-channels";
    pub const FORMAT: &str = "x-image-format";
}
