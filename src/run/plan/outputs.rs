//! Every file and folder a run can write, listed once (`OUTPUTS`, as
//! hyperfine's `ExportManager`): each output's flag, whether it is a file or
//! a folder, what writes it, and how a sweep shares it among its values.
//! The flags (`cli::outputs`), the plan's outputs (`OutputPlan`), the checks
//! before measuring (`output_checks`), the writing (`run::outputs`) and the
//! Ctrl-C note all read this one list: a new exporter is one file (its
//! `report::Exporter`) and one line here.

use crate::output::OutputPath;
use crate::profile::{FrameView, ThreadView};
use crate::report::csv::CsvExporter;
use crate::report::markdown::MarkdownExporter;
use crate::report::Exporter;
use std::path::{Path, PathBuf};

/// One kind of output: its flag and how it is written.
#[derive(Debug)]
pub struct OutputKind {
    /// The flag's id on the command line (clap's, and the reproduce
    /// line's list of what it leaves out).
    pub id: &'static str,
    /// The flag, as errors and notes name it.
    pub flag: &'static str,
    /// A shorter flag that means the same (`--json`).
    pub alias: Option<&'static str>,
    pub shape: Shape,
    pub writer: Writer,
    pub in_sweep: InSweep,
    /// The flag's help line.
    pub help: &'static str,
}

/// A file, or a folder of files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    File,
    Folder,
}

/// What writes an output, and when.
pub enum Writer {
    /// The report through this exporter, rewritten after each scenario (on
    /// stdout, `-`, once when the run is over).
    Report(&'static (dyn Exporter + Sync)),
    /// The JSON report, as `Report`: pretty in a file, one compact line on
    /// stdout (`-`), so that a shard's log holds its report on one line.
    Json,
    /// The HTML page, as `Report` (its links are relative to its folder).
    Html,
    /// The HTML report's charts, one .svg each, rewritten after each scenario.
    Charts,
    /// The trace of every request, rewritten after each scenario.
    Trace,
    /// Every counted request as OTLP JSON, emptied when the run starts and
    /// appended to as each scenario finishes.
    Otlp,
    /// Each scenario's measurement, as it runs (profiles, saved requests).
    Measurement,
}

/// How a sweep shares an output among its values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InSweep {
    /// One file (`NAME-FACTOR-VALUE.EXT`) or folder (`DIR/FACTOR-VALUE`)
    /// per value.
    PerValue,
    /// One file for the whole command (a sweep's every value, tune's
    /// search), which the command writes itself.
    Whole,
}

/// `--export-json`'s id: the one output a sweep and tune write whole.
pub const JSON: &str = "json";
pub const HTML: &str = "html";
const CHARTS: &str = "charts";
const TRACE: &str = "trace";
const FLAMEGRAPH: &str = "flamegraph";
const SAVE_REQUESTS: &str = "save_requests";
const OTLP: &str = "export_otlp";
const RAW_LATENCIES: &str = "raw_latencies";

