//! The "same quality" view: each non-reference encoder set beside
//! turbojpeg at the quality whose RGB PSNR is closest to its own, so a
//! fast encoder at low quality is never compared with a slow one at high.
//! An encoder whose PSNR lies past both ends of the sweep (image-rs's 4:4:4
//! at q95 is above what 4:2:0 turbojpeg reaches even at q100) is paired with
//! the nearest end and marked out of range, never passed off as equal.

use super::encoders::EncoderChoice;
use super::results::{OutOfRange, ReferencePoint, Row, SameQuality};

/// How far past the sweep's best or worst PSNR an encoder may be and still
/// count as in range: well under the gap between two swept qualities.
const RANGE_SLACK_DB: f64 = 0.1;

/// Pairs every measured row of another encoder at `threads` with the
/// closest reference point of its size.
pub fn same_quality(rows: &[Row], sweep: &[ReferencePoint], threads: usize) -> Vec<SameQuality> {
    rows.iter()
        .filter(|row| row.encoder != EncoderChoice::Turbojpeg)
        .filter_map(|row| {
            let speed = row.speed.filter(|s| s.threads == threads)?;
            let fidelity = row.fidelity?;
            let psnr = fidelity.quality.psnr_rgb_db?;
            let of_size = || sweep.iter().filter(|p| p.size == row.size);
            let reference = closest(of_size(), psnr)?;
            let reference_psnr = reference.fidelity.quality.psnr_rgb_db?;
            Some(SameQuality {
                size: row.size.clone(),
                encoder: row.encoder,
                quality: row.quality?,
                threads,
                psnr_rgb_db: psnr,
                megapixels_per_s: speed.megapixels_per_s,
                bits_per_pixel: fidelity.bits_per_pixel,
                reference_quality: reference.quality,
                reference_psnr_rgb_db: reference_psnr,
                reference_megapixels_per_s: reference.speed.megapixels_per_s,
                reference_bits_per_pixel: reference.fidelity.bits_per_pixel,
                speed_ratio: speed.megapixels_per_s / reference.speed.megapixels_per_s.max(1e-12),
                out_of_range: out_of_range(of_size(), psnr),
            })
        })
        .collect()
}

/// Whether `psnr` lies past the best or the worst PSNR of the sweep.
fn out_of_range<'a>(
    points: impl Iterator<Item = &'a ReferencePoint>,
    psnr: f64,
) -> Option<OutOfRange> {
    let psnrs: Vec<f64> = points
        .filter_map(|p| p.fidelity.quality.psnr_rgb_db)
        .collect();
    let best = psnrs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let worst = psnrs.iter().copied().fold(f64::INFINITY, f64::min);
    if psnr > best + RANGE_SLACK_DB {
        Some(OutOfRange::Above)
    } else if psnr < worst - RANGE_SLACK_DB {
        Some(OutOfRange::Below)
    } else {
        None
    }
}

/// The point whose RGB PSNR is nearest `psnr` (the first of a tie).
fn closest<'a>(
    points: impl Iterator<Item = &'a ReferencePoint>,
    psnr: f64,
) -> Option<&'a ReferencePoint> {
    points
        .filter_map(|p| Some((p, (p.fidelity.quality.psnr_rgb_db? - psnr).abs())))
        .fold(
            None,
            |best: Option<(&ReferencePoint, f64)>, (p, gap)| match best {
                Some((_, best_gap)) if best_gap <= gap => best,
                _ => Some((p, gap)),
            },
        )
        .map(|(p, _)| p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::measure::{Fidelity, Speed};
    use crate::encode::quality::Quality;
    use crate::encoders::Subsampling;

    fn speed(threads: usize, megapixels_per_s: f64) -> Speed {
        Speed {
            threads,
            frames: 10,
            p50_frame_ns: 1,
            p99_frame_ns: 1,
            mean_frame_ns: 1,
            wall_ns: 1,
            megapixels_per_s,
        }
    }

    fn fidelity(psnr: f64, bits_per_pixel: f64) -> Fidelity {
        Fidelity {
            mean_encoded_bytes: 1,
            bits_per_pixel,
            quality: Quality {
                psnr_y_db: Some(psnr + 1.0),
                psnr_rgb_db: Some(psnr),
                ssim_y: 0.9,
            },
        }
    }

    fn reference(size: &str, quality: u8, psnr: f64, mps: f64) -> ReferencePoint {
        ReferencePoint {
            size: size.to_string(),
            quality,
            subsampling: Subsampling::S420,
            speed: speed(1, mps),
            fidelity: fidelity(psnr, 2.0),
        }
    }

    fn row(encoder: EncoderChoice, quality: u8, threads: usize, psnr: f64, mps: f64) -> Row {
        Row {
            size: "8x8".to_string(),
            encoder,
            quality: Some(quality),
            subsampling: Some(Subsampling::S444),
            frame_pool_size: 1,
            error: None,
            speed: Some(speed(threads, mps)),
            fidelity: Some(fidelity(psnr, 3.0)),
        }
    }

    #[test]
    fn each_other_encoder_meets_the_reference_quality_with_the_nearest_psnr() {
        let sweep = [
            reference("8x8", 70, 33.0, 200.0),
            reference("8x8", 74, 34.0, 190.0),
            reference("8x8", 78, 35.5, 180.0),
            reference("4x4", 74, 34.2, 1.0),
        ];
        let rows = [
            row(EncoderChoice::Turbojpeg, 90, 1, 34.1, 100.0),
            row(EncoderChoice::ImageRs, 90, 1, 34.2, 45.0),
            row(EncoderChoice::ImageRs, 90, 2, 34.2, 90.0),
            row(EncoderChoice::Nvjpeg, 90, 1, 40.0, 900.0),
        ];
        let pairs = same_quality(&rows, &sweep, 1);
        assert_eq!(pairs.len(), 2, "{pairs:?}");
        assert_eq!(
            (pairs[0].encoder, pairs[0].reference_quality),
            (EncoderChoice::ImageRs, 74)
        );
        assert!((pairs[0].speed_ratio - 45.0 / 190.0).abs() < 1e-12);
        assert_eq!(
            (pairs[1].encoder, pairs[1].reference_quality),
            (EncoderChoice::Nvjpeg, 78)
        );
        assert_eq!(pairs[1].reference_bits_per_pixel, 2.0);
        assert_eq!(pairs[0].out_of_range, None);
        assert_eq!(pairs[1].out_of_range, Some(OutOfRange::Above));
        assert!(same_quality(&rows, &[], 1).is_empty());
    }

    #[test]
    fn qualities_past_the_sweep_are_marked_not_matched() {
        let sweep = [
            reference("8x8", 94, 44.0, 100.0),
            reference("8x8", 98, 45.4, 90.0),
            reference("8x8", 100, 46.0, 80.0),
        ];
        let rows = [
            row(EncoderChoice::ImageRs, 80, 1, 40.0, 50.0),
            row(EncoderChoice::ImageRs, 90, 1, 45.3, 50.0),
            row(EncoderChoice::ImageRs, 95, 1, 46.6, 50.0),
            row(EncoderChoice::ImageRs, 100, 1, 46.05, 50.0),
        ];
        let pairs = same_quality(&rows, &sweep, 1);
        let found: Vec<(u8, u8, Option<OutOfRange>)> = pairs
            .iter()
            .map(|p| (p.quality, p.reference_quality, p.out_of_range))
            .collect();
        assert_eq!(
            found,
            [
                (80, 94, Some(OutOfRange::Below)),
                (90, 98, None),
                (95, 100, Some(OutOfRange::Above)),
                (100, 100, None),
            ]
        );
    }
}
