//! The cells of `imgwire encode`'s tables, shared by the terminal report
//! and the Markdown file: milliseconds, qualities, PSNRs, and the encode
//! table of one size.

use super::results::{Machine, Row};

/// Nanoseconds as milliseconds, three decimals.
pub(crate) fn ms(ns: u64) -> String {
    format!("{:.3}", ns as f64 / 1e6)
}

/// A row's quality, `-` for raw frames.
pub(crate) fn quality_label(quality: Option<u8>) -> String {
    quality.map_or_else(|| "-".to_string(), |q| q.to_string())
}

/// A PSNR in dB, `inf` where the frames came back identical.
pub(crate) fn db(value: Option<f64>) -> String {
    value.map_or_else(|| "inf".to_string(), |v| format!("{v:.2}"))
}

/// The measured rows of one size as cells under their heading; an
/// encoder's name, quality and fidelity only on its first thread count.
pub(crate) fn size_grid(rows: &[&Row]) -> Vec<Vec<String>> {
    let mut table = vec![[
        "encoder", "q", "chroma", "threads", "p50 ms", "p99 ms", "MP/s", "bits/px", "PSNR Y",
        "PSNR RGB", "SSIM Y",
    ]
    .map(String::from)
    .to_vec()];
    let mut previous: Option<(&str, Option<u8>)> = None;
    for row in rows {
        let (Some(speed), Some(fidelity)) = (row.speed, row.fidelity) else {
            continue;
        };
        let first_of_setting = previous != Some((row.encoder.name(), row.quality));
        previous = Some((row.encoder.name(), row.quality));
        let shown = |text: String| {
            if first_of_setting {
                text
            } else {
                String::new()
            }
        };
        table.push(vec![
            shown(row.encoder.name().to_string()),
            shown(quality_label(row.quality)),
            shown(row.subsampling.map_or("-", |s| s.label()).to_string()),
            speed.threads.to_string(),
            ms(speed.p50_frame_ns),
            ms(speed.p99_frame_ns),
            format!("{:.1}", speed.megapixels_per_s),
            shown(format!("{:.3}", fidelity.bits_per_pixel)),
            shown(db(fidelity.quality.psnr_y_db)),
            shown(db(fidelity.quality.psnr_rgb_db)),
            shown(format!("{:.4}", fidelity.quality.ssim_y)),
        ]);
    }
    table
}

/// The GPU as the header names it: described, unusable, or not asked for.
pub(crate) fn gpu_label(machine: &Machine) -> String {
    match (&machine.gpu, &machine.gpu_error) {
        (Some(gpu), _) => gpu.clone(),
        (None, Some(_)) => "none usable (the nvjpeg rows say why)".to_string(),
        (None, None) => "not asked for".to_string(),
    }
}
