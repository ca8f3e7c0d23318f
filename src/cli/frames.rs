//! `bench`'s frame flags resolved: where the frames come from, the encoder
//! (several only for the cameras' capacity table), its settings, and when
//! it runs (`--encode`, live by default under `--streams`).

use super::BenchArgs;
use crate::encoders::{EncodeSettings, EncoderKind};
use crate::frame::BadImages;
use crate::run::plan::{EncodeMode, FramePlan, FrameSpec, PlanError};

impl BenchArgs {
    /// Several `--encoder` values run the cameras once per encoder: refused
    /// without `--streams`.
    pub(super) fn check_encoders(&self) -> Result<(), PlanError> {
        if self.encoder.len() > 1 && self.load.streams.is_empty() {
            return Err(PlanError::new(
                "--encoder",
                "several --encoder values run the cameras of --streams once per encoder (the \
                 capacity table); a run without --streams takes one encoder (give one, or add \
                 --streams N --fps F)",
            ));
        }
        Ok(())
    }

    /// The frames the flags say: the first `--encoder` (a capacity sweep
    /// sets each in turn).
    pub(super) fn frame_plan(&self) -> FramePlan {
        FramePlan {
            source: match &self.images {
                Some(dir) => FrameSpec::Files(dir.clone()),
                None => FrameSpec::Pattern {
                    content: self.content,
                    seed: self.seed,
                },
            },
            pool_size: self.frames.map(|n| n as usize),
            bad_images: BadImages::skip_if(self.skip_bad_images),
            frames_on: self.frames_on,
            encoder: (self.encoder.first().copied()).unwrap_or(EncoderKind::Turbojpeg),
            encode: EncodeSettings {
                quality: self.quality,
                subsampling: self.subsampling,
            },
            mode: match (self.encode_mode.encode, self.load.streams.is_empty()) {
                (Some(mode), _) => mode,
                (None, false) => EncodeMode::Live,
                (None, true) => EncodeMode::Pool,
            },
            encode_threads: self.encode_mode.encode_threads.map(|n| n as usize),
        }
    }
}
