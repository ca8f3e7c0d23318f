//! The terminal report of `imgwire encode`: a header naming the machine and
//! method, per size one table of every encoder x quality x thread count and
//! the same-quality pairs, then notes; 100 columns unless `--wide`.

use super::cells::{db, gpu_label, size_grid};
use super::results::{EncodeReport, OutOfRange, Row, SameQuality};
use crate::report::{align_within, plural, wrap};
use std::fmt::Write;

/// The whole report as text; `width` `None` keeps long lines whole.
pub fn render(report: &EncodeReport, width: Option<usize>) -> String {
    let mut out = header(report, width);
    for size in &report.settings.sizes {
        out.push('\n');
        let rows: Vec<&Row> = report.rows.iter().filter(|r| &r.size == size).collect();
        out += &size_table(size, &rows, width);
        let pairs: Vec<&SameQuality> = report
            .same_quality
            .iter()
            .filter(|p| &p.size == size)
            .collect();
        out += &same_quality_table(report, &pairs, width);
        out += &sweep_line(report, size, width);
        out += &super::render_link::decision(report, size, width);
    }
    if !report.notes.is_empty() {
        out.push('\n');
    }
    for note in &report.notes {
        out += &wrap(&format!("note: {note}"), width, "  ");
    }
    out
}

fn header(report: &EncodeReport, width: Option<usize>) -> String {
    let s = &report.settings;
    let m = &report.machine;
    let gpu = gpu_label(m);
    let mut out = wrap(
        &format!(
            "imgwire {} encode: {} per measurement after {} per thread; each thread its own \
             encoder, frames split across the threads",
            report.imgwire_version,
            plural(s.frames_per_measurement, "frame"),
            plural(s.warmup_frames_per_thread, "warm-up frame"),
        ),
        width,
        "  ",
    );
    out += &wrap(
        &format!(
            "cpu: {}, {}; gpu: {gpu}",
            m.cpu_model,
            plural(m.cpu_cores, "core")
        ),
        width,
        "  ",
    );
    out += &wrap(&format!("frames: {}", s.frames), width, "  ");
    out += &wrap(&format!("quality: {}", s.quality_method), width, "  ");
    out
}

/// One size's rows: measured ones aligned, encoders that could not run
/// after them, one line per reason.
fn size_table(size: &str, rows: &[&Row], width: Option<usize>) -> String {
    let pool = rows.first().map_or(0, |r| r.frame_pool_size);
    let mut out = format!("{size}: {}\n", plural(pool, "distinct frame"));
    let table = size_grid(rows);
    if table.len() > 1 {
        out += &align_within(&table, 1, width);
    }
    out + &unavailable_lines(rows, width)
}

/// `  nvjpeg, nvjpeg-device: n/a: REASON`, one line per distinct reason.
fn unavailable_lines(rows: &[&Row], width: Option<usize>) -> String {
    let mut reasons: Vec<(&str, Vec<&str>)> = Vec::new();
    for row in rows {
        let Some(error) = row.error.as_deref() else {
            continue;
        };
        match reasons.iter_mut().find(|(reason, _)| *reason == error) {
            Some((_, names)) if names.contains(&row.encoder.name()) => {}
            Some((_, names)) => names.push(row.encoder.name()),
            None => reasons.push((error, vec![row.encoder.name()])),
        }
    }
    reasons
        .iter()
        .map(|(reason, names)| {
            wrap(
                &format!("  {}: n/a: {reason}", names.join(", ")),
                width,
                "    ",
            )
        })
        .collect()
}

