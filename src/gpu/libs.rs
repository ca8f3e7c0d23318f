//! Finding the NVIDIA shared libraries at run time (driver, NVRTC, nvJPEG)
//! without letting cudarc panic when one is missing.
//!
//! cudarc's `dynamic-loading` panics on first use of a library it cannot
//! open, so every entry point in `gpu` asks here first. NVRTC and nvJPEG also
//! ship as pip wheels (`nvidia-cuda-nvrtc`, `nvidia-nvjpeg`) whose folders are
//! not on the loader's path; we look there too.

use super::error::{GpuError, GpuUse};
use anyhow::Result;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The CUDA version (as `cuDriverGetVersion` writes it, 13000 = 13.0) the
/// cudarc bindings were built against; older drivers lack some symbols.
pub const BUILT_FOR_CUDA: i32 = 13000;

/// Sonames tried for nvJPEG, newest first.
pub const NVJPEG_NAMES: &[&str] = &[
    "libnvjpeg.so.13",
    "libnvjpeg.so.12",
    "libnvjpeg.so.11",
    "libnvjpeg.so",
];

/// Sonames of NVRTC that cudarc (feature cuda-13000) will itself look for.
const NVRTC_NAMES: &[&str] = &["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so"];

/// Folders to search for a library: `$ENV_VAR` (colon separated), then the
/// pip wheel layouts under each `PYTHONPATH` entry and the active virtualenv.
/// `wheel_dirs` are the folder names under `site-packages/nvidia/` (CUDA 12
/// wheels use one per library, CUDA 13 wheels share `cu13`).
pub(super) fn search_dirs(env_var: &str, wheel_dirs: &[&str]) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    if let Some(value) = std::env::var_os(env_var) {
        dirs.extend(std::env::split_paths(&value));
    }
    let mut site_packages: Vec<PathBuf> = Vec::new();
    if let Some(value) = std::env::var_os("PYTHONPATH") {
        site_packages.extend(std::env::split_paths(&value));
    }
    if let Some(venv) = std::env::var_os("VIRTUAL_ENV") {
        let lib = Path::new(&venv).join("lib");
        if let Ok(entries) = std::fs::read_dir(&lib) {
            for entry in entries.flatten() {
                if entry.file_name().to_string_lossy().starts_with("python") {
                    site_packages.push(entry.path().join("site-packages"));
                }
            }
        }
    }
    for base in site_packages {
        for wheel in wheel_dirs {
            dirs.push(base.join("nvidia").join(wheel).join("lib"));
        }
    }
    dirs.retain(|d| !d.as_os_str().is_empty());
    dirs
}

/// Opens the first of `names` found in `dirs` (by full path), else the first
/// the system loader finds by name. Returns the library and where it was.
pub(super) fn open_first(
    names: &[&str],
    dirs: &[PathBuf],
) -> Option<(libloading::Library, String)> {
    let full = dirs
        .iter()
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .filter(|p| p.exists())
        .map(|p| p.to_string_lossy().into_owned());
    let bare = names.iter().map(|n| (*n).to_owned());
    for candidate in full.chain(bare) {
        // SAFETY: loading runs the library's initialisers; these are NVIDIA's
        // own libraries, found by their documented sonames, whose
        // initialisers have no preconditions on us.
        if let Ok(lib) = unsafe { libloading::Library::new(&candidate) } {
            return Some((lib, candidate));
        }
    }
    None
}

/// Whether cudarc would find the driver library (it would panic if not).
pub fn driver_present() -> bool {
    // SAFETY: `is_culib_present` only dlopens the driver by its soname and
    // closes it again; NVIDIA's driver initialisers have no preconditions.
    unsafe { cudarc::driver::sys::is_culib_present() }
}