/// Every output, in the order `--help` lists them.
pub static OUTPUTS: [OutputKind; 10] = [
    OutputKind {
        id: JSON,
        flag: "--export-json",
        alias: Some("json"),
        shape: Shape::File,
        writer: Writer::Json,
        in_sweep: InSweep::Whole,
        help: "Write every scenario's results as JSON, rewritten as each scenario finishes (`-`: stdout, one line, once at the end).",
    },
    OutputKind {
        id: "csv",
        flag: "--export-csv",
        alias: Some("csv"),
        shape: Shape::File,
        writer: Writer::Report(&CsvExporter),
        in_sweep: InSweep::PerValue,
        help: "Write one CSV row per scenario x stage, rewritten as each scenario finishes (`-`: stdout, once at the end).",
    },
    OutputKind {
        id: "markdown",
        flag: "--export-markdown",
        alias: Some("markdown"),
        shape: Shape::File,
        writer: Writer::Report(&MarkdownExporter),
        in_sweep: InSweep::PerValue,
        help: "Write a Markdown table of every scenario, to paste into a pull request, rewritten as each scenario finishes (`-`: stdout, once at the end).",
    },
    OutputKind {
        id: HTML,
        flag: "--export-html",
        alias: Some("html"),
        shape: Shape::File,
        writer: Writer::Html,
        in_sweep: InSweep::PerValue,
        help: "Write one self-contained HTML page (tables, stage and latency charts, flamegraph links; opens offline), rewritten as each scenario finishes (`-`: stdout, once at the end).",
    },
    OutputKind {
        id: CHARTS,
        flag: "--charts",
        alias: None,
        shape: Shape::Folder,
        writer: Writer::Charts,
        in_sweep: InSweep::PerValue,
        help: "Write the HTML report's charts alone to DIR, one .svg file each.",
    },
    OutputKind {
        id: TRACE,
        flag: "--trace",
        alias: None,
        shape: Shape::File,
        writer: Writer::Trace,
        in_sweep: InSweep::PerValue,
        help: "Write a Chrome trace-event JSON of every request and its stages (open in Perfetto or chrome://tracing), rewritten as each scenario finishes.",
    },
    OutputKind {
        id: OTLP,
        flag: "--export-otlp",
        alias: None,
        shape: Shape::File,
        writer: Writer::Otlp,
        in_sweep: InSweep::PerValue,
        help: "Write every counted request as an OpenTelemetry trace (client span, stage and server child spans) in OTLP JSON, one line per burst as the Collector's file exporter writes it, appended as each scenario finishes (sampled with --trace-sample).",
    },
    OutputKind {
        id: SAVE_REQUESTS,
        flag: "--save-requests",
        alias: None,
        shape: Shape::Folder,
        writer: Writer::Measurement,
        in_sweep: InSweep::PerValue,
        help: "Write each scenario's first request (body, and method, path and headers) to DIR, so another load generator can replay exactly what imgwire sent (docs/validation.md).",
    },
    OutputKind {
        id: RAW_LATENCIES,
        flag: "--raw-latencies",
        alias: None,
        shape: Shape::Folder,
        writer: Writer::Measurement,
        in_sweep: InSweep::PerValue,
        help: "Write every counted request's wall latency from the actual send (the samples of latency.uncorrected) to DIR, one file per scenario (SCENARIO.txt), nanoseconds one a line in the order the requests finished: to check a percentile, or a merge of shards, against the samples themselves.",
    },
    OutputKind {
        id: FLAMEGRAPH,
        flag: "--flamegraph",
        alias: None,
        shape: Shape::Folder,
        writer: Writer::Measurement,
        in_sweep: InSweep::PerValue,
        help: "Profile each scenario's counted bursts: client and server flamegraph SVGs and pprof .pb.gz files in DIR.",
    },
];

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Writer::Report(_) => "Report",
            Writer::Json => "Json",
            Writer::Html => "Html",
            Writer::Charts => "Charts",
            Writer::Trace => "Trace",
            Writer::Otlp => "Otlp",
            Writer::Measurement => "Measurement",
        })
    }
}

impl OutputKind {
    /// The registered output with this id.
    pub fn by_id(id: &str) -> Option<&'static OutputKind> {
        OUTPUTS.iter().find(|kind| kind.id == id)
    }

    /// The flag without its dashes (`export-json`).
    pub fn long(&self) -> &'static str {
        let flag: &'static str = self.flag;
        flag.trim_start_matches('-')
    }

    /// Whether `-` sends it to stdout (a file of the report's).
    pub fn takes_stdout(&self) -> bool {
        self.shape == Shape::File && !matches!(self.writer, Writer::Measurement | Writer::Otlp)
    }
}

/// One output the user gave.
#[derive(Clone, Debug)]
pub struct PlannedOutput {
    pub kind: &'static OutputKind,
    /// The file or folder, with the flag that named it.
    pub path: OutputPath,
    /// Whether the command around the run writes it (a sweep's
    /// `--export-json`, holding every value) rather than the run itself;
    /// the Ctrl-C note names it either way.
    pub by_command: bool,
}

