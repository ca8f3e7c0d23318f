//! The size a JPEG declares in its frame header (SOFn), read by walking the
//! marker segments without decoding anything: the server refuses a JPEG
//! over `--max-pixels` before any decoder allocates for it, and the v2
//! model answers [height, width] even with `--server-decoder none`. The
//! same walk counts a JPEG's scans (SOS), so one with more than the
//! decoder may spend time on is refused before it runs.

/// What a JPEG's frame header declares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JpegSize {
    pub width: u16,
    pub height: u16,
    /// Colour components (3 for YCbCr, 1 for greyscale).
    pub components: u8,
    /// A progressive frame (SOF2, SOF6, SOF10, SOF14): its scans may be
    /// many, each over the whole image. A sequential frame has at most one
    /// scan per component.
    pub progressive: bool,
    /// Arithmetic entropy coding (SOF9 to SOF11, SOF13 to SOF15): decoded
    /// about four times slower than Huffman coding, byte for byte.
    pub arithmetic: bool,
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
                    progressive: matches!(marker, 0xC2 | 0xC6 | 0xCA | 0xCE),
                    arithmetic: marker >= 0xC9,
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

/// How many scans (SOS markers) the JPEG holds, counting until EOI or its
/// end, and stopping once past `stop_after` (a hostile file may hold
/// millions). Entropy-coded data is skipped byte by byte up to the next
/// marker (FF not followed by 00 or an RSTn), so this costs one pass over
/// the bytes and allocates nothing. A stream it cannot walk ends the count
/// where the walk stops: the decoder then says what is wrong.
pub fn count_scans(jpeg: &[u8], stop_after: u32) -> u32 {
    let mut scans = 0;
    let mut at = 2;
    while scans <= stop_after {
        let Some(marker) = next_marker(jpeg, at) else {
            break;
        };
        at = marker.0 + 1;
        let length = || {
            Some(usize::from(u16::from_be_bytes([
                *jpeg.get(at)?,
                *jpeg.get(at + 1)?,
            ])))
        };
        match marker.1 {
            0x01 | 0xD0..=0xD8 => {}
            0xD9 => break,
            0xDA => {
                scans += 1;
                let Some(length) = length() else { break };
                at = skip_entropy_data(jpeg, at + length);
            }
            _ => match length() {
                Some(length) => at += length,
                None => break,
            },
        }
    }
    scans
}

/// The first 0xFF in `bytes`, eight bytes at a time (a word with no 0xFF
/// byte is passed over whole), so a walk over megabytes of entropy-coded
/// data costs well under a millisecond.
fn find_ff(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let mut words = bytes.chunks_exact(8);
    let mut at = 0;
    for word in words.by_ref() {
        // A byte of `flipped` is 0 exactly where the byte was 0xFF.
        let flipped = !u64::from_le_bytes(word.try_into().unwrap_or_default());
        if flipped.wrapping_sub(ONES) & !flipped & HIGHS != 0 {
            break;
        }
        at += 8;
    }
    bytes[at..]
        .iter()
        .position(|b| *b == 0xFF)
        .map(|offset| at + offset)
}

/// The next marker at or after `at` (fill bytes skipped): its code's
/// offset and the code.
fn next_marker(jpeg: &[u8], at: usize) -> Option<(usize, u8)> {
    let mut at = at;
    if *jpeg.get(at)? != 0xFF {
        return None;
    }
    while *jpeg.get(at)? == 0xFF {
        at += 1;
    }
    Some((at, jpeg[at]))
}

/// Where the marker after a scan's entropy-coded data starts (its FF).
fn skip_entropy_data(jpeg: &[u8], from: usize) -> usize {
    let mut at = from;
    while let Some(offset) = jpeg.get(at..).and_then(find_ff) {
        at += offset;
        match jpeg.get(at + 1) {
            Some(0x00 | 0xD0..=0xD7 | 0xFF) => at += 1,
            _ => return at,
        }
    }
    jpeg.len()
}

/// A JPEG turbojpeg made of a generated `content` frame of `height` x
/// `width` (progressive if asked), for the server's unit tests.
#[cfg(test)]
pub(crate) fn test_jpeg(
    content: crate::frame::Content,
    (height, width): (usize, usize),
    progressive: bool,
) -> Vec<u8> {
    coded_test_jpeg(content, (height, width), progressive, false)
}

/// [`test_jpeg`], arithmetic coded if asked.
#[cfg(test)]
pub(crate) fn coded_test_jpeg(
    content: crate::frame::Content,
    (height, width): (usize, usize),
    progressive: bool,
    arithmetic: bool,
) -> Vec<u8> {
    let size = format!("{height}x{width}").parse().unwrap();
    let frame = crate::frame::generate(content, size, 1, 0);
    let mut compressor = turbojpeg::Compressor::new().unwrap();
    compressor.set_progressive(progressive).unwrap();
    compressor.set_arithmetic(arithmetic).unwrap();
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

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg(height: usize, width: usize) -> Vec<u8> {
        test_jpeg(crate::frame::Content::Smooth, (height, width), false)
    }

    #[test]
    fn reads_the_size_turbojpeg_wrote() {
        let size = read(&jpeg(24, 40)).unwrap();
        assert_eq!(
            size,
            JpegSize {
                width: 40,
                height: 24,
                components: 3,
                progressive: false,
                arithmetic: false,
            }
        );
    }

    #[test]
    fn counts_the_scans_a_progressive_encoder_wrote() {
        let baseline = jpeg(16, 16);
        assert_eq!(count_scans(&baseline, 100), 1);
        let progressive = test_jpeg(crate::frame::Content::Noise, (16, 16), true);
        // libjpeg's progression for YCbCr: 10 scans.
        assert_eq!(count_scans(&progressive, 100), 10);
        assert_eq!(count_scans(&progressive, 3), 4, "stops once past the limit");
        assert!(
            count_scans(&progressive[..200], 100) < 10,
            "a cut stream ends the count"
        );
        assert_eq!(count_scans(b"\xFF\xD8", 10), 0);
        assert!(read(&progressive).unwrap().progressive);
        assert!(!read(&baseline).unwrap().progressive);
    }

    #[test]
    fn finds_the_first_ff_wherever_it_is() {
        for len in 0..40 {
            for at in 0..len {
                let mut bytes = vec![0x7Fu8; len];
                bytes[at] = 0xFF;
                bytes[len - 1] = if at == len - 1 { 0xFF } else { 0xFE };
                assert_eq!(find_ff(&bytes), Some(at), "{len} {at}");
            }
            assert_eq!(find_ff(&vec![0u8; len]), None);
        }
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
