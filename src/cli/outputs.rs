//! `imgwire bench`'s output flags: one flag per registered output
//! (`run::plan::outputs::OUTPUTS`, so a new exporter brings its flag with
//! it), and how they and the views (tables, colour, progress) resolve into
//! the plan's `OutputPlan`.

use super::BenchArgs;
use crate::profile::{FrameView, ThreadView};
use crate::run::plan::outputs::{OutputKind, PlannedOutput, ProfileSettings, Shape, OUTPUTS};
use crate::run::plan::{OutputPlan, Tables};
use clap::{Arg, ArgMatches, Command, FromArgMatches};
use std::net::SocketAddr;
use std::path::PathBuf;

/// The output flags given: each registered output's path, in `OUTPUTS`
/// order.
#[derive(Debug, Clone, Default)]
pub struct OutputArgs {
    pub given: Vec<(&'static OutputKind, PathBuf)>,
    /// `--metrics-addr`.
    pub metrics_addr: Option<SocketAddr>,
    /// `--trace-sample` (1 when not given).
    pub trace_sample: Option<f64>,
}

const METRICS_ADDR: &str = "metrics_addr";
const TRACE_SAMPLE: &str = "trace_sample";

/// The flags beside the registered outputs: live metrics, OTLP sampling.
fn live_flags() -> [Arg; 2] {
    [
        Arg::new(METRICS_ADDR)
            .long("metrics-addr")
            .value_name("ADDR")
            .value_parser(super::values::listen_address)
            .help("Serve GET /metrics (Prometheus text format) on ADDR (HOST:PORT, an IP address or localhost) while the run goes: per-stage latency histograms, requests, errors, bytes and client CPU of the counted bursts, by scenario, stage, protocol and shard (port 0: any free port, printed on stderr)."),
        Arg::new(TRACE_SAMPLE)
            .long("trace-sample")
            .value_name("F")
            .value_parser(sample_share)
            .help("The share of requests --export-otlp keeps, 0 < F <= 1, spread evenly and the same on every run [default: 1]."),
    ]
}

fn sample_share(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(f) if f > 0.0 && f <= 1.0 => Ok(f),
        _ => Err(format!(
            "'{text}' is not a share above 0 and at most 1 (--trace-sample 0.01 keeps one request in 100)"
        )),
    }
}

impl OutputArgs {
    /// The path given to the output with this id (`json`), if any.
    pub fn path(&self, id: &str) -> Option<&PathBuf> {
        let given = self.given.iter().find(|(kind, _)| kind.id == id);
        given.map(|(_, path)| path)
    }
}

/// The flag of one registered output.
fn flag(kind: &'static OutputKind) -> Arg {
    let value_name = match kind.shape {
        Shape::File => "PATH",
        Shape::Folder => "DIR",
    };
    let arg = Arg::new(kind.id)
        .long(kind.long())
        .value_name(value_name)
        .value_parser(clap::value_parser!(PathBuf))
        .help(kind.help);
    match kind.alias {
        Some(alias) => arg.visible_alias(alias),
        None => arg,
    }
}

impl FromArgMatches for OutputArgs {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let mut args = OutputArgs::default();
        args.update_from_arg_matches(matches)?;
        Ok(args)
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        for kind in &OUTPUTS {
            if let Ok(Some(path)) = matches.try_get_one::<PathBuf>(kind.id) {
                self.given.retain(|(given, _)| given.id != kind.id);
                self.given.push((kind, path.clone()));
            }
        }
        if let Ok(Some(addr)) = matches.try_get_one::<SocketAddr>(METRICS_ADDR) {
            self.metrics_addr = Some(*addr);
        }
        if let Ok(Some(share)) = matches.try_get_one::<f64>(TRACE_SAMPLE) {
            self.trace_sample = Some(*share);
        }
        let order = |kind: &OutputKind| OUTPUTS.iter().position(|k| k.id == kind.id);
        self.given.sort_by_key(|(kind, _)| order(kind));
        Ok(())
    }
}

impl clap::Args for OutputArgs {
    fn augment_args(command: Command) -> Command {
        let command = OUTPUTS
            .iter()
            .fold(command, |command, kind| command.arg(flag(kind)));
        command.args(live_flags())
    }

    fn augment_args_for_update(command: Command) -> Command {
        Self::augment_args(command)
    }
}

impl BenchArgs {
    /// What the run prints and writes, each file with the flag that named it.
    pub(super) fn output_plan(&self) -> OutputPlan {
        let files = self.outputs.given.iter();
        OutputPlan {
            tables: if self.brief {
                Tables::Brief
            } else {
                Tables::Full
            },
            wide: self.wide,
            color: !self.no_color,
            quiet: self.quiet,
            files: files
                .map(|(kind, path)| PlannedOutput::new(kind, path.clone()))
                .collect(),
            profile: ProfileSettings {
                hz: self.profile_hz,
                threads: match self.flamegraph_threads {
                    true => ThreadView::PerThread,
                    false => ThreadView::PerPool,
                },
                frames: match self.flamegraph_full_stacks {
                    true => FrameView::Full,
                    false => FrameView::Folded,
                },
            },
            metrics_addr: self.outputs.metrics_addr,
            trace_sample: self.outputs.trace_sample.unwrap_or(1.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    #[test]
    fn every_registered_output_has_its_flag_and_alias() {
        let argv = [
            "imgwire",
            "bench",
            "--json",
            "a.json",
            "--export-markdown",
            "-",
        ];
        let crate::cli::Command::Bench(args) = crate::Cli::parse_from(argv).command else {
            unreachable!("a bench command line")
        };
        let ids: Vec<&str> = args.outputs.given.iter().map(|(k, _)| k.id).collect();
        assert_eq!(ids, ["json", "markdown"]);
        assert_eq!(args.outputs.path("json").unwrap().to_str(), Some("a.json"));
        for kind in &super::OUTPUTS {
            let argv = ["imgwire", "bench", kind.flag, "x"];
            let parsed = crate::Cli::try_parse_from(argv);
            assert!(parsed.is_ok(), "{} is a flag", kind.flag);
        }
    }
}