/// Checks the driver library is present and new enough for the bindings,
/// so that later cudarc calls neither panic on a missing library nor on a
/// missing symbol. `purpose` is named in the error.
pub fn ensure_driver(purpose: GpuUse) -> Result<i32, GpuError> {
    if !driver_present() {
        return Err(GpuError::NoDriver(purpose));
    }
    let mut version: std::ffi::c_int = 0;
    // SAFETY: the library is present (checked above); cuDriverGetVersion
    // exists in every driver, needs no cuInit, and writes one int.
    let status = unsafe { cudarc::driver::sys::cuDriverGetVersion(&mut version) };
    if status != cudarc::driver::sys::CUresult::CUDA_SUCCESS {
        return Err(GpuError::BrokenDriver {
            purpose,
            status: format!("{status:?}"),
        });
    }
    if version < BUILT_FOR_CUDA {
        return Err(GpuError::OldDriver {
            purpose,
            found: cuda_version_text(version),
            needed: cuda_version_text(BUILT_FOR_CUDA),
        });
    }
    Ok(version)
}

/// 12080 -> "12.8".
pub fn cuda_version_text(version: i32) -> String {
    format!("{}.{}", version / 1000, (version % 1000) / 10)
}

/// Makes NVRTC loadable by cudarc: if the loader cannot find it by name,
/// opens it by full path from `NVRTC_LIB_DIR` or a pip wheel and keeps it
/// open, so cudarc's own `dlopen("libnvrtc.so.13")` matches its soname.
/// Returns where NVRTC came from.
pub fn ensure_nvrtc() -> Result<String> {
    static FOUND: OnceLock<Result<String, String>> = OnceLock::new();
    FOUND
        .get_or_init(|| {
            // SAFETY: only dlopens NVRTC by its soname and closes it again;
            // NVRTC's initialisers have no preconditions.
            if unsafe { cudarc::nvrtc::sys::is_culib_present() } {
                return Ok("the system library path".to_owned());
            }
            let dirs = search_dirs("NVRTC_LIB_DIR", &["cu13", "cuda_nvrtc"]);
            let Some((lib, path)) = open_first(&NVRTC_NAMES[..2], &dirs) else {
                return Err(format!(
                    "no NVRTC library (libnvrtc.so.13 or .12) found: GPU frame kernels are compiled at run time; run scripts/install-nvrtc.sh and set NVRTC_LIB_DIR to the folder it prints (searched {})",
                    describe_dirs(&dirs)
                ));
            };
            // Kept open for the life of the process so its soname stays
            // registered with the loader.
            std::mem::forget(lib);
            preload_nvrtc_builtins(Path::new(&path));
            // SAFETY: as above; now succeeds through the soname just loaded.
            if unsafe { cudarc::nvrtc::sys::is_culib_present() } {
                Ok(path)
            } else {
                Err(format!(
                    "NVRTC at {path} opened but its soname is not one cudarc looks for (libnvrtc.so.13/.12): use a CUDA 12 or 13 NVRTC"
                ))
            }
        })
        .clone()
        .map_err(anyhow::Error::msg)
}

/// NVRTC dlopens `libnvrtc-builtins.so.X.Y` by bare name when it compiles;
/// some versions (13.0) do not look beside themselves, so a wheel's copy is
/// opened by full path first and kept, which its soname then satisfies.
fn preload_nvrtc_builtins(nvrtc: &Path) {
    let Some(dir) = nvrtc.parent() else { return };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if entry
            .file_name()
            .to_string_lossy()
            .starts_with("libnvrtc-builtins.so.")
        {
            // SAFETY: NVIDIA's builtins library, from the folder the NVRTC
            // just loaded came from; its initialisers have no preconditions.
            if let Ok(lib) = unsafe { libloading::Library::new(entry.path()) } {
                std::mem::forget(lib);
            }
        }
    }
}

/// "a, b, c" or "no folders" for error messages.
pub(super) fn describe_dirs(dirs: &[PathBuf]) -> String {
    if dirs.is_empty() {
        return "no extra folders; set the *_LIB_DIR variable or PYTHONPATH".to_owned();
    }
    dirs.iter()
        .map(|d| d.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_read_as_people_write_them() {
        assert_eq!(cuda_version_text(12080), "12.8");
        assert_eq!(cuda_version_text(13000), "13.0");
    }

    #[test]
    fn missing_libraries_are_none_not_a_panic() {
        let dirs = vec![PathBuf::from("/no/such/dir")];
        assert!(open_first(&["libimgwire-no-such-lib.so.99"], &dirs).is_none());
    }
}
