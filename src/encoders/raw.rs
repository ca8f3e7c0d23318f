//! `--encoder none`: the frame's own bytes, so compression can be taken out
//! of the comparison entirely.

use super::Encoder;
use crate::frame::Frame;
use crate::wire::ImageFormat;
use anyhow::Result;

pub struct RawEncoder;

impl Encoder for RawEncoder {
    fn encode(&mut self, frame: &Frame) -> Result<Vec<u8>> {
        Ok(frame.pixels.clone())
    }

    fn format(&self) -> ImageFormat {
        ImageFormat::Raw
    }
}
