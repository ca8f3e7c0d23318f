//! CPU profiles of a scenario (`--flamegraph DIR`): sampled with pprof's
//! framehop unwinder (it keeps samples inside libc and libjpeg-turbo's SIMD
//! code), split by thread into the client side (`client-*`) and the server
//! side (`server-*`, or a remote server's own profile), written as
//! flamegraph SVGs and pprof protobufs (`.pb.gz`, for `go tool pprof`,
//! speedscope, Pyroscope). Off by default: nothing is sampled unless asked.
//! The SVGs merge each thread pool's stacks under one root unless
//! `--flamegraph-threads` asks for a root per thread, and fold the async
//! runtime's frames into one `[runtime]` frame unless
//! `--flamegraph-full-stacks` asks for every frame; the protobufs keep
//! every thread and every frame. Flamegraphs show CPU time only: time a
//! request spends waiting (for its body, for a decode thread) is in the
//! trace (`--trace`), not here.

mod elf_symbols;
mod encode;
mod resolve;
mod runtime_frames;
mod stacks;

use crate::output::OutputPath;
use crate::stage::{Side, Stage};
use anyhow::{anyhow, Result};
use flate2::write::GzEncoder;
use pprof::protos::Message;
use pprof::{ProfilerGuard, ProfilerGuardBuilder, Report};
use serde::Serialize;
use stacks::Stacks;
use std::io::Write;
use std::path::Path;
use std::sync::Once;

/// Below this many samples on a side, its profile is noise.
const FEW_SAMPLES: i64 = 50;

/// A running sampler.
pub struct Sampler {
    guard: ProfilerGuard<'static>,
}

impl Sampler {
    /// Starts sampling every thread of the process at `hz`.
    pub fn start(hz: i32) -> Result<Self> {
        warm_up_unwinder()?;
        let guard = ProfilerGuardBuilder::default()
            .frequency(hz)
            .build()
            .map_err(|e| anyhow!("could not start the CPU profiler: {e}"))?;
        Ok(Sampler { guard })
    }

    /// Stops sampling and symbolises what was caught (see `resolve`).
    pub fn stop(self) -> Result<Report> {
        let unresolved = self
            .guard
            .report()
            .build_unresolved()
            .map_err(|e| anyhow!("could not build the CPU profile: {e}"))?;
        drop(self.guard);
        Ok(resolve::resolve(unresolved))
    }
}

/// pprof builds its unwinder (the loaded libraries' unwind tables: file
/// reads and allocations) lazily, on the first sample, inside the SIGPROF
/// handler. When that first sample interrupts a thread holding the
/// allocator's lock, the process deadlocks. So the first sample is taken
/// here, once per process, on this thread, where no lock is held: a
/// profiler whose timer would not fire for a second of CPU time, and one
/// SIGPROF raised at ourselves.
fn warm_up_unwinder() -> Result<()> {
    static WARM: Once = Once::new();
    let mut result = Ok(());
    WARM.call_once(|| {
        result = ProfilerGuardBuilder::default()
            .frequency(1)
            .build()
            .map_err(|e| anyhow!("could not start the CPU profiler: {e}"))
            .map(|guard| {
                // SAFETY: raise() sends SIGPROF to this thread only; pprof's
                // handler is installed by the guard above and runs to
                // completion before raise() returns.
                unsafe { libc::raise(libc::SIGPROF) };
                drop(guard);
            });
    });
    result
}

/// How a flamegraph roots its stacks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ThreadView {
    /// The threads of one pool (`server-0`, `server-1`...) under one root,
    /// the pool's name (`server`).
    #[default]
    PerPool,
    /// A root per thread, as sampled (`--flamegraph-threads`).
    PerThread,
}

/// Which frames a flamegraph SVG draws.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FrameView {
    /// Each run of the runtime's frames (tokio's scheduler and task
    /// harness, thread start, closure shims, `catch_unwind`) as one
    /// `[runtime]` frame, so the work is near the root.
    #[default]
    Folded,
    /// Every frame, as sampled (`--flamegraph-full-stacks`).
    Full,
}

/// How a flamegraph SVG roots and folds its stacks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StackView {
    pub threads: ThreadView,
    pub frames: FrameView,
}

/// A function and its share of a side's samples (self time).
#[derive(Clone, Debug, Serialize)]
pub struct HotFunction {
    pub function: String,
    pub self_share: f64,
}

