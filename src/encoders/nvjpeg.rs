//! `--encoder nvjpeg`: the GPU's nvJPEG encoder behind the [`Encoder`]
//! trait. The GPU side (`gpu::NvjpegEncoder`) knows nothing of this trait.

use super::{EncodeSettings, Encoder};
use crate::frame::Frame;
use crate::gpu::{GpuContext, GpuUse, NvjpegEncoder};
use crate::wire::ImageFormat;
use anyhow::Result;

/// JPEG encoding with nvJPEG on the GPU, as one of the project's encoders.
pub struct NvjpegJpegEncoder {
    gpu: NvjpegEncoder,
}

impl NvjpegJpegEncoder {
    /// Opens the GPU and nvJPEG; fails with one clear line (naming
    /// `--encoder nvjpeg`) where either is missing.
    pub fn new(settings: EncodeSettings) -> Result<Self> {
        let gpu = GpuContext::new(GpuUse::Encoder)?;
        Ok(NvjpegJpegEncoder {
            gpu: NvjpegEncoder::new(gpu, settings.quality, settings.subsampling.nvjpeg())?,
        })
    }
}

impl Encoder for NvjpegJpegEncoder {
    fn encode(&mut self, frame: &Frame) -> Result<Vec<u8>> {
        self.gpu.encode_host(frame)
    }

    fn format(&self) -> ImageFormat {
        ImageFormat::Jpeg
    }
}

#[cfg(test)]
mod tests {
    use crate::encoders::Subsampling;
    use crate::gpu::ChromaSubsampling;

    #[test]
    fn subsampling_maps_to_the_same_nvjpeg_layout() {
        assert_eq!(Subsampling::S420.nvjpeg(), ChromaSubsampling::Css420);
        assert_eq!(Subsampling::S422.nvjpeg(), ChromaSubsampling::Css422);
        assert_eq!(Subsampling::S444.nvjpeg(), ChromaSubsampling::Css444);
    }
}
