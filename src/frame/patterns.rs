//! Deterministic procedural frames: the same `--seed`, size and content give
//! the same pixels on every machine.

use super::{Content, Frame, Size};

/// SplitMix64: tiny, fast and stable across versions, which a seeded
/// benchmark needs more than statistical perfection.
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
    pub(crate) fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// Makes one RGB frame. `index` tells frames of one pool apart.
pub fn generate(content: Content, size: Size, seed: u64, index: u64) -> Frame {
    let mut rng = SplitMix64::new(seed ^ index.wrapping_mul(0xA076_1D64_78BD_642F));
    let (w, h) = (size.width as usize, size.height as usize);
    let mut pixels = vec![0u8; w * h * 3];
    match content {
        Content::Noise => fill_noise(&mut pixels, &mut rng),
        Content::Smooth => fill_gradient(&mut pixels, w, h, &mut rng),
        Content::Natural => fill_natural(&mut pixels, w, h, &mut rng),
    }
    Frame {
        width: size.width,
        height: size.height,
        channels: 3,
        pixels,
    }
}

fn fill_noise(pixels: &mut [u8], rng: &mut SplitMix64) {
    for chunk in pixels.chunks_mut(8) {
        let bytes = rng.next_u64().to_le_bytes();
        chunk.copy_from_slice(&bytes[..chunk.len()]);
    }
}

fn fill_gradient(pixels: &mut [u8], w: usize, h: usize, rng: &mut SplitMix64) {
    let phase = (rng.next_u64() % 256) as usize;
    for (y, row) in pixels.chunks_mut(w * 3).enumerate() {
        for (x, px) in row.chunks_mut(3).enumerate() {
            px[0] = ((x * 255 / w.max(1) + phase) % 256) as u8;
            px[1] = (y * 255 / h.max(1)) as u8;
            px[2] = (((x + y) * 255 / (w + h).max(1) + 255 - phase) % 256) as u8;
        }
    }
}

/// A lattice of random values, bilinearly interpolated: value noise at one
/// scale. Several scales summed look like soft structure with fine detail.
struct ValueNoise {
    cell: usize,
    cols: usize,
    values: Vec<f32>,
}

impl ValueNoise {
    fn new(w: usize, h: usize, cell: usize, rng: &mut SplitMix64) -> Self {
        let cols = w / cell + 2;
        let rows = h / cell + 2;
        let values = (0..cols * rows)
            .map(|_| (rng.next_u64() >> 40) as f32 / (1u64 << 24) as f32 - 0.5)
            .collect();
        ValueNoise { cell, cols, values }
    }

    fn at(&self, x: usize, y: usize) -> f32 {
        let (cx, cy) = (x / self.cell, y / self.cell);
        let fx = (x % self.cell) as f32 / self.cell as f32;
        let fy = (y % self.cell) as f32 / self.cell as f32;
        let v = |cx: usize, cy: usize| self.values[cy * self.cols + cx];
        let top = v(cx, cy) * (1.0 - fx) + v(cx + 1, cy) * fx;
        let bottom = v(cx, cy + 1) * (1.0 - fx) + v(cx + 1, cy + 1) * fx;
        top * (1.0 - fy) + bottom * fy
    }
}

/// Broad colour regions, mid-scale texture and a little sensor grain: the
/// mix that gives photograph-like JPEG sizes (about 1-3 bits per pixel at
/// quality 90) without shipping any photograph.
fn fill_natural(pixels: &mut [u8], w: usize, h: usize, rng: &mut SplitMix64) {
    let colour: Vec<ValueNoise> = (0..3).map(|_| ValueNoise::new(w, h, 192, rng)).collect();
    let detail = [
        (ValueNoise::new(w, h, 48, rng), 70.0f32),
        (ValueNoise::new(w, h, 12, rng), 40.0),
        (ValueNoise::new(w, h, 3, rng), 22.0),
    ];
    let mut grain = SplitMix64::new(rng.next_u64());
    for y in 0..h {
        let row = &mut pixels[y * w * 3..(y + 1) * w * 3];
        for x in 0..w {
            let luma: f32 = detail.iter().map(|(n, amp)| n.at(x, y) * amp).sum();
            let noise = (grain.next_u64() % 9) as f32 - 4.0;
            for (c, layer) in colour.iter().enumerate() {
                let value = 128.0 + layer.at(x, y) * 150.0 + luma + noise;
                row[x * 3 + c] = value.clamp(0.0, 255.0) as u8;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_pixels_and_index_changes_them() {
        let size = Size {
            height: 16,
            width: 24,
        };
        for content in [Content::Noise, Content::Smooth, Content::Natural] {
            let a = generate(content, size, 7, 0);
            let b = generate(content, size, 7, 0);
            assert_eq!(a.pixels, b.pixels, "{content:?}");
            assert_eq!(a.pixels.len(), 16 * 24 * 3);
        }
        let a = generate(Content::Noise, size, 7, 0);
        let c = generate(Content::Noise, size, 7, 1);
        assert_ne!(a.pixels, c.pixels);
    }
}
