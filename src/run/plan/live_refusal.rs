//! The refusals of `--encode live`, `--encode-threads` and the camera
//! capacity sweep: flags that have no meaning in the mode asked for, each
//! refused naming the flag.

use super::{outputs, BenchPlan, EncodeMode, LoadStop, PlanError};

impl BenchPlan {
    /// Cameras offer at least a frame per stream; a capacity sweep (several
    /// `--streams` or `--encoder`, or `--slo-ms`) is a sweep of its own, run
    /// on one machine, its per-point outputs in files.
    pub(super) fn check_capacity(&self) -> Result<(), PlanError> {
        if let (Some(c), Some(LoadStop::Duration(d))) = (self.load.cameras, self.load.stop) {
            if c.fps * d.as_secs_f64() < 1.0 {
                return Err(PlanError::new(
                    "--duration",
                    format!(
                        "--fps {} for --duration {} s offers less than one frame per stream: give \
                         a --duration of at least {} s",
                        c.fps,
                        d.as_secs_f64(),
                        1.0 / c.fps
                    ),
                ));
            }
        }
        if self.capacity.is_none() {
            return Ok(());
        }
        let refuse = |flag, why: &str| {
            let what = "--streams with several values, several --encoder or --slo-ms run the \
                        cameras once per encoder and stream count (the capacity table)";
            Err(PlanError::new(flag, format!("{what}; {why}")))
        };
        if self.sweep.is_some() {
            return refuse(
                "--sweep",
                "leave --sweep out, or give one --streams and --encoder",
            );
        }
        let per_point = (self.outputs.files.iter())
            .find(|o| o.path.is_stdout() && ![outputs::JSON, outputs::HTML].contains(&o.kind.id));
        if let Some(output) = per_point {
            let why = format!(
                "each point writes its own {} file (NAME-ENCODER-streams-N), so give it a \
                 path; only --export-json and --export-html, which the sweep writes whole, may \
                 go to stdout (-)",
                output.kind.flag
            );
            return refuse(output.kind.flag, &why);
        }
        if self.shard.is_sharded() || self.start_at.is_some() {
            return refuse(
                "--shard",
                "its points cannot start together across machines: run it on one machine \
                 (leave --shard and --start-at out), or shard one --streams value",
            );
        }
        Ok(())
    }

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
