//! How close a decoded JPEG is to its source: PSNR on BT.601 luma and on
//! RGB, and SSIM on luma (Wang et al. 2004: an 11x11 gaussian window with
//! sigma 1.5, K1 = 0.01, K2 = 0.03, L = 255, averaged over every window that
//! lies wholly inside the image).

use serde::Serialize;

/// The largest sample value of 8-bit images.
const PEAK: f64 = 255.0;
/// Side of the SSIM window in pixels, and its gaussian's sigma.
pub const SSIM_WINDOW: usize = 11;
pub const SSIM_SIGMA: f64 = 1.5;
const C1: f64 = (0.01 * PEAK) * (0.01 * PEAK);
const C2: f64 = (0.03 * PEAK) * (0.03 * PEAK);

/// An image's quality against its source. PSNR is `None` where the two are
/// identical (infinite PSNR).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Quality {
    pub psnr_y_db: Option<f64>,
    pub psnr_rgb_db: Option<f64>,
    pub ssim_y: f64,
}

/// A single-channel image in floating point, row-major.
#[derive(Clone, Debug)]
pub struct Plane {
    pub width: usize,
    pub height: usize,
    pub values: Vec<f64>,
}

/// BT.601 luma of interleaved RGB, full range as JPEG's YCbCr uses it, not
/// rounded: Y = 0.299 R + 0.587 G + 0.114 B.
pub fn luma(rgb: &[u8], width: usize, height: usize) -> Plane {
    let values = rgb
        .chunks_exact(3)
        .map(|p| 0.299 * f64::from(p[0]) + 0.587 * f64::from(p[1]) + 0.114 * f64::from(p[2]))
        .collect();
    Plane {
        width,
        height,
        values,
    }
}

/// Peak signal-to-noise ratio in dB of two equal-length sample sets on a
/// 0..=255 scale; `None` when they are identical.
pub fn psnr(a: impl Iterator<Item = f64>, b: impl Iterator<Item = f64>) -> Option<f64> {
    let (mut sum, mut count) = (0.0, 0usize);
    for (x, y) in a.zip(b) {
        sum += (x - y) * (x - y);
        count += 1;
    }
    let mse = sum / count.max(1) as f64;
    (mse > 0.0).then(|| 10.0 * (PEAK * PEAK / mse).log10())
}

/// PSNR over every R, G and B sample.
pub fn psnr_rgb(source: &[u8], decoded: &[u8]) -> Option<f64> {
    psnr(
        source.iter().map(|&v| f64::from(v)),
        decoded.iter().map(|&v| f64::from(v)),
    )
}

/// PSNR, luma SSIM and RGB PSNR of `decoded` against `source`, both
/// interleaved RGB of `width` x `height`.
pub fn compare(source: &[u8], decoded: &[u8], width: usize, height: usize) -> Quality {
    let (x, y) = (luma(source, width, height), luma(decoded, width, height));
    Quality {
        psnr_y_db: psnr(x.values.iter().copied(), y.values.iter().copied()),
        psnr_rgb_db: psnr_rgb(source, decoded),
        ssim_y: ssim(&x, &y),
    }
}

/// The normalised 1-D gaussian of the SSIM window.
fn gaussian_weights() -> [f64; SSIM_WINDOW] {
    let mut weights = [0.0; SSIM_WINDOW];
    let centre = (SSIM_WINDOW / 2) as f64;
    for (i, w) in weights.iter_mut().enumerate() {
        let d = i as f64 - centre;
        *w = (-(d * d) / (2.0 * SSIM_SIGMA * SSIM_SIGMA)).exp();
    }
    let total: f64 = weights.iter().sum();
    weights.map(|w| w / total)
}

/// Gaussian-weighted means of `values` over every window wholly inside a
/// `width` x `height` plane (separable: rows, then columns).
fn window_means(values: &[f64], width: usize, height: usize) -> Vec<f64> {
    let weights = gaussian_weights();
    let (out_w, out_h) = (width + 1 - SSIM_WINDOW, height + 1 - SSIM_WINDOW);
    let mut across = vec![0.0; out_w * height];
    for y in 0..height {
        let row = &values[y * width..(y + 1) * width];
        for x in 0..out_w {
            across[y * out_w + x] = weights.iter().zip(&row[x..]).map(|(w, v)| w * v).sum();
        }
    }
    let mut out = vec![0.0; out_w * out_h];
    for y in 0..out_h {
        for x in 0..out_w {
            out[y * out_w + x] = (0..SSIM_WINDOW)
                .map(|k| weights[k] * across[(y + k) * out_w + x])
                .sum();
        }
    }
    out
}

/// Mean SSIM of two planes of one size. A plane smaller than the window in
/// either direction is compared as one window of equal weights.
pub fn ssim(x: &Plane, y: &Plane) -> f64 {
    let (w, h) = (x.width, x.height);
    if w < SSIM_WINDOW || h < SSIM_WINDOW {
        return ssim_of_one_window(&x.values, &y.values);
    }
    let product = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(p, q)| p * q).collect::<Vec<_>>();
    let mu_x = window_means(&x.values, w, h);
    let mu_y = window_means(&y.values, w, h);
    let xx = window_means(&product(&x.values, &x.values), w, h);
    let yy = window_means(&product(&y.values, &y.values), w, h);
    let xy = window_means(&product(&x.values, &y.values), w, h);
    let total: f64 = (0..mu_x.len())
        .map(|i| {
            let (mx, my) = (mu_x[i], mu_y[i]);
            ssim_formula(mx, my, xx[i] - mx * mx, yy[i] - my * my, xy[i] - mx * my)
        })
        .sum();
    total / mu_x.len() as f64
}

