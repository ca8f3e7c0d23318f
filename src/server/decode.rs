//! `server.decode`: compressed bytes -> pixels with the decoder the server
//! was started with (`--server-decoder`), checked against the size the
//! client declared and held to the decode limits (`--max-scans`,
//! `--max-scan-pixels`; libjpeg-turbo stops on warnings that mean made-up
//! data). Each server thread keeps its own decoder.

use super::decode_limits::{raw_len, DecodeLimits};
use super::refusal::RequestError;
use super::turbo::{is_benign_warning, is_scan_limit, OnWarning, Turbo, TurboFailure};
use crate::gpu::{GpuContext, GpuUse, NvjpegDecoder};
use crate::wire::{ImageFormat, ImageMeta};
use clap::ValueEnum;
use serde::Serialize;
use std::cell::RefCell;

/// What the server does with the image bytes it received.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ServerDecoder {
    /// Decode with libjpeg-turbo and check the size against what the client declared.
    Turbojpeg,
    /// Only receive and deserialize, no decoding (as simple benchmark servers do).
    None,
    /// Decode with NVIDIA nvJPEG into GPU memory and check the size (needs a GPU, its driver and libnvjpeg at run time).
    Nvjpeg,
}

impl ServerDecoder {
    pub fn name(self) -> &'static str {
        match self {
            ServerDecoder::Turbojpeg => "turbojpeg",
            ServerDecoder::None => "none",
            ServerDecoder::Nvjpeg => "nvjpeg",
        }
    }
}

/// Checks that `decoder` can run on this machine, so a server is not
/// started only to fail every request: for nvJPEG it opens the GPU and
/// loads libnvjpeg (an error naming `--server-decoder nvjpeg` where either
/// is missing); the CPU decoders are always available.
pub fn check_decoder_available(decoder: ServerDecoder) -> anyhow::Result<()> {
    match decoder {
        ServerDecoder::Nvjpeg => crate::gpu::probe(GpuUse::ServerDecoder).map(|_| ()),
        ServerDecoder::Turbojpeg | ServerDecoder::None => Ok(()),
    }
}

thread_local! {
    // One decoder of each kind per server thread, made on first use:
    // creating one per request would time set-up instead of decoding.
    static DECOMPRESSOR: RefCell<Option<Turbo>> = const { RefCell::new(None) };
    static NVJPEG: RefCell<Option<NvjpegDecoder>> = const { RefCell::new(None) };
}

/// Decodes (JPEG) or checks (raw) the image with `decoder`; returns the
/// decoded pixel buffer's size. `ServerDecoder::None` decodes nothing (0).
#[cfg(test)]
pub(crate) fn decode(
    decoder: ServerDecoder,
    bytes: &[u8],
    meta: &ImageMeta,
) -> Result<usize, RequestError> {
    decode_into(
        decoder,
        bytes,
        meta,
        &mut Vec::new(),
        &DecodeLimits::default(),
    )
}

/// [`decode`], with turbojpeg's pixels written into `pixels` (resized to
/// fit; a buffer kept from an earlier image of the same size is written
/// over as it is, neither allocated nor zeroed again).
pub fn decode_into(
    decoder: ServerDecoder,
    bytes: &[u8],
    meta: &ImageMeta,
    pixels: &mut Vec<u8>,
    limits: &DecodeLimits,
) -> Result<usize, RequestError> {
    match (decoder, meta.format) {
        (ServerDecoder::None, _) => Ok(0),
        (_, ImageFormat::Raw) => check_raw(bytes, meta),
        (ServerDecoder::Turbojpeg, ImageFormat::Jpeg) => {
            decode_turbojpeg(bytes, meta, pixels, limits)
        }
        (ServerDecoder::Nvjpeg, ImageFormat::Jpeg) => decode_nvjpeg(bytes, meta),
    }
}

/// Pixel buffers for turbojpeg to decode into, kept between requests: as
/// many as decodes ever ran at once (the server's decode slots bound
/// that), so the server neither allocates, zeroes and frees an image's
/// pixels per request nor scatters them over the allocator's per-thread
/// arenas. A buffer over [`PixelBuffers::KEEP_AT_MOST`] is freed instead of
/// kept, so one huge image does not hold its memory for good.
#[derive(Default)]
pub struct PixelBuffers {
    idle: std::sync::Mutex<Vec<Vec<u8>>>,
}

impl PixelBuffers {
    /// 32 MiB: a 3840x2160 RGB frame (24.9 MB) is kept, anything much larger is not.
    pub const KEEP_AT_MOST: usize = 32 << 20;