impl PlannedOutput {
    pub fn new(kind: &'static OutputKind, path: impl Into<PathBuf>) -> Self {
        PlannedOutput {
            kind,
            path: OutputPath::new(path, kind.flag),
            by_command: false,
        }
    }
}

/// What the run prints and writes.
#[derive(Clone, Debug)]
pub struct OutputPlan {
    pub tables: Tables,
    /// Long lines whole (`--wide`) instead of wrapped to 100 columns.
    pub wide: bool,
    /// Colour where the terminal takes it (off with `--no-color`).
    pub color: bool,
    /// Results only (`--quiet`): no progress bar, no lines about the run's
    /// progress on stderr.
    pub quiet: bool,
    /// Every output given, in `OUTPUTS` order.
    pub files: Vec<PlannedOutput>,
    /// How `--flamegraph` samples and draws.
    pub profile: ProfileSettings,
    /// `--metrics-addr`: where `/metrics` is served while the run goes.
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// `--trace-sample`: the share of requests `--export-otlp` keeps.
    pub trace_sample: f64,
}

/// How much of the report goes to the terminal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tables {
    /// The summary tables and every scenario's stages.
    Full,
    /// The summary tables only (`--brief`).
    Brief,
    /// Nothing (a sweep prints its own table).
    None,
}

/// How `--flamegraph` profiles: samples per second, and how the SVGs draw.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ProfileSettings {
    pub hz: i32,
    /// One root per thread pool (`server`), or one per thread
    /// (`--flamegraph-threads`).
    pub threads: ThreadView,
    /// The runtime's frames folded (the default) or every frame drawn
    /// (`--flamegraph-full-stacks`).
    pub frames: FrameView,
}

/// `--flamegraph DIR`: profile each scenario's counted bursts.
#[derive(Clone, Debug, PartialEq)]
pub struct FlamegraphPlan {
    pub dir: PathBuf,
    pub hz: i32,
    pub threads: ThreadView,
    pub frames: FrameView,
}

impl OutputPlan {
    /// The output with this id that the run writes, if given.
    fn of_run(&self, id: &str) -> Option<&OutputPath> {
        let output = self.files.iter().find(|o| o.kind.id == id && !o.by_command);
        output.map(|o| &o.path)
    }

    /// `--export-json`, whoever writes it.
    pub fn json(&self) -> Option<&OutputPath> {
        let output = self.files.iter().find(|o| o.kind.id == JSON);
        output.map(|o| &o.path)
    }

    /// `--export-html`, whoever writes it.
    pub fn html(&self) -> Option<&OutputPath> {
        let output = self.files.iter().find(|o| o.kind.id == HTML);
        output.map(|o| &o.path)
    }

    /// `--trace`.
    pub fn trace(&self) -> Option<&OutputPath> {
        self.of_run(TRACE)
    }

    /// `--export-otlp`.
    pub fn otlp(&self) -> Option<&OutputPath> {
        self.of_run(OTLP)
    }

    /// `--save-requests DIR`.
    pub fn save_requests(&self) -> Option<&Path> {
        self.of_run(SAVE_REQUESTS).map(|o| o.path.as_path())
    }

    /// `--raw-latencies DIR`.
    pub fn raw_latencies(&self) -> Option<&Path> {
        self.of_run(RAW_LATENCIES).map(|o| o.path.as_path())
    }

    /// `--flamegraph DIR`, with how to profile.
    pub fn flamegraph(&self) -> Option<FlamegraphPlan> {
        self.of_run(FLAMEGRAPH).map(|o| FlamegraphPlan {
            dir: o.path.clone(),
            hz: self.profile.hz,
            threads: self.profile.threads,
            frames: self.profile.frames,
        })
    }

