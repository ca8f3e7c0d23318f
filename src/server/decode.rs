//! `server.decode`: compressed bytes -> pixels, checked against the size the
//! client declared.

use super::pipeline::RequestError;
use crate::wire::{ImageFormat, ImageMeta};
use std::cell::RefCell;
use turbojpeg::{Decompressor, Image, PixelFormat};

thread_local! {
    // One decompressor per server thread: creating one per request would
    // time libjpeg-turbo's set-up instead of its decoding.
    static DECOMPRESSOR: RefCell<Option<Decompressor>> = const { RefCell::new(None) };
}

/// Decodes (JPEG) or checks (raw) the image; returns the pixel buffer size.
pub fn decode(bytes: &[u8], meta: &ImageMeta) -> Result<usize, RequestError> {
    match meta.format {
        ImageFormat::Raw => check_raw(bytes, meta),
        ImageFormat::Jpeg => decode_jpeg(bytes, meta),
    }
}

fn check_raw(bytes: &[u8], meta: &ImageMeta) -> Result<usize, RequestError> {
    let expected = meta.width as usize * meta.height as usize * meta.channels as usize;
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

fn decode_jpeg(bytes: &[u8], meta: &ImageMeta) -> Result<usize, RequestError> {
    let result = decode_with_thread_decompressor(bytes, meta);
    if result.is_err() {
        // libjpeg-turbo can leave a handle in a bad state after a failed
        // decode (a truncated stream, say); the next request gets a new one.
        DECOMPRESSOR.with(|cell| cell.borrow_mut().take());
    }
    result
}

fn decode_with_thread_decompressor(bytes: &[u8], meta: &ImageMeta) -> Result<usize, RequestError> {
    DECOMPRESSOR.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            *slot = Some(Decompressor::new().map_err(|e| {
                RequestError::Internal(format!("could not create a turbojpeg decompressor: {e}"))
            })?);
        }
        let decompressor = slot.as_mut().expect("just filled");
        let header = decompressor.read_header(bytes).map_err(|e| {
            RequestError::BadImage(format!("not a readable JPEG ({} bytes): {e}", bytes.len()))
        })?;
        if header.width != meta.width as usize || header.height != meta.height as usize {
            return Err(RequestError::Mismatch(format!(
                "JPEG is {}x{} (width x height) but the request declared {}x{}",
                header.width, header.height, meta.width, meta.height
            )));
        }
        let pitch = header.width * 3;
        let mut pixels = vec![0u8; pitch * header.height];
        let image = Image {
            pixels: pixels.as_mut_slice(),
            width: header.width,
            pitch,
            height: header.height,
            format: PixelFormat::RGB,
        };
        decompressor
            .decompress(bytes, image)
            .map_err(|e| RequestError::BadImage(format!("JPEG could not be decoded: {e}")))?;
        Ok(std::hint::black_box(pixels).len())
    })
}
