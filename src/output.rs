//! Output files: a path, the flag that named it (so every error can say
//! which flag to fix), and the one write every output goes through:
//! atomic for regular files, written through for devices, FIFOs and file
//! descriptors (`/dev/stdout`, `/dev/fd/N`), and through symbolic links
//! rather than over them.

use anyhow::{Context, Result};
use std::fs::{self, File, Metadata, OpenOptions};
use std::io::{self, Write};
use std::os::fd::{FromRawFd, RawFd};
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

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

    /// Writes `bytes` to the output, by what the path names:
    ///
    /// - `-`: standard output.
    /// - a regular file, or nothing yet: atomically, through a temporary
    ///   file beside it (created `O_CREAT|O_EXCL` under a random name, so
    ///   nothing planted there is followed or overwritten) renamed over it,
    ///   so a reader never sees half a file and an interrupted run keeps its
    ///   last complete write; an existing file keeps its mode (and owner,
    ///   where the process may set it).
    /// - a symbolic link: what it points to, by these same rules; the link
    ///   stays a link.
    /// - a file descriptor of this process (`/dev/stdout`, `/dev/stderr`,
    ///   `/dev/fd/N`, `/proc/self/fd/N`, or a link that leads there):
    ///   written through that descriptor, whatever it holds, so a stdout
    ///   redirected to a file (`> log` or `>> log`) gets the bytes at its
    ///   current offset (or its end) beside what was printed, and is never
    ///   truncated or replaced. Another process's (`/proc/PID/fd/N`): opened
    ///   for writing, a regular file in append mode, never truncated.
    /// - a character device or FIFO (`/dev/null`, a named pipe): written
    ///   through, as a shell's `>` would.
    ///
    /// Anything else (a directory, a block device, a socket) is refused.
    /// Errors name the path the user typed and its flag.
    pub fn write(&self, bytes: &[u8]) -> Result<()> {
        if self.is_stdout() {
            let mut stdout = std::io::stdout().lock();
            return stdout
                .write_all(bytes)
                .and_then(|()| stdout.flush())
                .context("could not write to stdout");
        }
        write_to(&self.path, bytes).with_context(|| {
            format!(
                "could not write '{}' (check {})",
                self.path.display(),
                self.flag
            )
        })
    }
}

/// Whether `path` names something `OutputPath::write` writes (a regular
/// file, a link to one, a character device or FIFO, or nothing yet), so a
/// plan can refuse the rest before a run: why not, otherwise.
pub fn writable_kind(path: &Path) -> io::Result<()> {
    destination(path).map(|_| ())
}

/// What an output path names, once symbolic links are followed.
enum Destination {
    /// A regular file at this path (links resolved), or none yet.
    File {
        path: PathBuf,
        existing: Option<Metadata>,
    },
    /// A character device or FIFO, or another process's descriptor:
    /// opened for writing (appending to a regular file) and written.
    Stream { append: bool },
    /// One of this process's open file descriptors: written through it.
    Descriptor(RawFd),
}

fn write_to(path: &Path, bytes: &[u8]) -> io::Result<()> {
    match destination(path)? {
        Destination::Stream { append } => {
            let mut stream = OpenOptions::new().write(true).append(append).open(path)?;
            stream.write_all(bytes)?;
            stream.flush()
        }
        Destination::Descriptor(fd) => write_descriptor(fd, bytes),
        Destination::File { path, existing } => replace_atomically(&path, bytes, existing.as_ref()),
    }
}

fn destination(path: &Path) -> io::Result<Destination> {
    match descriptor_named_by(path) {
        Some(Descriptor::Own(fd)) => return own_descriptor(fd),
        Some(Descriptor::Foreign) => {
            let append = fs::metadata(path)?.file_type().is_file();
            return Ok(Destination::Stream { append });
        }
        None => {}
    }
    // `metadata` follows links the way the kernel does.
    match fs::metadata(path) {
        Ok(meta) if meta.file_type().is_file() => Ok(Destination::File {
            path: fs::canonicalize(path)?,
            existing: Some(meta),
        }),
        Ok(meta) if meta.file_type().is_char_device() || meta.file_type().is_fifo() => {
            Ok(Destination::Stream { append: false })
        }
        Ok(meta) => Err(io::Error::other(format!(
            "it is {}, not a file, a character device or a FIFO",
            kind_of(&meta)
        ))),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(Destination::File {
            path: dangling_link_target(path)?,
            existing: None,
        }),
        Err(error) => Err(error),
    }
}

fn kind_of(meta: &Metadata) -> &'static str {
    let kind = meta.file_type();
    if kind.is_dir() {
        "a directory"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "a special file"
    }
}

/// Where a path that names nothing yet is to be created: the path itself,
/// or, for a link to nothing, the file it points to (as a shell's `>`
/// would create it).
fn dangling_link_target(path: &Path) -> io::Result<PathBuf> {
    let mut path = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = fs::read_link(&path)?;
                path = match path.parent() {
                    Some(parent) => parent.join(target),
                    None => target,
                };
            }
            _ => return Ok(path),
        }
    }
    Err(io::Error::other("too many levels of symbolic links"))
}

/// Links followed before giving up, as the kernel's own limit.
const MAX_LINKS: usize = 40;

