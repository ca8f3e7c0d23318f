//! libjpeg-turbo through the `turbojpeg` crate (bundled, SIMD build).

use super::{EncodeSettings, Encoder, Subsampling};
use crate::frame::Frame;
use crate::wire::ImageFormat;
use anyhow::{Context, Result};
use turbojpeg::{Compressor, Image, PixelFormat, Subsamp};

pub struct TurboEncoder {
    compressor: Compressor,
}

impl TurboEncoder {
    pub fn new(settings: EncodeSettings) -> Result<Self> {
        let mut compressor =
            Compressor::new().context("could not create a turbojpeg compressor")?;
        compressor
            .set_quality(i32::from(settings.quality))
            .context("turbojpeg refused --quality")?;
        compressor
            .set_subsamp(match settings.subsampling {
                Subsampling::S420 => Subsamp::Sub2x2,
                Subsampling::S422 => Subsamp::Sub2x1,
                Subsampling::S444 => Subsamp::None,
            })
            .context("turbojpeg refused --subsampling")?;
        Ok(TurboEncoder { compressor })
    }
}

impl Encoder for TurboEncoder {
    fn encode(&mut self, frame: &Frame) -> Result<Vec<u8>> {
        let image = Image {
            pixels: frame.pixels.as_slice(),
            width: frame.width as usize,
            pitch: frame.width as usize * 3,
            height: frame.height as usize,
            format: PixelFormat::RGB,
        };
        self.compressor
            .compress_to_vec(image)
            .context("turbojpeg could not encode the frame")
    }

    fn format(&self) -> ImageFormat {
        ImageFormat::Jpeg
    }
}
