//! `imgwire encode`'s files: the report as JSON (`--export-json`, the
//! serde structs as they are) and as CSV (`--export-csv`: one line per
//! measured row, per reference point, per server decode and per setting x
//! link, the same columns for all, empty where a figure does not apply).

use super::measure::{Fidelity, Speed};
use super::results::{Crossover, DecodeRow, EncodeReport, LinkCost};
use crate::report::csv::subsampling_name;
use crate::report::csv_field;
use anyhow::Result;

pub fn json(report: &EncodeReport) -> Result<Vec<u8>> {
    let mut bytes = serde_json::to_vec_pretty(report)?;
    bytes.push(b'\n');
    Ok(bytes)
}

const CSV_COLUMNS: &[&str] = &[
    "kind",
    "size",
    "encoder",
    "quality",
    "subsampling",
    "frame_pool_size",
    "threads",
    "frames",
    "p50_frame_ns",
    "p99_frame_ns",
    "mean_frame_ns",
    "wall_ns",
    "megapixels_per_s",
    "mean_encoded_bytes",
    "bits_per_pixel",
    "psnr_y_db",
    "psnr_rgb_db",
    "ssim_y",
    "error",
    "decoder",
    "decode_frames",
    "decode_p50_frame_ns",
    "decode_p99_frame_ns",
    "decode_mean_frame_ns",
    "link_bits_per_second",
    "link_rtt_ns",
    "encode_ns",
    "transfer_ns",
    "end_to_end_ns",
    "client_frames_per_s",
    "pipelined_frames_per_s",
    "crossover",
];