/// A file descriptor an output path names.
#[derive(Debug, PartialEq, Eq)]
enum Descriptor {
    /// This process's descriptor N.
    Own(RawFd),
    /// Another process's (`/proc/PID/fd/N`).
    Foreign,
}

/// Whether `path`, or a link on the way from it, is an entry of a
/// process's descriptor folder (`/proc/PID/fd/N`, `/proc/PID/task/TID/fd/N`,
/// reached as `/dev/stdout`, `/dev/fd/N`, `/proc/self/fd/N`...): the
/// entry's folder is resolved, and each link followed, before the entry
/// itself is (the kernel's link there leads to the file behind the
/// descriptor, which is not what is to be written).
fn descriptor_named_by(path: &Path) -> Option<Descriptor> {
    let mut path = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        let folder = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        let fd: Option<RawFd> = path.file_name()?.to_str()?.parse().ok();
        if let (Some(fd), Ok(folder)) = (fd, fs::canonicalize(folder)) {
            if let Some(pid) = descriptor_folder_pid(&folder) {
                return Some(match pid == std::process::id() {
                    true => Descriptor::Own(fd),
                    false => Descriptor::Foreign,
                });
            }
        }
        if !fs::symlink_metadata(&path).ok()?.file_type().is_symlink() {
            return None;
        }
        let target = fs::read_link(&path).ok()?;
        path = folder.join(target);
    }
    None
}

/// The process whose descriptor folder `folder` (resolved) is:
/// `/proc/PID/fd` or `/proc/PID/task/TID/fd`.
fn descriptor_folder_pid(folder: &Path) -> Option<u32> {
    let parts: Vec<&str> = folder.iter().map(|p| p.to_str()).collect::<Option<_>>()?;
    match parts.as_slice() {
        ["/", "proc", pid, "fd"] | ["/", "proc", pid, "task", _, "fd"] => pid.parse().ok(),
        _ => None,
    }
}

/// This process's descriptor `fd`, if it is open.
fn own_descriptor(fd: RawFd) -> io::Result<Destination> {
    // SAFETY: F_GETFD reads the descriptor's flags and changes nothing.
    if unsafe { libc::fcntl(fd, libc::F_GETFD) } < 0 {
        return Err(io::Error::other(format!(
            "file descriptor {fd} is not open in this process"
        )));
    }
    Ok(Destination::Descriptor(fd))
}

/// Writes `bytes` through this process's descriptor `fd`: stdout and
/// stderr through the standard library's own handles (so what was printed
/// before stays before), any other through a duplicate of it, which shares
/// its offset and its append mode.
fn write_descriptor(fd: RawFd, bytes: &[u8]) -> io::Result<()> {
    fn all(mut out: impl Write, bytes: &[u8]) -> io::Result<()> {
        out.write_all(bytes)?;
        out.flush()
    }
    match fd {
        libc::STDOUT_FILENO => all(io::stdout().lock(), bytes),
        libc::STDERR_FILENO => all(io::stderr().lock(), bytes),
        _ => {
            // SAFETY: dup reads the descriptor and returns a new one or -1.
            let copy = unsafe { libc::dup(fd) };
            if copy < 0 {
                return Err(io::Error::last_os_error());
            }
            // SAFETY: `copy` is a descriptor just made, owned by nothing else.
            all(unsafe { File::from_raw_fd(copy) }, bytes)
        }
    }
}

/// Writes `bytes` to a new temporary file in `path`'s folder and renames
/// it over `path`; the temporary takes `existing`'s mode and owner.
fn replace_atomically(path: &Path, bytes: &[u8], existing: Option<&Metadata>) -> io::Result<()> {
    let (temporary, mut file) = create_temporary(path)?;
    let written = (|| {
        if let Some(meta) = existing {
            // Owner first: changing it may clear set-id bits the mode restores.
            let _ = std::os::unix::fs::fchown(&file, Some(meta.uid()), Some(meta.gid()));
            file.set_permissions(fs::Permissions::from_mode(meta.mode() & 0o7777))?;
        }
        file.write_all(bytes)?;
        file.flush()?;
        drop(file);
        fs::rename(&temporary, path)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    written
}

/// A new file beside `path`, named `.NAME.RANDOM.tmp` and created with
/// `O_CREAT|O_EXCL` (so a file or link already at that name is never
/// opened), with the mode a new file gets (0666 less the umask).
fn create_temporary(path: &Path) -> io::Result<(PathBuf, File)> {
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::other("the path names no file"))?
        .to_string_lossy();
    let folder = path.parent().unwrap_or(Path::new(""));
    let mut attempts = 0;
    loop {
        let temporary = folder.join(format!(".{name}.{:016x}.tmp", random_u64()));
        let created = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o666)
            .open(&temporary);
        match created {
            Ok(file) => return Ok((temporary, file)),
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists && attempts < 16 => {
                attempts += 1;
            }
            Err(error) => return Err(error),
        }
    }
}

/// A random number for a temporary's name: the standard library's
/// per-process random hash keys, stirred with the time and a counter.
fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hash, Hasher};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    COUNTER.fetch_add(1, Ordering::Relaxed).hash(&mut hasher);
    std::time::SystemTime::now().hash(&mut hasher);
    std::process::id().hash(&mut hasher);
    hasher.finish()
}
