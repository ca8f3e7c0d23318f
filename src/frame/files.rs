//! Frames from real image files (`--images DIR`): every file decoded whole
//! when the folder is opened (a truncated JPEG or a broken PNG is refused
//! naming its path, or skipped and counted with `--skip-bad-images`), then
//! scaled to cover the wanted size and centre-cropped, so every scenario
//! still sends its exact size.

use super::{Frame, Size};
use anyhow::{bail, Context, Result};
use image::imageops::FilterType;
use image::RgbImage;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// The most pixels an image file may hold (about 300 MB once decoded to
/// RGB); checked from its header, before decoding.
pub const MAX_FILE_PIXELS: u64 = 100_000_000;

/// What `--images` does with a file that does not decode.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BadImages {
    /// Stop before anything is sent, naming the file (the default).
    #[default]
    Refuse,
    /// Leave it out and count it (`--skip-bad-images`).
    Skip,
}

impl BadImages {
    /// `Skip` when `--skip-bad-images` was given, else `Refuse`.
    pub fn skip_if(skip: bool) -> Self {
        match skip {
            true => BadImages::Skip,
            false => BadImages::Refuse,
        }
    }
}

/// A folder of images and what to do with those that do not decode.
#[derive(Clone, Debug, PartialEq)]
pub struct ImageFolder {
    pub dir: PathBuf,
    pub bad: BadImages,
}

/// One image file as it was read: its name, bytes on disk and pixels.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct ImageFile {
    pub name: String,
    pub file_bytes: u64,
    pub width: u32,
    pub height: u32,
    /// File bits per pixel: how hard its own encoder compressed it.
    pub bits_per_pixel: f64,
}

impl std::fmt::Display for ImageFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {:.1} kB {}x{} (WxH) {:.2} bits/pixel",
            self.name,
            self.file_bytes as f64 / 1e3,
            self.width,
            self.height,
            self.bits_per_pixel
        )
    }
}

/// A file left out by `--skip-bad-images`, and why.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct SkippedFile {
    pub name: String,
    pub reason: String,
}

/// What a folder held: the files read (in name order) and those skipped;
/// the JSON report's `settings.image_files`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct ImageFiles {
    pub read: Vec<ImageFile>,
    pub skipped: Vec<SkippedFile>,
}

impl ImageFiles {
    /// The first `most` files as the header lists them (name, kB, pixels,
    /// bits per pixel), `; ` between, then how many more there are.
    pub fn listing(&self, most: usize) -> String {
        let mut listed: Vec<String> = self.read.iter().take(most).map(|f| f.to_string()).collect();
        if self.read.len() > most {
            listed.push(format!("and {} more", self.read.len() - most));
        }
        listed.join("; ")
    }

    /// The names of the skipped files with their reasons, `; ` between.
    pub fn skipped_names(&self) -> String {
        let named: Vec<String> = self
            .skipped
            .iter()
            .map(|s| format!("{}: {}", s.name, s.reason))
            .collect();
        named.join("; ")
    }
}

/// The decodable images of a folder, in name order, with those skipped.
pub struct FileFrames {
    paths: Vec<PathBuf>,
    pub listing: ImageFiles,
}

impl FileFrames {
    /// Lists the folder's .jpg/.jpeg/.png files and decodes each whole.
    pub fn open(folder: &ImageFolder) -> Result<Self> {
        let dir = &folder.dir;
        let mut frames = FileFrames {
            paths: Vec::new(),
            listing: ImageFiles::default(),
        };
        for path in image_paths(dir)? {
            match read_file(&path) {
                Ok(file) => {
                    frames.paths.push(path);
                    frames.listing.read.push(file);
                }
                Err(reason) if folder.bad == BadImages::Skip => {
                    frames.listing.skipped.push(SkippedFile {
                        name: file_name(&path),
                        reason,
                    })
                }
                Err(reason) => bail!(
                    "--images: image file '{}' {reason}; remove the file, or pass \
                     --skip-bad-images to leave out every file that does not decode",
                    path.display()
                ),
            }
        }
        if frames.paths.is_empty() {
            bail!(
                "--images folder '{}' holds no decodable .jpg, .jpeg or .png files{}",
                dir.display(),
                match frames.listing.skipped.len() {
                    0 => String::new(),
                    n => format!(" ({n} skipped: {})", frames.listing.skipped_names()),
                }
            );
        }
        Ok(frames)
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
        let bytes = std::fs::read(path)
            .with_context(|| format!("could not read image file '{}'", path.display()))?;
        let img = decode(&bytes)
            .map_err(|reason| anyhow::anyhow!("image file '{}' {reason}", path.display()))?;
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

/// The .jpg/.jpeg/.png files of `dir` (any case), sorted by name.
fn image_paths(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("could not read --images folder '{}'", dir.display()))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "jpg" | "jpeg" | "png"))
        })
        .collect();
    paths.sort();
    if paths.is_empty() {
        bail!(
            "--images folder '{}' holds no .jpg, .jpeg or .png files",
            dir.display()
        );
    }
    Ok(paths)
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into(),
    )
}

