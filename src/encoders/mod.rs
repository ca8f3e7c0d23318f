//! Raw frame -> compressed bytes. One small trait, one file per encoder.

mod image_rs;
mod nvjpeg;
mod raw;
mod turbo;

use crate::frame::Frame;
use crate::wire::{EncodedImage, ImageFormat, ImageMeta};
use anyhow::Result;
use bytes::Bytes;
use clap::ValueEnum;
use serde::Serialize;

/// Which encoder makes the bytes that go on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EncoderKind {
    /// libjpeg-turbo (bundled build, SIMD).
    Turbojpeg,
    /// image-rs's pure-Rust JPEG encoder.
    ImageRs,
    /// No compression: raw RGB bytes, with width/height/channels beside them.
    None,
    /// NVIDIA nvJPEG on the GPU (needs a GPU, its driver and libnvjpeg at run time).
    Nvjpeg,
}

impl EncoderKind {
    pub fn name(self) -> &'static str {
        match self {
            EncoderKind::Turbojpeg => "turbojpeg",
            EncoderKind::ImageRs => "image-rs",
            EncoderKind::None => "none",
            EncoderKind::Nvjpeg => "nvjpeg",
        }
    }
}

/// When the frames a request carries are made and encoded (`--encode`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EncodeMode {
    /// Once, before the first burst: a pool of encoded frames that requests
    /// reuse (the seed's table: the transport alone).
    #[default]
    Pool,
    /// Per request, at send time, by `--encode-threads` encoder workers:
    /// a camera pipeline, encoding inside each request's wall time.
    Live,
}

/// JPEG chroma subsampling.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize, serde::Deserialize)]
pub enum Subsampling {
    #[value(name = "420")]
    #[serde(rename = "420")]
    S420,
    #[value(name = "422")]
    #[serde(rename = "422")]
    S422,
    #[value(name = "444")]
    #[serde(rename = "444")]
    S444,
}

impl Subsampling {
    /// The same layout as nvJPEG spells it.
    pub fn nvjpeg(self) -> crate::gpu::ChromaSubsampling {
        use crate::gpu::ChromaSubsampling;
        match self {
            Subsampling::S420 => ChromaSubsampling::Css420,
            Subsampling::S422 => ChromaSubsampling::Css422,
            Subsampling::S444 => ChromaSubsampling::Css444,
        }
    }

    /// The usual J:a:b notation.
    pub fn label(self) -> &'static str {
        match self {
            Subsampling::S420 => "4:2:0",
            Subsampling::S422 => "4:2:2",
            Subsampling::S444 => "4:4:4",
        }
    }
}

impl EncoderKind {
    /// The quality and chroma subsampling the encoder really applies, given
    /// what was asked: none for raw frames; image-rs encodes 4:4:4 whatever
    /// `--subsampling` says (it has no setting for it).
    pub fn applied(self, asked: EncodeSettings) -> (Option<u8>, Option<Subsampling>) {
        match self {
            EncoderKind::None => (None, None),
            EncoderKind::ImageRs => (Some(asked.quality), Some(Subsampling::S444)),
            EncoderKind::Turbojpeg | EncoderKind::Nvjpeg => {
                (Some(asked.quality), Some(asked.subsampling))
            }
        }
    }
}

/// Settings every JPEG encoder takes.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct EncodeSettings {
    pub quality: u8,
    pub subsampling: Subsampling,
}

/// One way to compress a frame.
pub trait Encoder: Send {
    fn encode(&mut self, frame: &Frame) -> Result<Vec<u8>>;
    fn format(&self) -> ImageFormat;
}

/// Builds the encoder `kind` with `settings`.
pub fn make_encoder(kind: EncoderKind, settings: EncodeSettings) -> Result<Box<dyn Encoder>> {
    Ok(match kind {
        EncoderKind::Turbojpeg => Box::new(turbo::TurboEncoder::new(settings)?),
        EncoderKind::ImageRs => Box::new(image_rs::ImageRsEncoder::new(settings)),
        EncoderKind::None => Box::new(raw::RawEncoder),
        EncoderKind::Nvjpeg => Box::new(nvjpeg::NvjpegJpegEncoder::new(settings)?),
    })
}

