//! What an image may declare before the server does any work for it: a
//! channel count its format allows, and no more pixels than `--max-pixels`
//! (from the request's declared size and from a JPEG's own frame header),
//! every size computed with checked arithmetic, all before any decoder
//! allocates a pixel buffer; and no more decoder work (pixels x scans)
//! than `--max-scans` and `--max-scan-pixels` allow, and no arithmetic
//! coding unless `--allow-arithmetic-jpeg`.

use super::jpeg_size;
use super::refusal::RequestError;
use crate::wire::{ImageFormat, ImageMeta};
use serde::Serialize;

/// How much work one JPEG may ask of the decoder. libjpeg-turbo cannot be
/// stopped once it decodes, so the work is bounded before it starts: a
/// progressive JPEG's every scan passes over the whole image's
/// coefficients, so its cost grows as pixels x scans.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct DecodeLimits {
    /// Most scans a JPEG may hold (`--max-scans`).
    pub max_scans: u32,
    /// Most width x height x scans (`--max-scan-pixels`).
    pub max_scan_pixels: u64,
    /// Whether arithmetic-coded JPEGs are decoded (`--allow-arithmetic-jpeg`):
    /// byte for byte they cost about four times a Huffman-coded one's
    /// decode, so a body of `--max-message-mb` (64 MiB) could hold a slot
    /// for about 9 s instead of 2.5 s (docs/hardening.md).
    pub arithmetic: bool,
}

/// `--max-scans`' default: libjpeg-turbo's own tools (djpeg, tjbench)
/// refuse more than 500 scans when told to limit them. libjpeg's standard
/// progression writes 10 scans (6 for greyscale).
pub const DEFAULT_MAX_SCANS: u32 = 500;

/// `--max-scan-pixels`' default: 20 scans of a 50 MP image (twice libjpeg's
/// progression at `--max-pixels`' default); 1080p may have every one of
/// the 500 scans. Measured on the 2-core build machine, the 20 costliest
/// scans a 50 MP colour JPEG may hold add about 0.2 to 0.3 s to its plain
/// decode (docs/hardening.md, "How a decode's time is bounded").
pub const DEFAULT_MAX_SCAN_PIXELS: u64 = 1_000_000_000;

impl Default for DecodeLimits {
    fn default() -> Self {
        DecodeLimits {
            max_scans: DEFAULT_MAX_SCANS,
            max_scan_pixels: DEFAULT_MAX_SCAN_PIXELS,
            arithmetic: false,
        }
    }
}

impl DecodeLimits {
    /// The most scans an image of `pixels` may hold: `--max-scans`, or
    /// fewer where `--max-scan-pixels` says so (at least one).
    pub fn scans_for(&self, pixels: u64) -> u32 {
        let by_work = self.max_scan_pixels / pixels.max(1);
        u32::try_from(by_work)
            .unwrap_or(u32::MAX)
            .clamp(1, self.max_scans.max(1))
    }
}

/// Refuses an arithmetic-coded JPEG unless `limits` allow it, and a
/// progressive JPEG with more scans than `limits` allow its size, counting
/// them without decoding (one pass over its bytes, before it waits for a
/// decode slot). A sequential JPEG (at most one scan per component) and one
/// whose header cannot be read pass: the decoder, which enforces the same
/// scan limit, says what is wrong.
pub fn check_scans(jpeg: &[u8], limits: &DecodeLimits) -> Result<(), RequestError> {
    let Ok(size) = jpeg_size::read(jpeg) else {
        return Ok(());
    };
    if size.arithmetic && !limits.arithmetic {
        return Err(RequestError::UnsupportedMediaType(
            "the JPEG is arithmetic coded, which decodes about four times slower than Huffman \
             coding; the server refuses it unless started with --allow-arithmetic-jpeg"
                .into(),
        ));
    }
    if !size.progressive {
        return Ok(());
    }
    let (width, height) = (u64::from(size.width), u64::from(size.height));
    let allowed = limits.scans_for(width * height);
    let scans = jpeg_size::count_scans(jpeg, allowed);
    if scans <= allowed {
        return Ok(());
    }
    let why = if allowed < limits.max_scans {
        format!(
            "{width}x{height} x {allowed} scans is the most within the server's limit of {} pixel-scans (raise it with --max-scan-pixels)",
            limits.max_scan_pixels
        )
    } else {
        format!(
            "the server's limit is {} scans (raise it with --max-scans)",
            limits.max_scans
        )
    };
    Err(RequestError::TooManyScans(format!(
        "the JPEG holds more than {allowed} scans (a progressive JPEG decodes its whole image once per scan): {why}"
    )))
}

/// `--max-pixels`' default: 50 million pixels (8K UHD is 33 million; a
/// decoded 50 MP RGB image is 150 MB), so one request cannot make the
/// server allocate gigabytes.
pub const DEFAULT_MAX_PIXELS: u64 = 50_000_000;

/// The channel counts each format may declare: the JPEG decoder makes
/// greyscale or RGB; raw pixels may also be RGBA.
fn allowed_channels(format: ImageFormat) -> &'static [u32] {
    match format {
        ImageFormat::Jpeg => &[1, 3],
        ImageFormat::Raw => &[1, 3, 4],
    }
}

/// Refuses a channel count the image's format does not allow; `field`
/// names where the request declared it (a header, a protobuf field).
pub fn check_channels(meta: &ImageMeta, field: &str) -> Result<(), RequestError> {
    let allowed = allowed_channels(meta.format);
    if allowed.contains(&meta.channels) {
        return Ok(());
    }
    Err(RequestError::Malformed(format!(
        "{field} is {} but a {} image has {} channels",
        meta.channels,
        meta.format.name(),
        allowed
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(" or ")
    )))
}