/// One CSV line: the named cells in the header's order, the rest empty.
struct Line(Vec<(&'static str, String)>);

impl Line {
    fn set(&mut self, column: &'static str, value: impl ToString) {
        debug_assert!(CSV_COLUMNS.contains(&column), "{column}");
        self.0.push((column, value.to_string()));
    }

    fn render(&self) -> String {
        let cell = |column: &&str| {
            self.0
                .iter()
                .find(|(c, _)| c == column)
                .map_or_else(String::new, |(_, v)| csv_field(v))
        };
        CSV_COLUMNS.iter().map(cell).collect::<Vec<_>>().join(",") + "\n"
    }
}

/// `kind` is `measured` for the table's rows, `reference` for the
/// turbojpeg sweep, `decode` for the server's decodes and `link` for the
/// cost end to end over each link (`crossover`: `cheapest`,
/// `most-frames-per-s`, both joined by `;`, or empty).
pub fn csv(report: &EncodeReport) -> Vec<u8> {
    let mut out = CSV_COLUMNS.join(",") + "\n";
    for row in &report.rows {
        let mut line = lead("measured", &row.size, row.encoder.name(), row.quality);
        if let Some(subsampling) = row.subsampling {
            line.set("subsampling", subsampling_name(subsampling));
        }
        line.set("frame_pool_size", row.frame_pool_size);
        speed(&mut line, row.speed.as_ref());
        fidelity(&mut line, row.fidelity.as_ref());
        line.set("error", row.error.as_deref().unwrap_or(""));
        out += &line.render();
    }
    for point in &report.reference_sweep {
        let mut line = lead("reference", &point.size, "turbojpeg", Some(point.quality));
        line.set("subsampling", subsampling_name(point.subsampling));
        speed(&mut line, Some(&point.speed));
        fidelity(&mut line, Some(&point.fidelity));
        out += &line.render();
    }
    for decode in &report.decode {
        out += &decode_line(decode).render();
    }
    for cost in &report.link_costs {
        out += &link_line(cost, &report.crossover).render();
    }
    out.into_bytes()
}

fn lead(kind: &str, size: &str, encoder: &str, quality: Option<u8>) -> Line {
    let mut line = Line(Vec::new());
    line.set("kind", kind);
    line.set("size", size);
    line.set("encoder", encoder);
    line.set("quality", quality.map_or(String::new(), |q| q.to_string()));
    line
}

fn speed(line: &mut Line, speed: Option<&Speed>) {
    let Some(s) = speed else { return };
    line.set("threads", s.threads);
    line.set("frames", s.frames);
    line.set("p50_frame_ns", s.p50_frame_ns);
    line.set("p99_frame_ns", s.p99_frame_ns);
    line.set("mean_frame_ns", s.mean_frame_ns);
    line.set("wall_ns", s.wall_ns);
    line.set("megapixels_per_s", format!("{:.3}", s.megapixels_per_s));
}

fn fidelity(line: &mut Line, fidelity: Option<&Fidelity>) {
    let Some(f) = fidelity else { return };
    line.set("mean_encoded_bytes", f.mean_encoded_bytes);
    line.set("bits_per_pixel", format!("{:.4}", f.bits_per_pixel));
    quality(
        line,
        f.quality.psnr_y_db,
        f.quality.psnr_rgb_db,
        f.quality.ssim_y,
    );
}

/// PSNR left empty where the frames came back identical (infinite).
fn quality(line: &mut Line, psnr_y: Option<f64>, psnr_rgb: Option<f64>, ssim_y: f64) {
    let db = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:.4}"));
    line.set("psnr_y_db", db(psnr_y));
    line.set("psnr_rgb_db", db(psnr_rgb));
    line.set("ssim_y", format!("{ssim_y:.6}"));
}

fn decode_line(decode: &DecodeRow) -> Line {
    let mut line = lead(
        "decode",
        &decode.size,
        decode.encoder.name(),
        decode.quality,
    );
    line.set("decoder", decode.decoder.name());
    line.set("error", decode.error.as_deref().unwrap_or(""));
    if let Some(s) = decode.speed {
        line.set("decode_frames", s.decode_frames);
        line.set("decode_p50_frame_ns", s.decode_p50_frame_ns);
        line.set("decode_p99_frame_ns", s.decode_p99_frame_ns);
        line.set("decode_mean_frame_ns", s.decode_mean_frame_ns);
    }
    line
}

fn link_line(cost: &LinkCost, crossover: &[Crossover]) -> Line {
    let mut line = lead("link", &cost.size, cost.encoder.name(), cost.quality);
    let optional = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:.3}"));
    line.set("threads", cost.threads);
    line.set("mean_encoded_bytes", cost.encoded_bytes);
    quality(&mut line, cost.psnr_y_db, cost.psnr_rgb_db, cost.ssim_y);
    line.set("decoder", cost.decoder.name());
    line.set("decode_mean_frame_ns", cost.decode_ns);
    line.set(
        "link_bits_per_second",
        cost.link
            .bits_per_second
            .map_or("inf".to_string(), |b| format!("{b}")),
    );
    line.set("link_rtt_ns", cost.rtt_ns);
    line.set("encode_ns", cost.encode_ns);
    line.set("transfer_ns", cost.transfer_ns);
    line.set("end_to_end_ns", cost.end_to_end_ns);
    line.set("client_frames_per_s", optional(cost.client_frames_per_s));
    line.set(
        "pipelined_frames_per_s",
        optional(cost.pipelined_frames_per_s),
    );
    let marks: Vec<&str> = crossover
        .iter()
        .flat_map(|c| {
            [
                (&c.cheapest == cost).then_some("cheapest"),
                (&c.most_frames_per_s == cost).then_some("most-frames-per-s"),
            ]
        })
        .flatten()
        .collect();
    line.set("crossover", marks.join(";"));
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_has_as_many_cells_as_the_header() {
        let mut unavailable = lead("measured", "8x8", "nvjpeg", Some(90));
        unavailable.set("error", "no GPU");
        let rendered = unavailable.render();
        assert_eq!(rendered.trim_end().split(',').count(), CSV_COLUMNS.len());
        let mut quoted = lead("decode", "8x8", "turbojpeg", Some(90));
        quoted.set("error", "refused, twice");
        assert!(quoted.render().contains("\"refused, twice\""));
        let raw = lead("measured", "8x8", "none", None).render();
        assert!(raw.starts_with("measured,8x8,none,,"), "{raw}");
    }
}