/// Encodes `frame` and attaches the metadata the server checks against.
pub fn encode_frame(encoder: &mut dyn Encoder, frame: &Frame) -> Result<EncodedImage> {
    let bytes = encoder.encode(frame)?;
    let format = encoder.format();
    Ok(encoded_image(
        bytes,
        (frame.width, frame.height, frame.channels),
        format,
    ))
}

/// Encoded bytes of a `(width, height, channels)` frame with the metadata
/// the server checks against (also for frames encoded where they lie, on
/// the GPU).
pub fn encoded_image(bytes: Vec<u8>, shape: (u32, u32, u32), format: ImageFormat) -> EncodedImage {
    let (width, height, channels) = shape;
    EncodedImage {
        bytes: Bytes::from(bytes),
        meta: ImageMeta {
            width,
            height,
            channels,
            format,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::{generate, Content};

    fn bits_per_pixel(content: Content, kind: EncoderKind) -> f64 {
        let size = "360x640".parse().unwrap();
        let frame = generate(content, size, 3, 0);
        let settings = EncodeSettings {
            quality: 90,
            subsampling: Subsampling::S420,
        };
        let bytes = make_encoder(kind, settings)
            .unwrap()
            .encode(&frame)
            .unwrap();
        bytes.len() as f64 * 8.0 / (360.0 * 640.0)
    }

    #[test]
    fn generated_contents_compress_as_promised_at_quality_90() {
        let natural = bits_per_pixel(Content::Natural, EncoderKind::Turbojpeg);
        assert!(
            (1.0..=3.0).contains(&natural),
            "natural: {natural} bits/pixel"
        );
        let noise = bits_per_pixel(Content::Noise, EncoderKind::Turbojpeg);
        let smooth = bits_per_pixel(Content::Smooth, EncoderKind::Turbojpeg);
        assert!(
            smooth < natural && natural < noise,
            "{smooth} < {natural} < {noise}"
        );
        let image_rs = bits_per_pixel(Content::Natural, EncoderKind::ImageRs);
        assert!(
            (0.5..=4.0).contains(&image_rs),
            "image-rs natural: {image_rs}"
        );
    }

    /// The chroma subsampling a baseline JPEG declares in its SOF0 header.
    fn declared_subsampling(jpeg: &[u8]) -> Option<Subsampling> {
        let at = jpeg.windows(2).position(|w| w == [0xFF, 0xC0])?;
        let components = &jpeg[at + 10..];
        let (luma, chroma) = (components[1], components[4]);
        match (luma, chroma) {
            (0x11, 0x11) => Some(Subsampling::S444),
            (0x21, 0x11) => Some(Subsampling::S422),
            (0x22, 0x11) => Some(Subsampling::S420),
            _ => None,
        }
    }

    #[test]
    fn the_report_states_the_subsampling_each_encoder_really_applies() {
        let frame = generate(Content::Natural, "64x64".parse().unwrap(), 1, 0);
        for asked in [Subsampling::S420, Subsampling::S422, Subsampling::S444] {
            let settings = EncodeSettings {
                quality: 90,
                subsampling: asked,
            };
            for kind in [EncoderKind::Turbojpeg, EncoderKind::ImageRs] {
                let jpeg = make_encoder(kind, settings)
                    .unwrap()
                    .encode(&frame)
                    .unwrap();
                let (_, stated) = kind.applied(settings);
                assert_eq!(
                    declared_subsampling(&jpeg),
                    stated,
                    "{kind:?} asked {asked:?}"
                );
            }
        }
        let none = EncodeSettings {
            quality: 50,
            subsampling: Subsampling::S420,
        };
        assert_eq!(EncoderKind::None.applied(none), (None, None));
    }

    #[test]
    fn raw_encoder_keeps_the_pixels() {
        let frame = generate(Content::Noise, "4x5".parse().unwrap(), 1, 0);
        let settings = EncodeSettings {
            quality: 90,
            subsampling: Subsampling::S444,
        };
        let image = encode_frame(
            make_encoder(EncoderKind::None, settings).unwrap().as_mut(),
            &frame,
        )
        .unwrap();
        assert_eq!(image.bytes, frame.pixels);
        assert_eq!(
            (image.meta.width, image.meta.height, image.meta.format),
            (5, 4, ImageFormat::Raw)
        );
    }
}
