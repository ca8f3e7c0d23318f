//! Measuring one encoder at one size: per quality (raw frames: once), its
//! fidelity, its speed at each thread count and its output decoded by each
//! server decoder; and the turbojpeg reference sweep other encoders are
//! paired with.

use super::decode::{decode_rows, Received};
use super::encoders::{self, EncoderChoice};
use super::measure;
use super::results::{DecodeRow, ReferencePoint, Row};
use super::{EncodePlan, REFERENCE_FRAMES};
use crate::encoders::EncodeSettings;
use crate::frame::{Frame, Size};
use crate::server::ServerDecoder;
use crate::wire::ImageFormat;
use anyhow::Result;

/// What one encoder at one size gave: its rows (one per quality x thread
/// count, or one per quality saying why it could not run) and its decodes.
#[derive(Default)]
pub struct Measured {
    pub rows: Vec<Row>,
    pub decodes: Vec<DecodeRow>,
}

/// The qualities `choice` is measured at: every one asked for, or a single
/// `None` for raw frames (no quality applies).
fn qualities(plan: &EncodePlan, choice: EncoderChoice) -> Vec<Option<u8>> {
    if choice.compresses() {
        plan.qualities.iter().copied().map(Some).collect()
    } else {
        vec![None]
    }
}

/// Every row of one encoder at one size. A GPU encoder that cannot run
/// gives rows that say why, instead of ending the run.
pub fn measure_encoder(
    plan: &EncodePlan,
    gpu_error: Option<&str>,
    decoders: &[ServerDecoder],
    size: Size,
    frames: &[Frame],
    choice: EncoderChoice,
) -> Result<Measured> {
    let mut measured = Measured::default();
    for quality in qualities(plan, choice) {
        let settings = EncodeSettings {
            quality: quality.unwrap_or(100),
            subsampling: plan.subsampling,
        };
        let row = Row {
            size: size.to_string(),
            encoder: choice,
            quality,
            subsampling: choice.applied_subsampling(plan.subsampling),
            frame_pool_size: frames.len(),
            error: None,
            speed: None,
            fidelity: None,
        };
        let outcome = match (gpu_error, choice.on_gpu()) {
            (Some(error), true) => Err(anyhow::anyhow!("{error}")),
            _ => measure_setting(plan, decoders, size, frames, settings, &row),
        };
        match outcome {
            Ok(setting) => {
                measured.rows.extend(setting.rows);
                measured.decodes.extend(setting.decodes);
            }
            Err(error) if choice.on_gpu() => measured.rows.push(Row {
                error: Some(format!("{error:#}")),
                ..row
            }),
            Err(error) => return Err(error),
        }
    }
    Ok(measured)
}

fn measure_setting(
    plan: &EncodePlan,
    decoders: &[ServerDecoder],
    size: Size,
    frames: &[Frame],
    settings: EncodeSettings,
    template: &Row,
) -> Result<Measured> {
    let choice = template.encoder;
    let make = || encoders::make(choice, settings, frames);
    let outputs = measure::encode_pool(make()?.as_mut(), frames)?;
    let format = choice.format();
    let fidelity = measure::judge(&outputs, frames, format)?;
    let rows = plan
        .threads
        .iter()
        .map(|&threads| {
            let speed = measure::time_encoder(make, size.pixels(), plan.frames, threads)?;
            Ok(Row {
                speed: Some(speed),
                fidelity: Some(fidelity),
                ..template.clone()
            })
        })
        .collect::<Result<_>>()?;
    let received = Received {
        outputs: &outputs,
        width: size.width,
        height: size.height,
        format,
    };
    let decode_template = DecodeRow {
        size: template.size.clone(),
        encoder: choice,
        quality: template.quality,
        decoder: ServerDecoder::Turbojpeg,
        error: None,
        speed: None,
    };
    let decodes = decode_rows(&decode_template, decoders, &received, plan.frames);
    Ok(Measured { rows, decodes })
}

/// turbojpeg over the reference qualities at the first thread count.
pub fn reference_sweep(
    plan: &EncodePlan,
    size: Size,
    frames: &[Frame],
) -> Result<Vec<ReferencePoint>> {
    let threads = plan.threads.first().copied().unwrap_or(1);
    super::reference_qualities()
        .into_iter()
        .map(|quality| {
            let settings = EncodeSettings {
                quality,
                subsampling: plan.subsampling,
            };
            let make = || encoders::make(EncoderChoice::Turbojpeg, settings, frames);
            let outputs = measure::encode_pool(make()?.as_mut(), frames)?;
            let count = plan.frames.min(REFERENCE_FRAMES);
            Ok(ReferencePoint {
                size: size.to_string(),
                quality,
                subsampling: plan.subsampling,
                fidelity: measure::judge(&outputs, frames, ImageFormat::Jpeg)?,
                speed: measure::time_encoder(make, size.pixels(), count, threads)?,
            })
        })
        .collect()
}