/// Reads and decodes one file whole: what it is, or why it is unusable
/// (`does not decode (...)`, said after its path or name).
fn read_file(path: &Path) -> Result<ImageFile, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("could not be read ({e})"))?;
    let image = decode(&bytes)?;
    let pixels = u64::from(image.width()) * u64::from(image.height());
    Ok(ImageFile {
        name: file_name(path),
        file_bytes: bytes.len() as u64,
        width: image.width(),
        height: image.height(),
        bits_per_pixel: bytes.len() as f64 * 8.0 / pixels.max(1) as f64,
    })
}

/// Decodes a file's bytes to RGB, strictly: a JPEG through libjpeg-turbo,
/// which fails on a stream that ends early or is corrupt (image-rs fills
/// the missing part with grey and says nothing), anything else through
/// image-rs. Too many pixels are refused before decoding.
fn decode(bytes: &[u8]) -> Result<RgbImage, String> {
    let format = image::guess_format(bytes).map_err(|e| format!("does not decode ({e})"))?;
    if format == image::ImageFormat::Jpeg {
        return decode_jpeg(bytes).map_err(|e| format!("does not decode (JPEG: {e})"));
    }
    let bad = |e: image::ImageError| format!("does not decode ({e})");
    let reader = image::ImageReader::with_format(std::io::Cursor::new(bytes), format);
    let decoder = reader.into_decoder().map_err(bad)?;
    let (width, height) = image::ImageDecoder::dimensions(&decoder);
    check_pixels(u64::from(width) * u64::from(height))?;
    let image = image::DynamicImage::from_decoder(decoder).map_err(bad)?;
    Ok(image.to_rgb8())
}

fn decode_jpeg(bytes: &[u8]) -> Result<RgbImage, String> {
    let mut decompressor = turbojpeg::Decompressor::new().map_err(|e| e.to_string())?;
    let header = decompressor
        .read_header(bytes)
        .map_err(|e| format!("its header does not read: {e}"))?;
    let (width, height) = (header.width, header.height);
    check_pixels(width as u64 * height as u64)?;
    let mut pixels = vec![0u8; width * height * 3];
    let output = turbojpeg::Image {
        pixels: pixels.as_mut_slice(),
        width,
        pitch: width * 3,
        height,
        format: turbojpeg::PixelFormat::RGB,
    };
    decompressor
        .decompress(bytes, output)
        .map_err(|e| e.to_string())?;
    RgbImage::from_raw(width as u32, height as u32, pixels)
        .ok_or_else(|| "decoded to an unexpected buffer size".into())
}

