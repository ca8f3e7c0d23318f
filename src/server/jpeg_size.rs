//! The size a JPEG declares in its frame header (SOFn), read by walking the
//! marker segments without decoding anything: the server refuses a JPEG
//! over `--max-pixels` before any decoder allocates for it, and the v2
//! model answers [height, width] even with `--server-decoder none`.

/// What a JPEG's frame header declares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JpegSize {
    pub width: u16,
    pub height: u16,
    /// Colour components (3 for YCbCr, 1 for greyscale).
    pub components: u8,
}

/// Why no size could be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum JpegSizeError {
    #[error("it does not start with a JPEG's FF D8")]
    NotJpeg,
    #[error("it ends (after {0} bytes) before a frame header (SOFn) says its size")]
    Truncated(usize),
    #[error("byte {0} should start a marker (FF) but does not")]
    NoMarker(usize),
    #[error("its scan (or its end) comes before any frame header (SOFn)")]
    NoFrameHeader,
    #[error("its frame header declares a size of 0")]
    ZeroSize,
}

/// Reads the size from the first frame header.
pub fn read(jpeg: &[u8]) -> Result<JpegSize, JpegSizeError> {
    if !jpeg.starts_with(&[0xFF, 0xD8]) {
        return Err(JpegSizeError::NotJpeg);
    }
    let byte = |at: usize| {
        jpeg.get(at)
            .copied()
            .ok_or(JpegSizeError::Truncated(jpeg.len()))
    };
    let word = |at: usize| Ok::<_, JpegSizeError>(u16::from_be_bytes([byte(at)?, byte(at + 1)?]));
    let mut at = 2;
    loop {
        if byte(at)? != 0xFF {
            return Err(JpegSizeError::NoMarker(at));
        }
        while byte(at)? == 0xFF {
            at += 1; // fill bytes before the marker code
        }
        let marker = byte(at)?;
        at += 1;
        match marker {
            // Markers that stand alone, without a length.
            0x01 | 0xD0..=0xD8 => continue,
            0xD9 | 0xDA => return Err(JpegSizeError::NoFrameHeader),
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                // Length (2), precision (1), height (2), width (2), components (1).
                let size = JpegSize {
                    height: word(at + 3)?,
                    width: word(at + 5)?,
                    components: byte(at + 7)?,
                };
                if size.width == 0 || size.height == 0 {
                    return Err(JpegSizeError::ZeroSize);
                }
                return Ok(size);
            }
            _ => at += usize::from(word(at)?),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg(height: usize, width: usize) -> Vec<u8> {
        let frame = crate::frame::generate(
            crate::frame::Content::Smooth,
            format!("{height}x{width}").parse().unwrap(),
            1,
            0,
        );
        let mut compressor = turbojpeg::Compressor::new().unwrap();
        compressor
            .compress_to_vec(turbojpeg::Image {
                pixels: frame.pixels.as_slice(),
                width,
                pitch: width * 3,
                height,
                format: turbojpeg::PixelFormat::RGB,
            })
            .unwrap()
    }

    #[test]
    fn reads_the_size_turbojpeg_wrote() {
        let size = read(&jpeg(24, 40)).unwrap();
        assert_eq!(
            size,
            JpegSize {
                width: 40,
                height: 24,
                components: 3
            }
        );
    }

    #[test]
    fn refuses_what_is_not_a_whole_jpeg_header() {
        let whole = jpeg(8, 16);
        assert_eq!(read(b"GIF89a"), Err(JpegSizeError::NotJpeg));
        assert_eq!(read(&whole[..20]), Err(JpegSizeError::Truncated(20)));
        assert_eq!(read(b"\xFF\xD8\x00"), Err(JpegSizeError::NoMarker(2)));
        assert_eq!(read(b"\xFF\xD8\xFF\xD9"), Err(JpegSizeError::NoFrameHeader));
        assert_eq!(read(b"\xFF\xD8"), Err(JpegSizeError::Truncated(2)));
    }
}
