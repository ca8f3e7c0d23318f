//! Raw RGB frames: what they are and where they come from (procedural
//! patterns here, image files in `files`).

mod files;
mod patterns;

pub use files::FileFrames;
pub use patterns::generate;

use clap::ValueEnum;
use serde::Serialize;

/// An interleaved 8-bit frame, row-major, no padding.
#[derive(Clone, Debug)]
pub struct Frame {
    pub width: u32,
    pub height: u32,
    pub channels: u32,
    pub pixels: Vec<u8>,
}

impl Frame {
    pub fn len_bytes(&self) -> usize {
        self.pixels.len()
    }
}

/// A frame size, written as the seed post does: height x width.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Size {
    pub height: u32,
    pub width: u32,
}

impl Size {
    pub fn pixels(self) -> u64 {
        u64::from(self.height) * u64::from(self.width)
    }
}

impl std::fmt::Display for Size {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}x{}", self.height, self.width)
    }
}

impl std::str::FromStr for Size {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || format!("'{text}' is not a size: write HEIGHTxWIDTH, for example 1080x1920");
        let (h, w) = text.trim().split_once(['x', 'X']).ok_or_else(bad)?;
        let height: u32 = h.parse().map_err(|_| bad())?;
        let width: u32 = w.parse().map_err(|_| bad())?;
        const MAX_SIDE: u32 = 16384;
        if height == 0 || width == 0 || height > MAX_SIDE || width > MAX_SIDE {
            return Err(format!(
                "'{text}': each side must be between 1 and {MAX_SIDE} pixels"
            ));
        }
        Ok(Size { height, width })
    }
}

/// What the generated pixels look like, which decides how well they compress.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Content {
    /// Uniform noise: the worst case for JPEG (what simple benchmarks send).
    Noise,
    /// A smooth gradient: the best case.
    Smooth,
    /// A procedural texture that compresses like a photograph (1-3 bits per pixel at quality 90).
    Natural,
}

impl Content {
    pub fn name(self) -> &'static str {
        match self {
            Content::Noise => "noise",
            Content::Smooth => "smooth",
            Content::Natural => "natural",
        }
    }
}