/// Refuses a size over `max_pixels`; `what` says whose size it is.
fn check_pixels(width: u64, height: u64, max_pixels: u64, what: &str) -> Result<(), RequestError> {
    let pixels = width.checked_mul(height);
    if pixels.is_some_and(|p| p <= max_pixels) {
        return Ok(());
    }
    Err(RequestError::TooManyPixels(format!(
        "{what} {width}x{height} (width x height) is over the server's limit of {max_pixels} pixels (raise it with --max-pixels)"
    )))
}

/// Checks what the request declared, and for a JPEG the size its frame
/// header declares: both within `max_pixels`. A JPEG whose header cannot be
/// read is left to the decoder, which says why.
pub fn check_image(bytes: &[u8], meta: &ImageMeta, max_pixels: u64) -> Result<(), RequestError> {
    let (width, height) = (u64::from(meta.width), u64::from(meta.height));
    check_pixels(width, height, max_pixels, "the declared size")?;
    if meta.format == ImageFormat::Jpeg {
        if let Ok(size) = jpeg_size::read(bytes) {
            let (width, height) = (u64::from(size.width), u64::from(size.height));
            check_pixels(width, height, max_pixels, "the JPEG's frame header size")?;
        }
    }
    Ok(())
}

/// width x height x channels, the bytes a raw image needs, or a refusal
/// where that product does not fit in memory's addresses.
pub fn raw_len(meta: &ImageMeta) -> Result<usize, RequestError> {
    let dims = [meta.width, meta.height, meta.channels];
    dims.iter()
        .try_fold(1usize, |product, dim| {
            usize::try_from(*dim)
                .ok()
                .and_then(|dim| product.checked_mul(dim))
        })
        .ok_or_else(|| {
            RequestError::TooManyPixels(format!(
                "raw image {}x{}x{} (width x height x channels) is too large to compute its size (lower it below --max-pixels)",
                meta.width, meta.height, meta.channels
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_coding_is_refused_naming_the_flag_unless_allowed() {
        use crate::frame::Content;
        let arithmetic = jpeg_size::coded_test_jpeg(Content::Noise, (32, 48), false, true);
        let progressive = jpeg_size::coded_test_jpeg(Content::Noise, (32, 48), true, true);
        let huffman = jpeg_size::coded_test_jpeg(Content::Noise, (32, 48), true, false);
        let limits = DecodeLimits::default();
        for jpeg in [&arithmetic, &progressive] {
            let refusal = check_scans(jpeg, &limits).unwrap_err();
            assert_eq!(
                refusal.kind(),
                super::super::refusal::RefusalKind::UnsupportedMediaType
            );
            assert!(
                refusal.message().contains("--allow-arithmetic-jpeg"),
                "{refusal}"
            );
            let allowed = DecodeLimits {
                arithmetic: true,
                ..limits
            };
            assert!(check_scans(jpeg, &allowed).is_ok());
        }
        assert!(check_scans(&huffman, &limits).is_ok());
    }

    fn meta(width: u32, height: u32, channels: u32, format: ImageFormat) -> ImageMeta {
        ImageMeta {
            width,
            height,
            channels,
            format,
        }
    }

    /// SOI, then a baseline frame header declaring `width` x `height`.
    fn jpeg_header(width: u16, height: u16) -> Vec<u8> {
        let mut out = vec![0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x11, 0x08];
        out.extend_from_slice(&height.to_be_bytes());
        out.extend_from_slice(&width.to_be_bytes());
        out.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
        out
    }

    #[test]
    fn channels_are_checked_by_format() {
        assert!(check_channels(&meta(1, 1, 3, ImageFormat::Jpeg), "c").is_ok());
        assert!(check_channels(&meta(1, 1, 4, ImageFormat::Raw), "c").is_ok());
        let err = check_channels(&meta(1, 1, 0, ImageFormat::Jpeg), "x-image-channels");
        let text = err.unwrap_err().to_string();
        assert!(text.contains("x-image-channels is 0"), "{text}");
        assert!(text.contains("1 or 3"), "{text}");
        assert!(check_channels(&meta(1, 1, 99, ImageFormat::Raw), "c").is_err());
    }

    #[test]
    fn declared_and_header_sizes_are_held_to_the_limit() {
        let small = jpeg_header(100, 100);
        assert!(check_image(&small, &meta(100, 100, 3, ImageFormat::Jpeg), 10_000).is_ok());
        let err = check_image(&small, &meta(101, 100, 3, ImageFormat::Jpeg), 10_000);
        assert!(matches!(err, Err(RequestError::TooManyPixels(_))));
        let bomb = jpeg_header(60000, 60000);
        let err = check_image(&bomb, &meta(100, 100, 3, ImageFormat::Jpeg), 10_000)
            .unwrap_err()
            .to_string();
        assert!(err.contains("frame header size 60000x60000"), "{err}");
        assert!(err.contains("--max-pixels"), "{err}");
        let huge = meta(u32::MAX, u32::MAX, 3, ImageFormat::Raw);
        assert!(check_image(&[], &huge, DEFAULT_MAX_PIXELS).is_err());
    }

    #[test]
    fn raw_sizes_never_wrap() {
        assert_eq!(raw_len(&meta(4, 2, 3, ImageFormat::Raw)).unwrap(), 24);
        let wraps = meta(4194304, 4194304, 4194304, ImageFormat::Raw);
        assert!(matches!(
            raw_len(&wraps),
            Err(RequestError::TooManyPixels(_))
        ));
    }
}
