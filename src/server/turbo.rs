//! libjpeg-turbo's decompressor as the server runs it, through TurboJPEG
//! 3's C API (the `turbojpeg` crate's `Decompressor` keeps its handle to
//! itself, so it cannot stop on warnings): the scan limit
//! (`TJPARAM_SCANLIMIT`) set per image, and warnings stopping the decode
//! (`TJPARAM_STOPONWARNING`), each failure said with its severity.

use std::ffi::CStr;
use turbojpeg::raw;

/// One TurboJPEG decompression instance.
pub struct Turbo {
    handle: raw::tjhandle,
}

/// Why libjpeg-turbo failed: its message, and whether it was only a
/// warning (the decode could have gone on, from data it would guess).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TurboFailure {
    pub message: String,
    pub warning: bool,
}

impl std::fmt::Display for TurboFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// How a decode meets libjpeg-turbo's warnings (corrupt data it can read
/// past, a marker it does not know).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnWarning {
    /// Stop at the first one, with its message.
    Stop,
    /// Decode to the end; the image is whole and the warning is reported.
    GoOn,
}

impl Turbo {
    pub fn new() -> Result<Self, TurboFailure> {
        // SAFETY: tj3Init takes an init type and returns a new handle or
        // null; it reads no memory of ours.
        let handle = unsafe { raw::tj3Init(raw::TJINIT_TJINIT_DECOMPRESS as libc::c_int) };
        if handle.is_null() {
            return Err(TurboFailure {
                message: "libjpeg-turbo could not make a decompressor".into(),
                warning: false,
            });
        }
        Ok(Turbo { handle })
    }

    /// The JPEG's width and height, from its header. A warning while
    /// reading it (an unknown JFIF revision, bytes between markers) does
    /// not stop it: the decode decides what a warning means.
    pub fn header(&mut self, jpeg: &[u8]) -> Result<(usize, usize), TurboFailure> {
        self.set(raw::TJPARAM_TJPARAM_STOPONWARNING, 0)?;
        // SAFETY: the handle is live (made by tj3Init, destroyed only on
        // drop); the pointer and length describe `jpeg`, which outlives the
        // call and which libjpeg-turbo only reads.
        let status = unsafe {
            raw::tj3DecompressHeader(self.handle, jpeg.as_ptr(), jpeg.len() as raw::size_t)
        };
        if status != 0 {
            let failure = self.failure();
            if !failure.warning {
                return Err(failure);
            }
        }
        let width = self.get(raw::TJPARAM_TJPARAM_JPEGWIDTH);
        let height = self.get(raw::TJPARAM_TJPARAM_JPEGHEIGHT);
        if width <= 0 || height <= 0 {
            return Err(TurboFailure {
                message: "its header declares no size".into(),
                warning: false,
            });
        }
        Ok((width as usize, height as usize))
    }

    /// Decodes `jpeg` as RGB into `pixels` (exactly width x height x 3,
    /// the header's size), refusing more than `scan_limit` scans.
    pub fn decompress_rgb(
        &mut self,
        jpeg: &[u8],
        pixels: &mut [u8],
        (width, height): (usize, usize),
        scan_limit: u32,
        on_warning: OnWarning,
    ) -> Result<(), TurboFailure> {
        let internal = |message: &str| TurboFailure {
            message: message.into(),
            warning: false,
        };
        let pitch = width
            .checked_mul(3)
            .filter(|pitch| pitch.checked_mul(height) == Some(pixels.len()))
            .ok_or_else(|| internal("the pixel buffer is not the image's size"))?;
        let pitch = libc::c_int::try_from(pitch).map_err(|_| internal("the image is too wide"))?;
        let limit = libc::c_int::try_from(scan_limit).unwrap_or(libc::c_int::MAX);
        self.set(raw::TJPARAM_TJPARAM_SCANLIMIT, limit)?;
        self.set(
            raw::TJPARAM_TJPARAM_STOPONWARNING,
            libc::c_int::from(on_warning == OnWarning::Stop),
        )?;
        // SAFETY: the handle is live; `jpeg` is only read; `pixels` holds
        // exactly pitch x height bytes (checked above), which is what
        // tj3Decompress8 writes for the header's size, with the pitch given
        // (it decodes at full scale: no scaling factor is ever set).
        let status = unsafe {
            raw::tj3Decompress8(
                self.handle,
                jpeg.as_ptr(),
                jpeg.len() as raw::size_t,
                pixels.as_mut_ptr(),
                pitch,
                raw::TJPF_TJPF_RGB as libc::c_int,
            )
        };
        if status != 0 {
            return Err(self.failure());
        }
        Ok(())
    }

    fn get(&mut self, param: raw::TJPARAM) -> libc::c_int {
        // SAFETY: the handle is live; tj3Get only reads the instance.
        unsafe { raw::tj3Get(self.handle, param as libc::c_int) }
    }

    fn set(&mut self, param: raw::TJPARAM, value: libc::c_int) -> Result<(), TurboFailure> {
        // SAFETY: the handle is live; tj3Set only writes the instance.
        if unsafe { raw::tj3Set(self.handle, param as libc::c_int, value) } != 0 {
            return Err(self.failure());
        }
        Ok(())
    }

    /// The last call's failure, as libjpeg-turbo says it.
    fn failure(&mut self) -> TurboFailure {
        // SAFETY: the handle is live; tj3GetErrorStr returns a pointer to a
        // NUL-terminated string owned by the instance (or a thread-local
        // one), valid until the next call on it, and copied out at once.
        let message = unsafe { CStr::from_ptr(raw::tj3GetErrorStr(self.handle)) }
            .to_string_lossy()
            .into_owned();
        // SAFETY: as above; tj3GetErrorCode only reads the instance.
        let code = unsafe { raw::tj3GetErrorCode(self.handle) };
        TurboFailure {
            message,
            warning: code == raw::TJERR_TJERR_WARNING as libc::c_int,
        }
    }
}

impl Drop for Turbo {
    fn drop(&mut self) {
        // SAFETY: the handle came from tj3Init and is destroyed once, here.
        unsafe { raw::tj3Destroy(self.handle) }
    }
}

/// Whether a warning says nothing about the image data: bytes between
/// segments (many cameras leave some before EOI), a JFIF or Adobe field of
/// a revision libjpeg does not know, a broken ICC profile, scan parameters
/// a sequential JPEG ignores. Every other warning (a premature end of the
/// data or the file, a bad Huffman or arithmetic code, a lost restart
/// marker, an impossible progression) means libjpeg-turbo would decode
/// pixels it made up, at the full cost of real ones.
pub fn is_benign_warning(message: &str) -> bool {
    const BENIGN: [&str; 5] = [
        "extraneous bytes before marker",
        "unknown JFIF revision number",
        "Unknown Adobe color transform code",
        "bad ICC marker",
        "Invalid SOS parameters for sequential JPEG",
    ];
    BENIGN.iter().any(|benign| message.contains(benign))
}

/// Whether the decode stopped at the scan limit.
pub fn is_scan_limit(message: &str) -> bool {
    message.starts_with("Progressive JPEG image has more than")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warnings_are_told_apart_by_what_they_say() {
        assert!(is_benign_warning(
            "Corrupt JPEG data: 2 extraneous bytes before marker 0xd9"
        ));
        assert!(!is_benign_warning("Premature end of JPEG file"));
        assert!(!is_benign_warning(
            "Corrupt JPEG data: premature end of data segment"
        ));
        assert!(!is_benign_warning("Corrupt JPEG data: bad Huffman code"));
        assert!(is_scan_limit(
            "Progressive JPEG image has more than 3 scans"
        ));
    }
}
