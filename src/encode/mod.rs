//! `imgwire encode`: JPEG encoders (and raw frames) compared on one
//! machine, CPU against GPU. Per size x encoder x quality x thread count: ms
//! per frame, megapixels per second, bits per pixel, and PSNR/SSIM after a
//! turbojpeg decode; each encoder beside turbojpeg at the same PSNR; each
//! output decoded as the server decodes it; and the cost of a frame end to
//! end over each link, with the cheapest choice per link speed.

pub(crate) mod cells;
pub(crate) mod decode;
pub(crate) mod encoders;
pub(crate) mod export;
pub(crate) mod html;
pub(crate) mod machine;
pub(crate) mod markdown;
pub(crate) mod matching;
pub(crate) mod measure;
pub(crate) mod projection;
pub(crate) mod quality;
pub(crate) mod render;
pub(crate) mod render_link;
pub(crate) mod results;
pub(crate) mod setting;

pub use encoders::EncoderChoice;
pub use results::EncodeReport;

use crate::encoders::Subsampling;
use crate::frame::{generate, Content, FileFrames, Frame, Size};
use crate::gpu::GpuUse;
use crate::link::LinkSpec;
use crate::output::OutputPath;
use crate::server::ServerDecoder;
use anyhow::{bail, Result};
use results::{DecoderUnavailable, Machine, Row, RunSettings, ENCODE_SCHEMA_VERSION};

/// Distinct generated frames per size: enough that no encoder sees one
/// frame over and over, few enough to make quickly.
pub const GENERATED_POOL: usize = 4;
/// Frames timed per quality of the turbojpeg reference sweep, at most.
pub const REFERENCE_FRAMES: usize = 20;

/// Where the frames come from.
#[derive(Clone, Debug, PartialEq)]
pub enum FrameSource {
    Pattern { content: Content, seed: u64 },
    Files(crate::frame::ImageFolder),
}

/// `imgwire encode`'s flags, resolved once.
#[derive(Clone, Debug)]
pub struct EncodePlan {
    pub sizes: Vec<Size>,
    pub source: FrameSource,
    pub qualities: Vec<u8>,
    pub subsampling: Subsampling,
    pub encoders: Vec<EncoderChoice>,
    pub threads: Vec<usize>,
    pub frames: usize,
    /// The server decoders each encoder's output is decoded with.
    pub server_decoders: Vec<ServerDecoder>,
    /// The links the end-to-end cost is projected for.
    pub links: Vec<LinkSpec>,
    pub wide: bool,
    pub json: Option<OutputPath>,
    pub csv: Option<OutputPath>,
    pub markdown: Option<OutputPath>,
    pub html: Option<OutputPath>,
}

/// The turbojpeg qualities other encoders are matched against: every
/// fourth from 70, and 100, so that an encoder at q95 is not paired with
/// turbojpeg's q98 for want of a higher one.
pub fn reference_qualities() -> Vec<u8> {
    (70..=98).step_by(4).chain([100]).collect()
}

/// Runs the comparison, prints its table (to stderr when an output goes
/// to stdout) and writes the outputs asked for.
pub fn run(plan: &EncodePlan) -> Result<EncodeReport> {
    check_outputs(plan)?;
    let (decoders, missing) = decode::usable_decoders(&plan.server_decoders);
    if decoders.is_empty() {
        if let Some((_, why)) = missing.first() {
            bail!("{why}");
        }
    }
    let machine = machine_and_gpu(plan, missing);
    if let Some(error) = &machine.gpu_error {
        if plan.encoders.iter().all(|e| e.on_gpu()) {
            bail!("{error}");
        }
    }
    let files = match &plan.source {
        FrameSource::Files(folder) => Some(FileFrames::open(folder)?),
        FrameSource::Pattern { .. } => None,
    };
    let mut report = empty_report(plan, machine, files.as_ref());
    for &size in &plan.sizes {
        let frames = load_frames(&plan.source, files.as_ref(), size)?;
        let gpu_error = report.machine.gpu_error.clone();
        for &choice in &plan.encoders {
            let measured = setting::measure_encoder(
                plan,
                gpu_error.as_deref(),
                &decoders,
                size,
                &frames,
                choice,
            )?;
            report.rows.extend(measured.rows);
            report.decode.extend(measured.decodes);
        }
        if needs_reference(&report.rows) {
            report
                .reference_sweep
                .extend(setting::reference_sweep(plan, size, &frames)?);
        }
    }
    if let Some(error) = nothing_ran(&report.rows) {
        bail!("{error}");
    }
    let threads = plan.threads.first().copied().unwrap_or(1);
    report.same_quality = matching::same_quality(&report.rows, &report.reference_sweep, threads);
    report.link_costs = projection::link_costs(&report.rows, &report.decode, &plan.links, threads);
    report.crossover =
        projection::crossover(&report.link_costs, &report.settings.sizes, &plan.links);
    report.notes = render::notes(&report);
    write_outputs(plan, &report)?;
    Ok(report)
}

/// The table (to stderr when an output goes to stdout), then each file.
fn write_outputs(plan: &EncodePlan, report: &EncodeReport) -> Result<()> {
    let table = render::render(report, crate::report::width(plan.wide));
    if outputs(plan).iter().any(|o| o.is_stdout()) {
        eprint!("{table}");
    } else {
        print!("{table}");
    }
    if let Some(path) = &plan.json {
        path.write(&export::json(report)?)?;
    }
    if let Some(path) = &plan.csv {
        path.write(&export::csv(report))?;
    }
    if let Some(path) = &plan.markdown {
        path.write(markdown::markdown(report).as_bytes())?;
    }
    if let Some(path) = &plan.html {
        path.write(html::page(report)?.as_bytes())?;
    }
    Ok(())
}