    /// Whether an output goes to stdout (the tables then go to stderr).
    pub fn takes_stdout(&self) -> bool {
        self.files.iter().any(|o| o.path.is_stdout())
    }

    /// The outputs of one sweep point: each per-value output renamed with
    /// `suffix` (`c.csv` -> `c-SUFFIX.csv`, `fg` -> `fg/SUFFIX`), each whole
    /// one left to the sweep; no tables (the sweep prints its own).
    pub fn for_sweep_point(&self, suffix: &str) -> OutputPlan {
        let mut point = self.clone();
        point.tables = Tables::None;
        for output in &mut point.files {
            match (output.kind.in_sweep, output.kind.shape) {
                (InSweep::Whole, _) => output.by_command = true,
                (InSweep::PerValue, Shape::File) => output.path = output.path.with_suffix(suffix),
                (InSweep::PerValue, Shape::Folder) => {
                    output.path.path = output.path.path.join(suffix);
                }
            }
        }
        point
    }

    /// The same outputs with no tables and no files: a run inside a
    /// command that reports it otherwise (tune's trials).
    pub fn without_files(&self) -> OutputPlan {
        OutputPlan {
            tables: Tables::None,
            files: Vec::new(),
            ..self.clone()
        }
    }

    /// These outputs less the ones the command writes whole (tune's
    /// `--export-json`, its search): what one run inside it writes.
    pub fn per_run_files(&self) -> Vec<PlannedOutput> {
        let files = self
            .files
            .iter()
            .filter(|o| o.kind.in_sweep != InSweep::Whole);
        files.cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_output_has_its_own_flag_and_id() {
        for (index, kind) in OUTPUTS.iter().enumerate() {
            assert!(kind.flag.starts_with("--"), "{}", kind.flag);
            assert_eq!(format!("--{}", kind.long()), kind.flag);
            let later = &OUTPUTS[index + 1..];
            assert!(later.iter().all(|k| k.id != kind.id && k.flag != kind.flag));
            assert_eq!(OutputKind::by_id(kind.id).map(|k| k.flag), Some(kind.flag));
        }
    }

    #[test]
    fn a_sweep_point_gets_its_own_files_and_folders_and_leaves_json_to_the_sweep() {
        let given = OUTPUTS.iter().map(|kind| match kind.shape {
            Shape::File => PlannedOutput::new(kind, format!("out/{}.x", kind.id)),
            Shape::Folder => PlannedOutput::new(kind, format!("out/{}", kind.id)),
        });
        let plan = OutputPlan {
            tables: Tables::Full,
            wide: false,
            color: false,
            quiet: false,
            files: given.collect(),
            profile: ProfileSettings {
                hz: 99,
                threads: ThreadView::PerPool,
                frames: FrameView::Folded,
            },
            metrics_addr: None,
            trace_sample: 1.0,
        };
        let point = plan.for_sweep_point("window-1MiB");
        assert_eq!(point.tables, Tables::None);
        for (before, after) in plan.files.iter().zip(&point.files) {
            let expected = match (before.kind.in_sweep, before.kind.shape) {
                (InSweep::Whole, _) => before.path.path.clone(),
                (_, Shape::File) => format!("out/{}-window-1MiB.x", before.kind.id).into(),
                (_, Shape::Folder) => format!("out/{}/window-1MiB", before.kind.id).into(),
            };
            assert_eq!(after.path.path, expected, "{}", before.kind.flag);
            assert_eq!(after.by_command, before.kind.in_sweep == InSweep::Whole);
        }
        assert!(point.json().is_some() && point.of_run(JSON).is_none());
        let flamegraph = point.flamegraph().expect("--flamegraph given");
        assert_eq!(flamegraph.dir, PathBuf::from("out/flamegraph/window-1MiB"));
        assert_eq!(flamegraph.hz, 99);
        assert!(plan.without_files().files.is_empty());
        assert!(plan.per_run_files().iter().all(|o| o.kind.id != JSON));
    }
}