fn same_quality_table(
    report: &EncodeReport,
    pairs: &[&SameQuality],
    width: Option<usize>,
) -> String {
    let Some(first) = pairs.first() else {
        return String::new();
    };
    let qualities = &report.settings.reference_qualities;
    let out = "\n".to_string()
        + &wrap(
            &format!(
            "Same quality: each encoder beside turbojpeg (tj) at the quality whose RGB PSNR is \
             closest (tj swept over q{}-q{}, {}, {} each); speed at {}",
            qualities.first().copied().unwrap_or(0),
            qualities.last().copied().unwrap_or(0),
            report.settings.subsampling.label(),
            plural(report.settings.reference_frames_per_measurement, "frame"),
            plural(first.threads, "thread"),
        ),
            width,
            "  ",
        );
    let mut table = vec![[
        "encoder",
        "q",
        "PSNR RGB",
        "MP/s",
        "bits/px",
        "tj q",
        "tj PSNR",
        "tj MP/s",
        "tj bits/px",
        "speed",
    ]
    .map(String::from)
    .to_vec()];
    for pair in pairs {
        table.push(vec![
            pair.encoder.name().to_string(),
            pair.quality.to_string(),
            format!("{:.2}", pair.psnr_rgb_db),
            format!("{:.1}", pair.megapixels_per_s),
            format!("{:.3}", pair.bits_per_pixel),
            match pair.out_of_range {
                Some(_) => format!("{}*", pair.reference_quality),
                None => pair.reference_quality.to_string(),
            },
            format!("{:.2}", pair.reference_psnr_rgb_db),
            format!("{:.1}", pair.reference_megapixels_per_s),
            format!("{:.3}", pair.reference_bits_per_pixel),
            format!("{:.2}x", pair.speed_ratio),
        ]);
    }
    let beyond: String = pairs
        .iter()
        .filter_map(|pair| out_of_range_line(pair, width))
        .collect();
    out + &align_within(&table, 1, width) + &beyond
}

/// Why a pair marked `*` is no same-quality pair: the encoder's PSNR lies
/// past every quality turbojpeg was swept over.
fn out_of_range_line(pair: &SameQuality, width: Option<usize>) -> Option<String> {
    let (side, end) = match pair.out_of_range? {
        OutOfRange::Above => ("above", "best"),
        OutOfRange::Below => ("below", "lowest"),
    };
    let line = format!(
        "  * out of range: {} q{} ({:.2} dB) is {side} turbojpeg's {end}, q{} ({:.2} dB); no \
         turbojpeg quality matches it, so its speed is set against that nearest end, not an \
         equal quality",
        pair.encoder.name(),
        pair.quality,
        pair.psnr_rgb_db,
        pair.reference_quality,
        pair.reference_psnr_rgb_db,
    );
    Some(wrap(&line, width, "    "))
}

/// The reference sweep in one wrapped line: quality, RGB PSNR, MP/s.
fn sweep_line(report: &EncodeReport, size: &str, width: Option<usize>) -> String {
    let mut line = String::new();
    for point in report.reference_sweep.iter().filter(|p| p.size == size) {
        if line.is_empty() {
            let _ = write!(
                line,
                "  tj sweep (q: RGB PSNR dB, MP/s at {}):",
                plural(point.speed.threads, "thread")
            );
        }
        let _ = write!(
            line,
            " q{} {}, {:.1};",
            point.quality,
            db(point.fidelity.quality.psnr_rgb_db),
            point.speed.megapixels_per_s
        );
    }
    if line.is_empty() {
        return line;
    }
    wrap(line.trim_end_matches(';'), width, "    ")
}

/// What a reader needs to read the figures right, as far as this run goes.
pub fn notes(report: &EncodeReport) -> Vec<String> {
    let encoders = &report.settings.encoders;
    let mut notes = vec![
        "MP/s counts every frame's pixels over the wall time from the first thread's start \
         to the last thread's last frame; p50/p99 are per frame, over all threads."
            .to_string(),
    ];
    if encoders.contains(&super::EncoderChoice::ImageRs) {
        notes.push(
            "image-rs always encodes 4:4:4 (it has no subsampling setting), so its files are \
             larger at a given quality; the same-quality view pairs encoders by PSNR whatever \
             their subsampling."
                .to_string(),
        );
    }
    if encoders.iter().any(|e| e.on_gpu()) {
        notes.push(
            "nvjpeg: threads are host threads, each with its own CUDA stream and nvJPEG state; \
             a frame's time is host wall clock from the upload (nvjpeg) or from a frame already \
             in device memory (nvjpeg-device) to its JPEG bytes back in host memory. Batched \
             encoding is not measured: nvJPEG's encoder, as the gpu module binds it, takes one \
             image per call."
                .to_string(),
        );
    }
    let compressing = encoders.iter().filter(|e| e.compresses()).count();
    if report.same_quality.is_empty() && compressing > 1 {
        notes.push(
            "no same-quality pairs: they need turbojpeg's sweep and another encoder that ran."
                .to_string(),
        );
    }
    if !report.link_costs.is_empty() {
        notes.push(
            "end to end counts the image's bytes on the link and nothing else: the request's \
             headers and framing, TCP's and HTTP's own round trips and a relay's scheduling are \
             left out, so a small frame on a fast link costs more than projected \
             (scripts/encode-vs-link.sh sets the projection against bench --link)."
                .to_string(),
        );
    }
    notes
}
