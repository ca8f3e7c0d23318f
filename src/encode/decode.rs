//! The server's side of an encoder's choice: each encoder's output decoded
//! as `imgwire serve` decodes a request's image (`server::decode_into`, the
//! same code path and limits, one decoder per thread), timed per frame on
//! one thread, one untimed warm-up frame first.

use super::results::{DecodeRow, DecodeSpeed};
use crate::report::summary::{nanos, summarize};
use crate::server::{decode_into, DecodeLimits, ServerDecoder};
use crate::wire::{ImageFormat, ImageMeta};
use anyhow::{anyhow, bail, Result};
use std::time::Instant;

/// One encoder's outputs as the server receives them: the bytes and the
/// size and format the client declares beside them.
pub struct Received<'a> {
    pub outputs: &'a [Vec<u8>],
    pub width: u32,
    pub height: u32,
    pub format: ImageFormat,
}

impl Received<'_> {
    fn meta(&self) -> ImageMeta {
        ImageMeta {
            width: self.width,
            height: self.height,
            channels: 3,
            format: self.format,
        }
    }
}

/// Decodes `count` of the outputs in turn (wrapping around the pool) with
/// `decoder`, after one untimed warm-up decode; a refused image is an
/// error naming why.
pub fn time_decode(
    decoder: ServerDecoder,
    received: &Received<'_>,
    count: usize,
) -> Result<DecodeSpeed> {
    if received.outputs.is_empty() {
        bail!("no encoded frames to decode");
    }
    let meta = received.meta();
    let limits = DecodeLimits::default();
    let mut pixels = Vec::new();
    let mut decode = |index: usize| {
        let bytes = &received.outputs[index % received.outputs.len()];
        decode_into(decoder, bytes, &meta, &mut pixels, &limits)
            .map_err(|e| anyhow!("the server's {} decode refused it: {e}", decoder.name()))
    };
    decode(0)?;
    let samples = (0..count.max(1))
        .map(|index| {
            let begun = Instant::now();
            decode(index)?;
            Ok(nanos(begun.elapsed()))
        })
        .collect::<Result<Vec<u64>>>()?;
    let summary = summarize(&samples);
    Ok(DecodeSpeed {
        decode_frames: samples.len(),
        decode_p50_frame_ns: summary.p50_ns,
        decode_p99_frame_ns: summary.p99_ns,
        decode_mean_frame_ns: summary.mean_ns,
    })
}

/// The decoders asked for that can run here, and one line per decoder that
/// cannot (nvJPEG without a GPU), in the order asked.
pub fn usable_decoders(
    asked: &[ServerDecoder],
) -> (Vec<ServerDecoder>, Vec<(ServerDecoder, String)>) {
    let mut usable = Vec::new();
    let mut missing = Vec::new();
    for &decoder in asked {
        match crate::server::check_decoder_available(decoder) {
            Ok(()) => usable.push(decoder),
            Err(error) => missing.push((decoder, format!("{error:#}"))),
        }
    }
    (usable, missing)
}

/// Every usable decoder over one encoder setting's outputs; a decoder that
/// fails on them gives a row holding the reason instead of ending the run.
pub fn decode_rows(
    template: &DecodeRow,
    decoders: &[ServerDecoder],
    received: &Received<'_>,
    count: usize,
) -> Vec<DecodeRow> {
    decoders
        .iter()
        .map(|&decoder| {
            let outcome = time_decode(decoder, received, count);
            DecodeRow {
                decoder,
                error: outcome.as_ref().err().map(|e| format!("{e:#}")),
                speed: outcome.ok(),
                ..template.clone()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoders::{make_encoder, EncodeSettings, EncoderKind, Subsampling};
    use crate::frame::{generate, Content};

    fn outputs(kind: EncoderKind) -> Vec<Vec<u8>> {
        let settings = EncodeSettings {
            quality: 90,
            subsampling: Subsampling::S420,
        };
        let mut encoder = make_encoder(kind, settings).unwrap();
        (0..2)
            .map(|i| generate(Content::Natural, "48x64".parse().unwrap(), 1, i))
            .map(|frame| encoder.encode(&frame).unwrap())
            .collect()
    }

    #[test]
    fn jpeg_and_raw_decode_as_the_server_decodes_them() {
        let jpegs = outputs(EncoderKind::Turbojpeg);
        let received = Received {
            outputs: &jpegs,
            width: 64,
            height: 48,
            format: ImageFormat::Jpeg,
        };
        let speed = time_decode(ServerDecoder::Turbojpeg, &received, 5).unwrap();
        assert_eq!(speed.decode_frames, 5);
        assert!(speed.decode_p50_frame_ns > 0);
        assert!(speed.decode_p50_frame_ns <= speed.decode_p99_frame_ns);
        let raw = outputs(EncoderKind::None);
        let received = Received {
            outputs: &raw,
            format: ImageFormat::Raw,
            ..received
        };
        assert_eq!(
            time_decode(ServerDecoder::Turbojpeg, &received, 3)
                .unwrap()
                .decode_frames,
            3
        );
    }

    #[test]
    fn the_server_refuses_what_it_would_refuse_on_the_wire() {
        let jpegs = outputs(EncoderKind::Turbojpeg);
        let wrong_size = Received {
            outputs: &jpegs,
            width: 65,
            height: 48,
            format: ImageFormat::Jpeg,
        };
        let error = time_decode(ServerDecoder::Turbojpeg, &wrong_size, 2).unwrap_err();
        assert!(error.to_string().contains("declared 65x48"), "{error}");
    }

    #[test]
    fn nvjpeg_is_usable_exactly_when_the_server_could_use_it() {
        let asked = [ServerDecoder::Turbojpeg, ServerDecoder::Nvjpeg];
        let (usable, missing) = usable_decoders(&asked);
        assert_eq!(usable[0], ServerDecoder::Turbojpeg);
        let gpu = crate::server::check_decoder_available(ServerDecoder::Nvjpeg).is_ok();
        assert_eq!(usable.contains(&ServerDecoder::Nvjpeg), gpu);
        assert_eq!(missing.len(), usize::from(!gpu));
        if let Some((decoder, why)) = missing.first() {
            assert_eq!(*decoder, ServerDecoder::Nvjpeg);
            assert!(why.contains("--server-decoder nvjpeg"), "{why}");
        }
    }
}
