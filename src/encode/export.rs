//! `imgwire encode`'s files: the report as JSON (`--export-json`, the
//! serde structs as they are) and as CSV (`--export-csv`: one line per
//! measured row and per reference point, the same columns for both).

use super::measure::{Fidelity, Speed};
use super::results::EncodeReport;
use crate::report::csv::subsampling_name;
use crate::report::csv_field;
use anyhow::Result;

pub fn json(report: &EncodeReport) -> Result<Vec<u8>> {
    let mut bytes = serde_json::to_vec_pretty(report)?;
    bytes.push(b'\n');
    Ok(bytes)
}

const CSV_HEADER: &str = "kind,size,encoder,quality,subsampling,frame_pool_size,threads,frames,\
p50_frame_ns,p99_frame_ns,mean_frame_ns,wall_ns,megapixels_per_s,mean_encoded_bytes,\
bits_per_pixel,psnr_y_db,psnr_rgb_db,ssim_y,error";

/// `kind` is `measured` for the table's rows and `reference` for the
/// turbojpeg sweep; empty cells where a figure does not apply.
pub fn csv(report: &EncodeReport) -> Vec<u8> {
    let mut out = format!("{CSV_HEADER}\n");
    for row in &report.rows {
        let lead = [
            "measured",
            &row.size,
            row.encoder.name(),
            &row.quality.to_string(),
            subsampling_name(row.subsampling),
            &row.frame_pool_size.to_string(),
        ];
        out += &line(
            &lead,
            row.speed.as_ref(),
            row.fidelity.as_ref(),
            row.error.as_deref(),
        );
    }
    for point in &report.reference_sweep {
        let lead = [
            "reference",
            &point.size,
            "turbojpeg",
            &point.quality.to_string(),
            subsampling_name(point.subsampling),
            "",
        ];
        out += &line(&lead, Some(&point.speed), Some(&point.fidelity), None);
    }
    out.into_bytes()
}

fn line(
    lead: &[&str],
    speed: Option<&Speed>,
    fidelity: Option<&Fidelity>,
    error: Option<&str>,
) -> String {
    let mut cells: Vec<String> = lead.iter().map(|c| csv_field(c)).collect();
    let speed_cells = speed.map(|s| {
        vec![
            s.threads.to_string(),
            s.frames.to_string(),
            s.p50_frame_ns.to_string(),
            s.p99_frame_ns.to_string(),
            s.mean_frame_ns.to_string(),
            s.wall_ns.to_string(),
            format!("{:.3}", s.megapixels_per_s),
        ]
    });
    cells.extend(speed_cells.unwrap_or_else(|| vec![String::new(); 7]));
    let optional =
        |v: Option<f64>, digits: usize| v.map_or(String::new(), |v| format!("{v:.digits$}"));
    let fidelity_cells = fidelity.map(|f| {
        vec![
            f.mean_encoded_bytes.to_string(),
            format!("{:.4}", f.bits_per_pixel),
            optional(f.quality.psnr_y_db, 4),
            optional(f.quality.psnr_rgb_db, 4),
            format!("{:.6}", f.quality.ssim_y),
        ]
    });
    cells.extend(fidelity_cells.unwrap_or_else(|| vec![String::new(); 5]));
    cells.push(csv_field(error.unwrap_or("")));
    cells.join(",") + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_has_as_many_cells_as_the_header() {
        let columns = CSV_HEADER.split(',').count();
        let unavailable = line(
            &["measured", "8x8", "nvjpeg", "90", "420", "4"],
            None,
            None,
            Some("no GPU"),
        );
        assert_eq!(unavailable.trim_end().split(',').count(), columns);
    }
}