    /// An idle buffer, or a new empty one.
    pub fn take(&self) -> Vec<u8> {
        self.lock().pop().unwrap_or_default()
    }

    /// Returns `pixels` for the next decode, unless it is over the limit.
    pub fn give_back(&self, pixels: Vec<u8>) {
        if pixels.capacity() <= Self::KEEP_AT_MOST {
            self.lock().push(pixels);
        }
    }

    /// How many buffers wait, and their bytes in all (capacity).
    #[cfg(test)]
    pub(crate) fn idle(&self) -> (usize, usize) {
        let idle = self.lock();
        (idle.len(), idle.iter().map(Vec::capacity).sum())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Vec<u8>>> {
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn check_raw(bytes: &[u8], meta: &ImageMeta) -> Result<usize, RequestError> {
    let expected = raw_len(meta)?;
    if meta.channels == 0 || meta.width == 0 || meta.height == 0 || bytes.len() != expected {
        return Err(RequestError::Mismatch(format!(
            "raw image is {} bytes but {}x{}x{} (width x height x channels) needs {expected}",
            bytes.len(),
            meta.width,
            meta.height,
            meta.channels
        )));
    }
    Ok(bytes.len())
}

/// The JPEG header's size must be the one the request declared.
fn check_declared_size(width: usize, height: usize, meta: &ImageMeta) -> Result<(), RequestError> {
    if width != meta.width as usize || height != meta.height as usize {
        return Err(RequestError::Mismatch(format!(
            "JPEG is {width}x{height} (width x height) but the request declared {}x{}",
            meta.width, meta.height
        )));
    }
    Ok(())
}

fn unreadable(bytes: &[u8], reason: impl std::fmt::Display) -> RequestError {
    RequestError::BadImage(format!(
        "not a readable JPEG ({} bytes): {reason}",
        bytes.len()
    ))
}

fn decode_turbojpeg(
    bytes: &[u8],
    meta: &ImageMeta,
    pixels: &mut Vec<u8>,
    limits: &DecodeLimits,
) -> Result<usize, RequestError> {
    let result = DECOMPRESSOR.with(|cell| {
        let mut slot = cell.borrow_mut();
        let decompressor = match &mut *slot {
            Some(decompressor) => decompressor,
            empty => empty.insert(Turbo::new().map_err(|e| {
                RequestError::Internal(format!("could not create a turbojpeg decompressor: {e}"))
            })?),
        };
        decompress(decompressor, bytes, meta, pixels, limits)
    });
    if result.is_err() {
        // libjpeg-turbo can leave a handle in a bad state after a failed
        // decode (a truncated stream, say); the next request gets a new one.
        DECOMPRESSOR.with(|cell| cell.borrow_mut().take());
    }
    result
}

fn decompress(
    decompressor: &mut Turbo,
    bytes: &[u8],
    meta: &ImageMeta,
    pixels: &mut Vec<u8>,
    limits: &DecodeLimits,
) -> Result<usize, RequestError> {
    let (width, height) = decompressor
        .header(bytes)
        .map_err(|e| unreadable(bytes, e))?;
    check_declared_size(width, height, meta)?;
    // Counted before the slot (`check_scans`); libjpeg-turbo stops there too.
    let scan_limit = limits.scans_for((width as u64).saturating_mul(height as u64));
    let len = width
        .checked_mul(3)
        .and_then(|pitch| pitch.checked_mul(height));
    let Some(len) = len else {
        return Err(RequestError::TooManyPixels(format!(
            "JPEG {width}x{height} (width x height) is too large to decode (see --max-pixels)"
        )));
    };
    if pixels.capacity() < len {
        *pixels = Vec::with_capacity(len); // what it held is not worth copying
    }
    // Only bytes the buffer never held are zeroed; turbojpeg writes them all.
    pixels.resize(len, 0);
    let size = (width, height);
    let strict = decompressor.decompress_rgb(bytes, pixels, size, scan_limit, OnWarning::Stop);
    match strict {
        Ok(()) => {}
        // The warning says nothing of the pixels, but stopped the decode
        // (wherever it came): decode again, to the end.
        Err(failure) if failure.warning && is_benign_warning(&failure.message) => {
            match decompressor.decompress_rgb(bytes, pixels, size, scan_limit, OnWarning::GoOn) {
                Err(failure) if !failure.warning => return Err(undecodable(failure, limits)),
                Ok(()) | Err(_) => {}
            }
        }
        Err(failure) => return Err(undecodable(failure, limits)),
    }
    Ok(std::hint::black_box(pixels.len()))
}

/// Why libjpeg-turbo did not decode the image, as the client is told.
fn undecodable(failure: TurboFailure, limits: &DecodeLimits) -> RequestError {
    if is_scan_limit(&failure.message) {
        return RequestError::TooManyScans(format!(
            "the decoder stopped at the scan limit: {failure} (see --max-scans, {}, and --max-scan-pixels, {})",
            limits.max_scans, limits.max_scan_pixels
        ));
    }
    if failure.warning {
        return RequestError::BadImage(format!(
            "the JPEG's data is corrupt (libjpeg-turbo: {failure}); refused at the first such warning rather than decoded from made-up data"
        ));
    }
    RequestError::BadImage(format!("JPEG could not be decoded: {failure}"))
}

fn decode_nvjpeg(bytes: &[u8], meta: &ImageMeta) -> Result<usize, RequestError> {
    NVJPEG.with(|cell| {
        let mut slot = cell.borrow_mut();
        let decoder = match &mut *slot {
            Some(decoder) => decoder,
            empty => empty.insert(new_nvjpeg_decoder()?),
        };
        let info = decoder.info(bytes).map_err(|e| unreadable(bytes, e))?;
        check_declared_size(info.width as usize, info.height as usize, meta)?;
        match decoder.decode_to_device(bytes) {
            Ok(frame) => Ok(std::hint::black_box(frame.len_bytes())),
            Err(e) if is_bad_jpeg(&e) => Err(RequestError::BadImage(format!(
                "JPEG could not be decoded: {e:#}"
            ))),
            Err(e) => {
                // The GPU or the library failed, not the bytes: the next
                // request on this thread starts from a new decoder.
                slot.take();
                Err(RequestError::Internal(format!(
                    "nvJPEG could not decode: {e:#}"
                )))
            }
        }
    })
}

/// This thread's nvJPEG decoder, on its own CUDA stream.
fn new_nvjpeg_decoder() -> Result<NvjpegDecoder, RequestError> {
    GpuContext::new(GpuUse::ServerDecoder)
        .and_then(NvjpegDecoder::new)
        .map_err(|e| RequestError::Internal(format!("{e:#}")))
}

/// Whether nvJPEG refused the bytes themselves.
fn is_bad_jpeg(error: &anyhow::Error) -> bool {
    error
        .downcast_ref::<crate::gpu::nvjpeg_api::NvjpegCallError>()
        .is_some_and(|e| e.is_bad_input())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cpu_decoders_are_always_available() {
        assert!(check_decoder_available(ServerDecoder::Turbojpeg).is_ok());
        assert!(check_decoder_available(ServerDecoder::None).is_ok());
    }

    #[test]
    fn decoders_serialize_and_parse_by_their_names() {
        for decoder in ServerDecoder::value_variants() {
            let json = serde_json::to_string(decoder).unwrap();
            assert_eq!(json, format!("\"{}\"", decoder.name()));
            assert_eq!(ServerDecoder::from_str(decoder.name(), false), Ok(*decoder));
        }
    }

    #[test]
    fn nvjpeg_requests_say_no_driver_exactly_when_there_is_none() {
        let err = decode(
            ServerDecoder::Nvjpeg,
            b"\xff\xd8",
            &crate::wire::test_jpeg_meta(1, 1),
        )
        .unwrap_err();
        let no_driver = RequestError::Internal(
            crate::gpu::GpuError::NoDriver(GpuUse::ServerDecoder).to_string(),
        );
        let said_no_driver = err.to_string() == no_driver.to_string();
        assert_eq!(said_no_driver, !crate::gpu::driver_present(), "{err}");
    }

    #[test]
    fn turbojpeg_checks_the_declared_size() {
        let jpeg =
            crate::server::jpeg_size::test_jpeg(crate::frame::Content::Smooth, (8, 16), false);
        let decoded = decode(
            ServerDecoder::Turbojpeg,
            &jpeg,
            &crate::wire::test_jpeg_meta(16, 8),
        )
        .unwrap();
        assert_eq!(decoded, 16 * 8 * 3);
        let err = decode(
            ServerDecoder::Turbojpeg,
            &jpeg,
            &crate::wire::test_jpeg_meta(8, 16),
        )
        .unwrap_err();
        assert!(matches!(err, RequestError::Mismatch(_)), "{err:?}");
    }
}
