//! Every refusal a plan meets without the network, in one place, made when
//! the plan is resolved (`BenchArgs::plan`) and so before anything starts:
//! the targets (`check_targets`), the outputs (`output_checks`), the load
//! flags, the frames, the link and the sweep. Each is a `PlanError` naming
//! the flag to change.

use super::{output_checks, BenchPlan, FrameSpec, FramesOn, LoadModel, SweepFactor};
use crate::link::LinkBackend;

/// Why a plan cannot run, and the flag that fixes it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PlanError {
    /// The flag to change (`--rate`), named in `message` too.
    pub flag: String,
    pub message: String,
}

impl PlanError {
    pub fn new(flag: impl Into<String>, message: impl Into<String>) -> Self {
        PlanError {
            flag: flag.into(),
            message: message.into(),
        }
    }

    /// A refusal whose message names its flag: the first word of it that
    /// starts with two dashes.
    pub fn naming(message: String) -> Self {
        let flag = message
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .find(|word| word.starts_with("--") && word.len() > 2)
            .unwrap_or_default()
            .to_string();
        PlanError { flag, message }
    }

    /// `--frames-on gpu` with `--images`.
    pub fn gpu_frames_from_files() -> Self {
        PlanError::new(
            "--frames-on",
            "--frames-on gpu generates frames; it cannot be used with --images",
        )
    }
}

impl BenchPlan {
    /// Every refusal that needs no network (targets, outputs, load, frames,
    /// link, sweep), each naming its flag. `BenchArgs::plan` makes it; a run
    /// makes it again for plans built or changed elsewhere.
    pub fn check(&self) -> Result<(), PlanError> {
        self.check_targets()
            .map_err(|e| PlanError::naming(format!("{e:#}")))?;
        output_checks::check(&self.outputs)?;
        self.check_load()?;
        self.check_encode_mode()?;
        self.check_capacity()?;
        if self.frames.frames_on == FramesOn::Gpu {
            if let FrameSpec::Files(_) = self.frames.source {
                return Err(PlanError::gpu_frames_from_files());
            }
        }
        self.check_link()?;
        if self.sweep == Some(SweepFactor::Tls) && !self.uses_builtin_servers() {
            return Err(PlanError::new(
                "--sweep",
                "--sweep tls runs the built-in servers plain, then over TLS; against a remote \
                 server, run once with http:// and once with https:// URLs (--tls-ca for a \
                 private CA)",
            ));
        }
        Ok(())
    }

    /// The load flags agree with one another.
    fn check_load(&self) -> Result<(), PlanError> {
        let load = &self.load;
        let model = load.model.name();
        if load.rate_per_s.is_some() && load.model != LoadModel::Open {
            return Err(PlanError::new(
                "--rate",
                format!(
                    "--rate sets the pace of --load open; leave --rate out with --load {model}"
                ),
            ));
        }
        if load.stop.is_some() && load.model == LoadModel::Bursts {
            return Err(PlanError::new(
                "--duration",
                "--duration and --requests set how long --load closed or open runs; --load \
                 bursts runs --bursts bursts (give --load closed or --load open, or leave them out)",
            ));
        }
        if self.start_at.is_some() && self.sweep.is_some() {
            return Err(PlanError::new(
                "--start-at",
                "--start-at schedules one pass over the scenarios, and a sweep (--sweep, or \
                 --concurrency with several values) runs several; sweep without --start-at, or \
                 run one value per sharded run",
            ));
        }
        if load.concurrency_levels.len() > 1 && self.sweep != Some(SweepFactor::Concurrency) {
            return Err(PlanError::new(
                "--concurrency",
                "--concurrency with several values is a sweep of its own; give it one value with \
                 --sweep, or leave --sweep out",
            ));
        }
        Ok(())
    }

    /// `--link-backend tc` needs `--link` and moves only built-in servers.
    fn check_link(&self) -> Result<(), PlanError> {
        if self.targets.link_backend != LinkBackend::Tc {
            return Ok(());
        }
        if self.targets.link.is_none() {
            return Err(PlanError::new(
                "--link-backend",
                "--link-backend tc needs --link (for example --link bw=1gbit,rtt=0ms)",
            ));
        }
        let protocols = &self.matrix.protocols;
        match protocols.iter().find(|p| self.targets.url(**p).is_some()) {
            Some(remote) => Err(PlanError::new(
                "--link-backend",
                format!(
                    "--link-backend tc moves the built-in servers into a network namespace, so \
                     it cannot shape the path to a remote {} server; use the default \
                     --link-backend relay",
                    remote.label()
                ),
            )),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_names_the_first_flag_of_its_message() {
        let refusal = PlanError::naming("--target seed has no tcp server; use --protocols".into());
        assert_eq!(refusal.flag, "--target");
        assert_eq!(PlanError::naming("no flag here".into()).flag, "");
        assert_eq!(
            PlanError::naming("'x' (--rest-url) goes".into()).flag,
            "--rest-url"
        );
    }
}
