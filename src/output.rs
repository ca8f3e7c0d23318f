//! Output files: a path, the flag that named it (so every error can say
//! which flag to fix), and the one atomic write every output goes through.

use anyhow::{Context, Result};
use std::path::PathBuf;

/// An output file and the flag that named it, so errors can say which.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputPath {
    pub path: PathBuf,
    pub flag: &'static str,
}

impl OutputPath {
    pub fn new(path: impl Into<PathBuf>, flag: &'static str) -> Self {
        OutputPath {
            path: path.into(),
            flag,
        }
    }

    /// The same flag, another file: `out.json` -> `out-SUFFIX.json`.
    /// Stdout stays stdout.
    pub fn with_suffix(&self, suffix: &str) -> OutputPath {
        if self.is_stdout() {
            return self.clone();
        }
        let stem = self.path.file_stem().unwrap_or_default().to_string_lossy();
        let name = match self.path.extension() {
            Some(ext) => format!("{stem}-{suffix}.{}", ext.to_string_lossy()),
            None => format!("{stem}-{suffix}"),
        };
        OutputPath::new(self.path.with_file_name(name), self.flag)
    }

    /// Whether this output is `-`: standard output.
    pub fn is_stdout(&self) -> bool {
        self.path.as_os_str() == "-"
    }

    /// Writes `bytes` via a temporary file beside the target, so a reader
    /// never sees half a file and an interrupted run keeps its last
    /// complete write. Errors name the path the user typed and its flag.
    pub fn write(&self, bytes: &[u8]) -> Result<()> {
        if self.is_stdout() {
            use std::io::Write;
            let mut stdout = std::io::stdout().lock();
            return stdout
                .write_all(bytes)
                .and_then(|()| stdout.flush())
                .context("could not write to stdout");
        }
        let mut tmp = self.path.clone().into_os_string();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        std::fs::write(&tmp, bytes)
            .and_then(|()| std::fs::rename(&tmp, &self.path))
            .with_context(|| {
                format!(
                    "could not write '{}' (check {})",
                    self.path.display(),
                    self.flag
                )
            })
    }
}