fn check_pixels(pixels: u64) -> Result<(), String> {
    if pixels > MAX_FILE_PIXELS {
        return Err(format!(
            "holds {:.0} megapixels, more than the {} an --images file may (scale it down first)",
            pixels as f64 / 1e6,
            MAX_FILE_PIXELS / 1_000_000
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 96x64 (WxH) picture with structure, so its JPEG has many scans' worth of data.
    fn picture() -> RgbImage {
        RgbImage::from_fn(96, 64, |x, y| {
            image::Rgb([
                (x * 7 % 256) as u8,
                (y * 13 % 256) as u8,
                ((x ^ y) * 5 % 256) as u8,
            ])
        })
    }

    fn jpeg() -> Vec<u8> {
        let mut bytes = Vec::new();
        let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 90);
        picture().write_with_encoder(encoder).unwrap();
        bytes
    }

    fn png() -> Vec<u8> {
        let mut bytes = std::io::Cursor::new(Vec::new());
        picture()
            .write_to(&mut bytes, image::ImageFormat::Png)
            .unwrap();
        bytes.into_inner()
    }

    fn make_folder(files: &[(&str, &[u8])], bad: BadImages) -> (tempfile::TempDir, ImageFolder) {
        let dir = tempfile::tempdir().unwrap();
        for (name, bytes) in files {
            std::fs::write(dir.path().join(name), bytes).unwrap();
        }
        let folder = ImageFolder {
            dir: dir.path().to_path_buf(),
            bad,
        };
        (dir, folder)
    }

    #[test]
    fn every_file_is_read_with_its_bytes_pixels_and_bits_per_pixel() {
        let (jpeg, png) = (jpeg(), png());
        let (_dir, folder) = make_folder(&[("a.jpg", &jpeg), ("b.png", &png)], BadImages::Refuse);
        let frames = FileFrames::open(&folder).unwrap();
        assert_eq!(frames.len(), 2);
        let a = &frames.listing.read[0];
        assert_eq!((a.name.as_str(), a.width, a.height), ("a.jpg", 96, 64));
        assert_eq!(a.file_bytes, jpeg.len() as u64);
        let bits = jpeg.len() as f64 * 8.0 / (96.0 * 64.0);
        assert!((a.bits_per_pixel - bits).abs() < 1e-9, "{a:?}");
        assert!(a.to_string().starts_with("a.jpg "), "{a}");
        assert!(a.to_string().contains("96x64 (WxH)"), "{a}");
        let frame = frames
            .load(
                1,
                Size {
                    height: 30,
                    width: 40,
                },
            )
            .unwrap();
        assert_eq!(frame.pixels.len(), 30 * 40 * 3);
    }

    /// Each way a file can be broken: a JPEG cut short (image-rs decodes
    /// one with grey where the data stopped, and says nothing), a PNG cut
    /// short, a PNG with a changed byte (its CRC no longer matches), and
    /// a file that is no image at all.
    fn broken_files() -> Vec<(&'static str, Vec<u8>)> {
        let (jpeg, png) = (jpeg(), png());
        let mut flipped = png.clone();
        let middle = flipped.len() / 2;
        flipped[middle] ^= 0x55;
        vec![
            ("cut.jpg", jpeg[..jpeg.len() / 2].to_vec()),
            ("cut.png", png[..png.len() * 2 / 3].to_vec()),
            ("flipped.png", flipped),
            ("text.jpg", b"not an image".to_vec()),
        ]
    }

    #[test]
    fn a_file_that_does_not_decode_is_refused_naming_its_path() {
        for (name, bytes) in broken_files() {
            let good = jpeg();
            let files = [("a-good.jpg", good.as_slice()), (name, bytes.as_slice())];
            let (_dir, folder) = make_folder(&files, BadImages::Refuse);
            let error = format!("{:#}", FileFrames::open(&folder).err().unwrap());
            let path = folder.dir.join(name).display().to_string();
            assert!(error.contains(&path), "{name}: {error}");
            assert!(error.contains("does not decode"), "{name}: {error}");
            assert!(error.contains("--skip-bad-images"), "{name}: {error}");
        }
    }

    #[test]
    fn skipping_leaves_bad_files_out_and_counts_them() {
        let broken = broken_files();
        let good = jpeg();
        let mut files: Vec<(&str, &[u8])> = vec![("a-good.jpg", &good)];
        files.extend(broken.iter().map(|(n, b)| (*n, b.as_slice())));
        let (_dir, folder) = make_folder(&files, BadImages::Skip);
        let frames = FileFrames::open(&folder).unwrap();
        assert_eq!(frames.len(), 1);
        let skipped: Vec<&str> = frames
            .listing
            .skipped
            .iter()
            .map(|s| s.name.as_str())
            .collect();
        assert_eq!(skipped, ["cut.jpg", "cut.png", "flipped.png", "text.jpg"]);
        // Nothing decodable at all is still an error, naming the skipped.
        let only_bad: Vec<(&str, &[u8])> = files[1..].to_vec();
        let (_dir, folder) = make_folder(&only_bad, BadImages::Skip);
        let error = format!("{:#}", FileFrames::open(&folder).err().unwrap());
        assert!(error.contains("4 skipped: cut.jpg"), "{error}");
    }
}