/// What `--flamegraph` wrote for a scenario, and what it found.
#[derive(Clone, Debug, Serialize)]
pub struct ProfileSummary {
    pub files: Vec<String>,
    pub sampling_hz: i32,
    pub client_samples: i64,
    pub server_samples: i64,
    /// The side of the scenario's dominant stage, and its hottest functions.
    pub hottest_side: Side,
    pub hottest: Vec<HotFunction>,
    pub warnings: Vec<String>,
    /// The trace file of the same run (`--trace`), where the waits that a
    /// flamegraph cannot show are.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
}

impl ProfileSummary {
    /// The summary, naming the run's trace file where one is written.
    pub fn with_trace(mut self, trace: Option<&Path>) -> Self {
        self.trace = trace.map(|path| path.display().to_string());
        self
    }

    /// What a flamegraph cannot show, and where it is instead.
    pub fn cpu_only_note(&self) -> String {
        let see = match &self.trace {
            Some(path) => format!("the trace shows each request's waits: {path}"),
            None => "run with --trace PATH to see each request's waits".to_string(),
        };
        format!(
            "flamegraphs show CPU time only: time spent waiting (server.receive for the body, \
             server.queue for a decode thread, the client waiting on the network) draws \
             nothing; {see}"
        )
    }
}

/// Where one side's profile came from.
pub enum SideProfile {
    /// This process's samples of that side's threads.
    Local,
    /// A remote server's `/debug/pprof/profile` answer (gzip'd pprof), or
    /// why there is none.
    Remote(Result<Vec<u8>>),
}

/// Writes `DIR/STEM-{client,server}.{svg,pb.gz}` (`server-remote` for a
/// remote server's profile) and names the three hottest functions on the
/// side of `dominant_stage`. A side without samples gets no SVG, and a
/// warning says why.
pub fn write_profiles(
    local: &Report,
    server: SideProfile,
    dir: &Path,
    stem: &str,
    hz: i32,
    dominant_stage: Option<Stage>,
    view: StackView,
) -> Result<ProfileSummary> {
    let hottest_side = dominant_stage.map_or(Side::Client, Stage::side);
    let mut summary = ProfileSummary {
        files: Vec::new(),
        sampling_hz: hz,
        client_samples: 0,
        server_samples: 0,
        hottest_side,
        hottest: Vec::new(),
        warnings: Vec::new(),
        trace: None,
    };
    let sides = [(Side::Client, SideProfile::Local), (Side::Server, server)];
    for (side, source) in sides {
        let (name, pprof_gz) = match source {
            SideProfile::Local => (side.name().to_string(), pprof_gz(&side_of(local, side))?),
            SideProfile::Remote(Ok(bytes)) => (format!("{}-remote", side.name()), bytes),
            SideProfile::Remote(Err(e)) => {
                summary
                    .warnings
                    .push(format!("no remote server profile: {e:#}"));
                continue;
            }
        };
        let stacks = Stacks::from_pprof_gz(&pprof_gz, view.frames)?.rooted(view.threads);
        let samples = stacks.samples();
        match side {
            Side::Client => summary.client_samples = samples,
            Side::Server => summary.server_samples = samples,
        }
        if side == hottest_side {
            summary.hottest = stacks.hottest(3);
        }
        let file =
            |ext: &str| OutputPath::new(dir.join(format!("{stem}-{name}.{ext}")), "--flamegraph");
        let pb = file("pb.gz");
        pb.write(&pprof_gz)?;
        summary.files.push(pb.path.display().to_string());
        if samples == 0 {
            summary.warnings.push(format!(
                "no {name} samples came, so no {name} flamegraph SVG was drawn (its .pb.gz is \
                 written): run more --bursts"
            ));
        } else if samples < FEW_SAMPLES {
            summary.warnings.push(format!(
                "only {samples} {name} samples: too few to mean much (run more --bursts)"
            ));
        }
        if let Some(svg_bytes) = stacks.flamegraph_svg(&format!("{stem} {name}"))? {
            let svg = file("svg");
            svg.write(&svg_bytes)?;
            summary.files.push(svg.path.display().to_string());
        }
    }
    Ok(summary)
}

/// The samples of `side`'s threads only.
fn side_of(report: &Report, side: Side) -> Report {
    Report {
        data: report
            .data
            .iter()
            .filter(|(frames, _)| frames.thread_name.starts_with(side.name()))
            .map(|(frames, count)| (frames.clone(), *count))
            .collect(),
        timing: report.timing.clone(),
    }
}

/// A profile as gzip-compressed pprof protobuf, the form `go tool pprof` reads.
pub fn pprof_gz(report: &Report) -> Result<Vec<u8>> {
    let profile = encode::to_pprof(report);
    let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&profile.encode_to_vec())?;
    Ok(gz.finish()?)
}
