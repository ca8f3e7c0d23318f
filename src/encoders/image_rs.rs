//! image-rs's pure-Rust JPEG encoder. It has no subsampling setting of its
//! own; the report reads the subsampling it chose back from its output.

use super::{EncodeSettings, Encoder};
use crate::frame::Frame;
use crate::wire::ImageFormat;
use anyhow::{Context, Result};
use image::codecs::jpeg::JpegEncoder;
use image::ExtendedColorType;

pub struct ImageRsEncoder {
    quality: u8,
}

impl ImageRsEncoder {
    pub fn new(settings: EncodeSettings) -> Self {
        ImageRsEncoder {
            quality: settings.quality,
        }
    }
}

impl Encoder for ImageRsEncoder {
    fn encode(&mut self, frame: &Frame) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(frame.len_bytes() / 4);
        JpegEncoder::new_with_quality(&mut out, self.quality)
            .encode(
                &frame.pixels,
                frame.width,
                frame.height,
                ExtendedColorType::Rgb8,
            )
            .context("image-rs could not encode the frame")?;
        Ok(out)
    }

    fn format(&self) -> ImageFormat {
        ImageFormat::Jpeg
    }
}
