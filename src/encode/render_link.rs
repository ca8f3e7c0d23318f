//! The encode decision on a link as `imgwire encode` prints it: per size,
//! the server's decode of each output, the cost of a frame end to end over
//! each link, and the crossover (the cheapest setting per link).

use super::cells::{db, ms, quality_label};
use super::projection::link_label;
use super::results::{Crossover, EncodeReport, LinkCost};
use crate::link::LinkSpec;
use crate::report::{align_within, plural, wrap};
use std::fmt::Write;

/// The three tables of one size, each under the sentence that says how to
/// read it; empty where nothing was decoded.
pub fn decision(report: &EncodeReport, size: &str, width: Option<usize>) -> String {
    let mut out = String::new();
    let decode = decode_grid(report, size);
    if decode.len() > 1 || !report.machine.decoders_unavailable.is_empty() {
        out += "\n";
        out += &wrap(&decode_title(report), width, "  ");
        if decode.len() > 1 {
            out += &align_within(&decode, 3, width);
        }
        out += &decode_unavailable(report, size, width);
    }
    let links = link_grid(report, size);
    if links.len() > 1 {
        out += "\n";
        out += &wrap(&link_title(report), width, "  ");
        out += &align_within(&links, 2, width);
    }
    let crossover = crossover_grid(report, size);
    if crossover.len() > 1 {
        out += "\n";
        out += &wrap(CROSSOVER_TITLE, width, "  ");
        out += &align_within(&crossover, 3, width);
    }
    out
}

pub(crate) fn decode_title(report: &EncodeReport) -> String {
    format!(
        "Server decode: each output decoded as `imgwire serve` decodes a request's image (one \
         thread, {} after a warm-up one; raw frames: the size check only)",
        plural(report.settings.frames_per_measurement, "frame")
    )
}

pub(crate) fn link_title(report: &EncodeReport) -> String {
    let threads = report.link_costs.first().map_or(1, |c| c.threads);
    format!(
        "End to end, ms per frame over each link (one frame per request, serial: mean encode at \
         {} + bytes x 8 / bandwidth + rtt + mean decode; client fps: 1 / encode, what one client \
         core sustains)",
        plural(threads, "thread")
    )
}

pub(crate) const CROSSOVER_TITLE: &str =
    "Crossover: per link, the cheapest setting end to end (ms per \
                               frame, serial) and the one with the most frames/s pipelined (1 / \
                               max(encode, transfer, decode)), with the fidelity each costs";

/// Whether the outputs were decoded by more than one server decoder, so
/// each row must name its own.
pub(crate) fn several_decoders(report: &EncodeReport) -> bool {
    let mut decoders = report.decode.iter().filter(|d| d.speed.is_some());
    let first = decoders.next().map(|d| d.decoder);
    decoders.any(|d| Some(d.decoder) != first)
}

/// `turbojpeg q90`, `none`, and `, nvjpeg decode` where decoders differ.
pub(crate) fn setting_label(cost: &LinkCost, several: bool) -> String {
    let mut label = match cost.quality {
        Some(q) => format!("{} q{q}", cost.encoder.name()),
        None => cost.encoder.name().to_string(),
    };
    if several {
        let _ = write!(label, ", {} decode", cost.decoder.name());
    }
    label
}

pub(crate) fn decode_grid(report: &EncodeReport, size: &str) -> Vec<Vec<String>> {
    let mut grid = vec![["encoder", "q", "decoder", "p50 ms", "p99 ms", "mean ms"]
        .map(String::from)
        .to_vec()];
    for row in report.decode.iter().filter(|d| d.size == size) {
        let Some(speed) = row.speed else {
            continue;
        };
        grid.push(vec![
            row.encoder.name().to_string(),
            quality_label(row.quality),
            row.decoder.name().to_string(),
            ms(speed.decode_p50_frame_ns),
            ms(speed.decode_p99_frame_ns),
            ms(speed.decode_mean_frame_ns),
        ]);
    }
    grid
}

/// One line per decoder that cannot run here, and per output a decoder
/// refused.
pub(crate) fn decode_unavailable(
    report: &EncodeReport,
    size: &str,
    width: Option<usize>,
) -> String {
    let mut out = String::new();
    for missing in &report.machine.decoders_unavailable {
        let line = format!(
            "  {} decode: n/a: {}",
            missing.decoder.name(),
            missing.reason
        );
        out += &wrap(&line, width, "    ");
    }
    let refused = report.decode.iter().filter(|d| d.size == size);
    for row in refused.filter(|d| d.error.is_some()) {
        let line = format!(
            "  {} {} by {}: n/a: {}",
            row.encoder.name(),
            quality_label(row.quality),
            row.decoder.name(),
            row.error.as_deref().unwrap_or_default()
        );
        out += &wrap(&line, width, "    ");
    }
    out
}

/// The links of the report, in order.
fn links(report: &EncodeReport) -> &[LinkSpec] {
    &report.settings.links
}

pub(crate) fn link_grid(report: &EncodeReport, size: &str) -> Vec<Vec<String>> {
    let several = several_decoders(report);
    let mut heading = vec!["encoder".to_string(), "q".to_string()];
    if several {
        heading.push("decoder".to_string());
    }
    heading.extend(["kB/frame", "enc ms", "dec ms", "client fps"].map(String::from));
    heading.extend(links(report).iter().map(link_label));
    let mut grid = vec![heading];
    let of_size: Vec<&LinkCost> = report
        .link_costs
        .iter()
        .filter(|c| c.size == size)
        .collect();
    for (index, first) in of_size.iter().enumerate() {
        if index % links(report).len().max(1) != 0 {
            continue;
        }
        let same = of_size[index..].iter().take(links(report).len());
        let mut line = vec![
            first.encoder.name().to_string(),
            quality_label(first.quality),
        ];
        if several {
            line.push(first.decoder.name().to_string());
        }
        line.extend([
            format!("{:.1}", first.encoded_bytes as f64 / 1e3),
            ms(first.encode_ns),
            ms(first.decode_ns),
            first
                .client_frames_per_s
                .map_or_else(|| "-".to_string(), |fps| format!("{fps:.1}")),
        ]);
        line.extend(same.map(|c| ms(c.end_to_end_ns)));
        grid.push(line);
    }
    grid
}

pub(crate) fn crossover_grid(report: &EncodeReport, size: &str) -> Vec<Vec<String>> {
    let several = several_decoders(report);
    let mut grid = vec![["link", "goal", "choice", "cost", "PSNR RGB", "SSIM Y"]
        .map(String::from)
        .to_vec()];
    for crossover in report.crossover.iter().filter(|c| c.size == size) {
        let Crossover {
            link,
            cheapest,
            most_frames_per_s: fastest,
            ..
        } = crossover;
        let fps = fastest
            .pipelined_frames_per_s
            .map_or_else(|| "unbounded".to_string(), |f| format!("{f:.1} frames/s"));
        grid.push(vec![
            link_label(link),
            "per frame".to_string(),
            setting_label(cheapest, several),
            format!("{} ms", ms(cheapest.end_to_end_ns)),
            db(cheapest.psnr_rgb_db),
            format!("{:.4}", cheapest.ssim_y),
        ]);
        grid.push(vec![
            String::new(),
            "frames/s".to_string(),
            setting_label(fastest, several),
            fps,
            db(fastest.psnr_rgb_db),
            format!("{:.4}", fastest.ssim_y),
        ]);
    }
    grid
}
