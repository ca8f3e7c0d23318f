//! Frames from real image files (`--images DIR`), scaled to cover the wanted
//! size and centre-cropped, so every scenario still sends its exact size.

use super::{Frame, Size};
use anyhow::{bail, Context, Result};
use image::imageops::FilterType;
use std::path::{Path, PathBuf};

/// The readable images of a folder, in name order.
pub struct FileFrames {
    paths: Vec<PathBuf>,
}

impl FileFrames {
    pub fn open(dir: &Path) -> Result<Self> {
        let entries = std::fs::read_dir(dir)
            .with_context(|| format!("could not read --images folder '{}'", dir.display()))?;
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                    matches!(e.to_ascii_lowercase().as_str(), "jpg" | "jpeg" | "png")
                })
            })
            .collect();
        paths.sort();
        if paths.is_empty() {
            bail!(
                "--images folder '{}' holds no .jpg, .jpeg or .png files",
                dir.display()
            );
        }
        Ok(FileFrames { paths })
    }

    pub fn len(&self) -> usize {
        self.paths.len()
    }

    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }

    /// Reads image `index` (modulo the count) and fits it to `size`.
    pub fn load(&self, index: usize, size: Size) -> Result<Frame> {
        let path = &self.paths[index % self.paths.len()];
        let img = image::open(path)
            .with_context(|| format!("could not decode image file '{}'", path.display()))?
            .to_rgb8();
        let (w, h) = (size.width, size.height);
        let scale = f64::max(
            f64::from(w) / f64::from(img.width()),
            f64::from(h) / f64::from(img.height()),
        );
        let sw = ((f64::from(img.width()) * scale).ceil() as u32).max(w);
        let sh = ((f64::from(img.height()) * scale).ceil() as u32).max(h);
        let scaled = image::imageops::resize(&img, sw, sh, FilterType::Triangle);
        let cropped =
            image::imageops::crop_imm(&scaled, (sw - w) / 2, (sh - h) / 2, w, h).to_image();
        Ok(Frame {
            width: w,
            height: h,
            channels: 3,
            pixels: cropped.into_raw(),
        })
    }
}