fn outputs(plan: &EncodePlan) -> Vec<&OutputPath> {
    [&plan.json, &plan.csv, &plan.markdown, &plan.html]
        .into_iter()
        .flatten()
        .collect()
}

fn empty_report(plan: &EncodePlan, machine: Machine, files: Option<&FileFrames>) -> EncodeReport {
    EncodeReport {
        schema_version: ENCODE_SCHEMA_VERSION,
        imgwire_version: env!("CARGO_PKG_VERSION"),
        command: "encode",
        machine,
        settings: RunSettings {
            sizes: plan.sizes.iter().map(Size::to_string).collect(),
            frames: describe_source(&plan.source, files),
            frames_per_measurement: plan.frames,
            warmup_frames_per_thread: 1,
            qualities: plan.qualities.clone(),
            subsampling: plan.subsampling,
            encoders: plan.encoders.clone(),
            threads: plan.threads.clone(),
            reference_qualities: reference_qualities(),
            reference_frames_per_measurement: plan.frames.min(REFERENCE_FRAMES),
            quality_method: "decoded with turbojpeg; PSNR on BT.601 luma and on RGB; SSIM on \
                             luma, 11x11 gaussian window (sigma 1.5), K1 0.01, K2 0.03, L 255; \
                             each the mean over the frame pool",
            server_decoders: plan.server_decoders.clone(),
            links: plan.links.clone(),
            link_model: projection::MODEL,
        },
        rows: Vec::new(),
        reference_sweep: Vec::new(),
        same_quality: Vec::new(),
        decode: Vec::new(),
        link_costs: Vec::new(),
        crossover: Vec::new(),
        notes: Vec::new(),
    }
}

fn describe_source(source: &FrameSource, files: Option<&FileFrames>) -> String {
    match (source, files) {
        (FrameSource::Files(folder), Some(files)) => {
            let skipped = match files.listing.skipped.len() {
                0 => String::new(),
                n => format!("; {n} skipped: {}", files.listing.skipped_names()),
            };
            let listing = files.listing.listing(8);
            format!("files in {}: {listing}{skipped}", folder.dir.display())
        }
        (FrameSource::Files(folder), None) => format!("files in {}", folder.dir.display()),
        (FrameSource::Pattern { content, seed }, _) => format!("{} (seed {seed})", content.name()),
    }
}

/// The CPU, and the GPU when a GPU encoder was asked for: described where
/// it works, the one-line reason where it does not.
fn machine_and_gpu(plan: &EncodePlan, missing: Vec<(ServerDecoder, String)>) -> Machine {
    let (gpu, gpu_error) = if plan.encoders.iter().any(|e| e.on_gpu()) {
        match crate::gpu::probe(GpuUse::EncodeComparison) {
            Ok(description) => (Some(description), None),
            Err(error) => (None, Some(format!("{error:#}"))),
        }
    } else {
        (None, None)
    };
    Machine {
        cpu_model: machine::cpu_model(),
        cpu_cores: machine::cpu_cores(),
        gpu,
        gpu_error,
        decoders_unavailable: missing
            .into_iter()
            .map(|(decoder, reason)| DecoderUnavailable { decoder, reason })
            .collect(),
    }
}

/// The pool of distinct frames for `size`: generated, or one per file.
fn load_frames(source: &FrameSource, files: Option<&FileFrames>, size: Size) -> Result<Vec<Frame>> {
    match (source, files) {
        (FrameSource::Files(_), Some(files)) => {
            (0..files.len()).map(|i| files.load(i, size)).collect()
        }
        (FrameSource::Files(folder), None) => bail!("{} was not opened", folder.dir.display()),
        (FrameSource::Pattern { content, seed }, _) => Ok((0..GENERATED_POOL as u64)
            .map(|index| generate(*content, size, *seed, index))
            .collect()),
    }
}

/// Where no encoder could run, the first reason.
fn nothing_ran(rows: &[Row]) -> Option<String> {
    if rows.iter().any(|row| row.speed.is_some()) {
        return None;
    }
    Some(
        rows.iter()
            .find_map(|row| row.error.clone())
            .unwrap_or_else(|| "no encoder ran".to_string()),
    )
}

/// Whether some encoder other than turbojpeg was measured, and so needs
/// the reference sweep to be paired with.
fn needs_reference(rows: &[Row]) -> bool {
    rows.iter().any(|row| {
        row.encoder != EncoderChoice::Turbojpeg && row.encoder.compresses() && row.speed.is_some()
    })
}

/// Every output's folder exists and no two go to stdout, before anything
/// is measured.
fn check_outputs(plan: &EncodePlan) -> Result<()> {
    let outputs = outputs(plan);
    if outputs.iter().filter(|o| o.is_stdout()).count() > 1 {
        bail!(
            "only one of --export-json, --export-csv, --export-markdown and --export-html can go to \
             stdout (`-`)"
        );
    }
    for output in outputs.iter().filter(|o| !o.is_stdout()) {
        if output.path.is_dir() {
            bail!(
                "{} '{}' is a folder; it needs a file name",
                output.flag,
                output.path.display()
            );
        }
        let parent = output.path.parent().filter(|p| !p.as_os_str().is_empty());
        if parent.is_some_and(|p| !p.is_dir()) {
            bail!(
                "{} '{}': the folder it would go in does not exist",
                output.flag,
                output.path.display()
            );
        }
    }
    Ok(())
}
