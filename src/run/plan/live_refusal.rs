//! The refusals of `--encode live` and `--encode-threads`: flags that have
//! no meaning in the mode asked for, each refused naming the flag.

use super::{BenchPlan, EncodeMode, FramesOn, PlanError};

impl BenchPlan {
    /// `--encode`, `--encode-threads`, `--frames` and `--frames-on` agree.
    pub(super) fn check_encode_mode(&self) -> Result<(), PlanError> {
        let frames = &self.frames;
        if frames.mode == EncodeMode::Pool && self.load.cameras.is_some() {
            return Err(PlanError::new(
                "--encode",
                "--streams makes and encodes every frame live, as a camera does; --encode pool \
                 sends frames encoded before the run (leave --encode out, or --streams out)",
            ));
        }
        if frames.mode == EncodeMode::Pool {
            return match frames.encode_threads {
                Some(_) => Err(PlanError::new(
                    "--encode-threads",
                    "--encode-threads sets the encoder threads of --encode live; the default \
                     --encode pool encodes every frame once before the run (add --encode live, \
                     or leave --encode-threads out)",
                )),
                None => Ok(()),
            };
        }
        if frames.pool_size.is_some() {
            return Err(PlanError::new(
                "--frames",
                "--frames sets the pool of frames encoded before the run (--encode pool); with \
                 --encode live every request makes and encodes its own frame, so leave --frames \
                 out",
            ));
        }
        if frames.frames_on == FramesOn::Gpu {
            return Err(PlanError::new(
                "--frames-on",
                "--frames-on gpu with --encode live is not built yet: live frames are made on \
                 the CPU (leave --frames-on out)",
            ));
        }
        if !self.matrix.payloads.iter().any(|p| p.carries_image()) {
            return Err(PlanError::new(
                "--encode",
                "--encode live encodes the image each request carries, and --payloads basic \
                 carries none: add b64 or binary to --payloads, or leave --encode live out",
            ));
        }
        Ok(())
    }
}