/// SSIM from a window's means, variances and covariance.
fn ssim_formula(mx: f64, my: f64, var_x: f64, var_y: f64, cov: f64) -> f64 {
    ((2.0 * mx * my + C1) * (2.0 * cov + C2)) / ((mx * mx + my * my + C1) * (var_x + var_y + C2))
}

fn ssim_of_one_window(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len().max(1) as f64;
    let mean = |v: &[f64]| v.iter().sum::<f64>() / n;
    let (mx, my) = (mean(x), mean(y));
    let moment = |a: &[f64], ma: f64, b: &[f64], mb: f64| {
        a.iter()
            .zip(b)
            .map(|(p, q)| (p - ma) * (q - mb))
            .sum::<f64>()
            / n
    };
    ssim_formula(
        mx,
        my,
        moment(x, mx, x, mx),
        moment(y, my, y, my),
        moment(x, mx, y, my),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tolerance: f64) -> bool {
        (a - b).abs() <= tolerance
    }

    #[test]
    fn psnr_of_a_4x4_image_with_one_sample_off_by_16() {
        let source = vec![100u8; 4 * 4 * 3];
        let mut decoded = source.clone();
        decoded[0] = 116; // the first pixel's red
                          // RGB: MSE = 16^2 / 48 = 5.3333; PSNR = 10 log10(65025 / 5.3333) = 40.8607 dB.
        let rgb = psnr_rgb(&source, &decoded).unwrap();
        assert!(close(rgb, 40.8607, 1e-3), "{rgb}");
        // Luma: that pixel's Y moves by 0.299 * 16 = 4.784; MSE = 4.784^2 / 16
        // = 1.430416; PSNR = 10 log10(65025 / 1.430416) = 46.5763 dB.
        let quality = compare(&source, &decoded, 4, 4);
        assert!(
            close(quality.psnr_y_db.unwrap(), 46.5763, 1e-3),
            "{quality:?}"
        );
        assert_eq!(quality.psnr_rgb_db, Some(rgb));
    }

    #[test]
    fn psnr_of_a_uniform_error_and_of_identical_images() {
        // Every sample off by 5: MSE = 25, PSNR = 10 log10(65025 / 25) = 34.1514 dB.
        let a = vec![50u8; 4 * 4 * 3];
        let b = vec![55u8; 4 * 4 * 3];
        assert!(close(psnr_rgb(&a, &b).unwrap(), 34.1514, 1e-3));
        assert_eq!(psnr_rgb(&a, &a), None);
    }

    #[test]
    fn luma_weights_are_bt601() {
        let plane = luma(&[255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30], 4, 1);
        let expected = [
            76.245,
            149.685,
            29.07,
            0.299 * 10.0 + 0.587 * 20.0 + 0.114 * 30.0,
        ];
        for (got, want) in plane.values.iter().zip(expected) {
            assert!(close(*got, want, 1e-9), "{got} vs {want}");
        }
    }

    fn textured(width: usize, height: usize) -> Plane {
        let values = (0..width * height)
            .map(|i| ((i * 37 + (i / width) * 11) % 200) as f64 + 20.0)
            .collect();
        Plane {
            width,
            height,
            values,
        }
    }

    #[test]
    fn ssim_of_an_image_with_itself_is_one() {
        for (w, h) in [(4, 4), (24, 17)] {
            let x = textured(w, h);
            assert!(close(ssim(&x, &x), 1.0, 1e-12), "{w}x{h}");
        }
    }

    #[test]
    fn ssim_of_a_constant_shift_is_the_luminance_term_alone() {
        // Flat 100 against flat 110: no variance, so only the luminance term
        // is left in every window: (2*100*110 + C1) / (100^2 + 110^2 + C1),
        // C1 = (0.01 * 255)^2 = 6.5025, which is 22006.5025 / 22106.5025.
        let flat = |v: f64| Plane {
            width: 16,
            height: 16,
            values: vec![v; 256],
        };
        let expected = 22006.5025 / 22106.5025;
        let got = ssim(&flat(100.0), &flat(110.0));
        assert!(close(got, expected, 1e-12), "{got} vs {expected}");
        let small = |v: f64| Plane {
            width: 4,
            height: 4,
            values: vec![v; 16],
        };
        assert!(close(ssim(&small(100.0), &small(110.0)), expected, 1e-12));
    }

    #[test]
    fn separable_windows_match_a_direct_two_dimensional_sum() {
        let (w, h) = (15, 13);
        let x = textured(w, h);
        let weights = gaussian_weights();
        let fast = window_means(&x.values, w, h);
        let out_w = w + 1 - SSIM_WINDOW;
        for (i, got) in fast.iter().enumerate() {
            let (ox, oy) = (i % out_w, i / out_w);
            let mut direct = 0.0;
            for (dy, wy) in weights.iter().enumerate() {
                for (dx, wx) in weights.iter().enumerate() {
                    direct += wy * wx * x.values[(oy + dy) * w + ox + dx];
                }
            }
            assert!(close(*got, direct, 1e-9), "window {i}: {got} vs {direct}");
        }
        let noisy = Plane {
            values: x
                .values
                .iter()
                .enumerate()
                .map(|(i, v)| v + (i % 7) as f64)
                .collect(),
            ..x.clone()
        };
        let s = ssim(&x, &noisy);
        assert!(s > 0.5 && s < 1.0, "{s}");
    }
}
