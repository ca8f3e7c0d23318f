//! The encoders `imgwire encode` compares, each made once per thread: the
//! CPU encoders and nvJPEG fed from host memory through `encode`'s
//! `Encoder` trait, and nvJPEG fed frames already resident on the GPU.

use crate::encoders::{make_encoder, EncodeSettings, Encoder, EncoderKind, Subsampling};
use crate::frame::Frame;
use crate::gpu::{DeviceFrame, GpuContext, GpuUse, NvjpegEncoder};
use crate::wire::ImageFormat;
use anyhow::{Context, Result};
use clap::ValueEnum;
use serde::Serialize;

/// One encoder path of the comparison (`--encoders`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EncoderChoice {
    /// libjpeg-turbo (bundled build, SIMD): the reference.
    Turbojpeg,
    /// image-rs's pure-Rust JPEG encoder (always 4:4:4).
    ImageRs,
    /// No compression: the frame's raw RGB bytes, as `bench --encoder none` sends them.
    None,
    /// nvJPEG on the GPU, each frame copied from host memory first.
    Nvjpeg,
    /// nvJPEG on the GPU, frames already in device memory (no upload).
    NvjpegDevice,
}

impl EncoderChoice {
    pub fn name(self) -> &'static str {
        match self {
            EncoderChoice::Turbojpeg => "turbojpeg",
            EncoderChoice::ImageRs => "image-rs",
            EncoderChoice::None => "none",
            EncoderChoice::Nvjpeg => "nvjpeg",
            EncoderChoice::NvjpegDevice => "nvjpeg-device",
        }
    }

    pub fn on_gpu(self) -> bool {
        matches!(self, EncoderChoice::Nvjpeg | EncoderChoice::NvjpegDevice)
    }

    /// Whether the encoder compresses (and so has a quality and a chroma
    /// subsampling); `none` sends the frame's own bytes.
    pub fn compresses(self) -> bool {
        self != EncoderChoice::None
    }

    /// How its output is packed on the wire: raw bytes for `none`.
    pub fn format(self) -> ImageFormat {
        match self {
            EncoderChoice::None => ImageFormat::Raw,
            _ => ImageFormat::Jpeg,
        }
    }

    /// The encoder `bench --encoder` names for the same path.
    pub fn kind(self) -> EncoderKind {
        match self {
            EncoderChoice::Turbojpeg => EncoderKind::Turbojpeg,
            EncoderChoice::ImageRs => EncoderKind::ImageRs,
            EncoderChoice::None => EncoderKind::None,
            EncoderChoice::Nvjpeg | EncoderChoice::NvjpegDevice => EncoderKind::Nvjpeg,
        }
    }

    /// The chroma subsampling the encoder really applies when `asked`
    /// (`None` for raw frames).
    pub fn applied_subsampling(self, asked: Subsampling) -> Option<Subsampling> {
        let settings = EncodeSettings {
            quality: 90,
            subsampling: asked,
        };
        self.kind().applied(settings).1
    }
}

/// Encodes frame `index` of a pool of frames (the index wraps around).
pub trait PoolEncoder {
    fn encode(&mut self, index: usize) -> Result<Vec<u8>>;
}

/// An `Encoder` reading frames from host memory.
struct HostPoolEncoder<'a> {
    encoder: Box<dyn Encoder>,
    frames: &'a [Frame],
}

impl PoolEncoder for HostPoolEncoder<'_> {
    fn encode(&mut self, index: usize) -> Result<Vec<u8>> {
        let frame = &self.frames[index % self.frames.len()];
        self.encoder.encode(frame)
    }
}

/// nvJPEG with its own copy of the pool in device memory, uploaded once
/// when it is made, so the timed encodes move only the bitstream back.
struct DevicePoolEncoder {
    encoder: NvjpegEncoder,
    frames: Vec<DeviceFrame>,
}

impl PoolEncoder for DevicePoolEncoder {
    fn encode(&mut self, index: usize) -> Result<Vec<u8>> {
        let frame = &self.frames[index % self.frames.len()];
        self.encoder.encode_device(frame)
    }
}

/// Makes `choice` with `settings` over `frames` (each nvJPEG encoder on
/// its own CUDA stream).
pub fn make<'a>(
    choice: EncoderChoice,
    settings: EncodeSettings,
    frames: &'a [Frame],
) -> Result<Box<dyn PoolEncoder + 'a>> {
    let host = |kind| -> Result<Box<dyn PoolEncoder + 'a>> {
        Ok(Box::new(HostPoolEncoder {
            encoder: make_encoder(kind, settings)?,
            frames,
        }))
    };
    match choice {
        EncoderChoice::Turbojpeg => host(EncoderKind::Turbojpeg),
        EncoderChoice::ImageRs => host(EncoderKind::ImageRs),
        EncoderChoice::None => host(EncoderKind::None),
        EncoderChoice::Nvjpeg => host(EncoderKind::Nvjpeg),
        EncoderChoice::NvjpegDevice => Ok(Box::new(device_encoder(settings, frames)?)),
    }
}

fn device_encoder(settings: EncodeSettings, frames: &[Frame]) -> Result<DevicePoolEncoder> {
    let gpu = GpuContext::new(GpuUse::EncodeComparison)?;
    let encoder = NvjpegEncoder::new(gpu.clone(), settings.quality, settings.subsampling.nvjpeg())?;
    gpu.ctx.bind_to_thread()?;
    let frames = frames
        .iter()
        .map(|frame| {
            let mut pixels = gpu.stream.alloc_zeros::<u8>(frame.pixels.len())?;
            gpu.stream
                .memcpy_htod(&frame.pixels, &mut pixels)
                .context("could not copy a frame to the GPU")?;
            Ok(DeviceFrame {
                width: frame.width,
                height: frame.height,
                pixels,
            })
        })
        .collect::<Result<_>>()?;
    gpu.stream
        .synchronize()
        .context("could not finish the frames' upload")?;
    Ok(DevicePoolEncoder { encoder, frames })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::{generate, Content};

    #[test]
    fn cpu_encoders_cycle_through_the_pool() {
        let size = "16x24".parse().unwrap();
        let frames: Vec<Frame> = (0..2)
            .map(|i| generate(Content::Noise, size, 1, i))
            .collect();
        let settings = EncodeSettings {
            quality: 90,
            subsampling: Subsampling::S420,
        };
        for choice in [EncoderChoice::Turbojpeg, EncoderChoice::ImageRs] {
            let mut encoder = make(choice, settings, &frames).unwrap();
            let (first, second, third) = (
                encoder.encode(0).unwrap(),
                encoder.encode(1).unwrap(),
                encoder.encode(2).unwrap(),
            );
            assert_ne!(first, second, "{choice:?}");
            assert_eq!(first, third, "{choice:?}");
        }
        assert_eq!(
            EncoderChoice::ImageRs.applied_subsampling(Subsampling::S420),
            Some(Subsampling::S444)
        );
        assert_eq!(
            EncoderChoice::NvjpegDevice.applied_subsampling(Subsampling::S422),
            Some(Subsampling::S422)
        );
        assert_eq!(
            EncoderChoice::None.applied_subsampling(Subsampling::S420),
            None
        );
        let mut raw = make(EncoderChoice::None, settings, &frames).unwrap();
        assert_eq!(raw.encode(1).unwrap(), frames[1].pixels);
    }
}
