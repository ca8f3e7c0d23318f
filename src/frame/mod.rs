//! Raw RGB frames: what they are and where they come from (procedural
//! patterns here, image files in `files`).

mod files;
mod patterns;

pub use files::{BadImages, FileFrames, ImageFile, ImageFiles, ImageFolder, SkippedFile};
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

    /// A warning when the frame is portrait (taller than wide): the seed's
    /// sizes are HEIGHTxWIDTH, so `1920x1080` is most likely a slip.
    pub fn portrait_warning(self) -> Option<String> {
        (self.height > self.width).then(|| {
            format!(
                "portrait {self}: the seed's sizes are HEIGHTxWIDTH, did you mean {}x{}?",
                self.width, self.height
            )
        })
    }
}

impl std::fmt::Display for Size {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}x{}", self.height, self.width)
    }
}

/// Video heights people name a 16:9 frame by, with its width.
const NAMED_SIZES: [(&str, u32, u32); 8] = [
    ("240p", 240, 426),
    ("360p", 360, 640),
    ("480p", 480, 854),
    ("720p", 720, 1280),
    ("1080p", 1080, 1920),
    ("1440p", 1440, 2560),
    ("2160p", 2160, 3840),
    ("4k", 2160, 3840),
];

impl std::str::FromStr for Size {
    type Err = String;

    /// `HEIGHTxWIDTH` (`1080x1920`), or a video name: 240p, 360p, 480p,
    /// 720p, 1080p, 1440p, 2160p or 4k (16:9, landscape).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let lower = text.trim().to_ascii_lowercase();
        if let Some(&(_, height, width)) = NAMED_SIZES.iter().find(|(name, ..)| *name == lower) {
            return Ok(Size { height, width });
        }
        let bad = || {
            format!(
                "'{text}' is not a size: write HEIGHTxWIDTH, for example 1080x1920, or one of \
                 240p, 360p, 480p, 720p, 1080p, 1440p, 2160p, 4k"
            )
        };
        let (h, w) = lower.split_once('x').ok_or_else(bad)?;
        let height: u32 = h.trim().parse().map_err(|_| bad())?;
        let width: u32 = w.trim().parse().map_err(|_| bad())?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn size(text: &str) -> Result<Size, String> {
        text.parse()
    }

    #[test]
    fn sizes_take_height_x_width_and_video_names() {
        let landscape = |height, width| Ok(Size { height, width });
        assert_eq!(size("1080x1920"), landscape(1080, 1920));
        assert_eq!(size("720X1280"), landscape(720, 1280));
        assert_eq!(size("1080p"), landscape(1080, 1920));
        assert_eq!(size("720p"), landscape(720, 1280));
        assert_eq!(size("360P"), landscape(360, 640));
        assert_eq!(size("4K"), landscape(2160, 3840));
        assert_eq!(size("2160p"), size("4k"));
        for bad in ["1080by1920", "1080i", "p", "x"] {
            let err = size(bad).unwrap_err();
            assert!(
                err.contains("HEIGHTxWIDTH") && err.contains("1080p"),
                "{err}"
            );
        }
        assert!(size("0x10").unwrap_err().contains("between 1 and"));
    }

    #[test]
    fn a_portrait_size_is_warned_about_with_the_swap() {
        let warning = size("1920x1080").unwrap().portrait_warning().unwrap();
        assert_eq!(
            warning,
            "portrait 1920x1080: the seed's sizes are HEIGHTxWIDTH, did you mean 1080x1920?"
        );
        for quiet in ["1080x1920", "1080p", "64x64"] {
            assert_eq!(size(quiet).unwrap().portrait_warning(), None, "{quiet}");
        }
    }
}
