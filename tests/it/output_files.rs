//! Where an export goes (`OutputPath::write`, behind every `--json`,
//! `--csv`, `--html`, `--trace`... flag): a regular file is replaced
//! atomically and keeps its mode; a character device and a FIFO are
//! written through, never replaced by a file; a symbolic link is followed
//! and stays a link; a file or link planted at the old temporary's name
//! (`PATH.tmp`) is never touched.

use imgwire::output::OutputPath;
use std::fs;
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::Path;

fn write(path: &Path, text: &str) {
    OutputPath::new(path, "--json")
        .write(text.as_bytes())
        .unwrap_or_else(|e| panic!("writing {} failed: {e:#}", path.display()));
}

/// Names in `dir` other than `keep`: what a write left behind.
fn leftovers(dir: &Path, keep: &[&str]) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| !keep.contains(&name.as_str()))
        .collect()
}

#[test]
fn a_regular_file_is_replaced_whole_and_keeps_its_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.json");
    fs::write(&path, "old").unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
    write(&path, "new");
    assert_eq!(fs::read_to_string(&path).unwrap(), "new");
    let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode, 0o600, "mode {mode:o}");
    assert_eq!(leftovers(dir.path(), &["out.json"]), Vec::<String>::new());
}

#[test]
fn a_new_file_is_created_with_the_umask_s_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.json");
    write(&path, "{}");
    let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    // 0666 less some umask: never the 0600 a private temporary would leave.
    assert_eq!(mode & 0o600, 0o600, "mode {mode:o}");
    assert_ne!(
        mode, 0o600,
        "mode {mode:o}: the temporary's, not a new file's"
    );
    assert_eq!(fs::read_to_string(&path).unwrap(), "{}");
}

#[test]
fn a_planted_tmp_link_is_never_followed() {
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim");
    fs::write(&victim, "precious").unwrap();
    let path = dir.path().join("out.json");
    let planted = dir.path().join("out.json.tmp");
    std::os::unix::fs::symlink(&victim, &planted).unwrap();
    write(&path, "report");
    assert_eq!(fs::read_to_string(&victim).unwrap(), "precious");
    assert!(fs::symlink_metadata(&planted)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(fs::read_to_string(&path).unwrap(), "report");
}

#[test]
fn a_symlink_is_followed_and_stays_a_link() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("real")).unwrap();
    let target = dir.path().join("real/report.json");
    fs::write(&target, "old").unwrap();
    fs::set_permissions(&target, fs::Permissions::from_mode(0o640)).unwrap();
    let link = dir.path().join("latest.json");
    std::os::unix::fs::symlink("real/report.json", &link).unwrap();
    write(&link, "new");
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(fs::read_to_string(&target).unwrap(), "new");
    let mode = fs::metadata(&target).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode, 0o640, "mode {mode:o}");
    // A link to nothing yet: the file it names is created, the link kept.
    let dangling = dir.path().join("next.json");
    std::os::unix::fs::symlink("real/next.json", &dangling).unwrap();
    write(&dangling, "first");
    assert!(fs::symlink_metadata(&dangling)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(
        fs::read_to_string(dir.path().join("real/next.json")).unwrap(),
        "first"
    );
}

/// A character device to write to: a null device made in `dir` (as root),
/// or `/dev/null` itself.
fn null_device(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("null");
    let name = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: `name` is a valid NUL-terminated path; mknod reads it only.
    let made = unsafe { libc::mknod(name.as_ptr(), libc::S_IFCHR | 0o666, libc::makedev(1, 3)) };
    if made == 0 {
        path
    } else {
        "/dev/null".into()
    }
}

#[test]
fn a_character_device_is_written_through_not_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let device = null_device(dir.path());
    write(&device, "into the void");
    assert!(fs::metadata(&device).unwrap().file_type().is_char_device());
    // A device that refuses the bytes (/dev/full) is an error naming the
    // path and the flag, and stays a device.
    let full = Path::new("/dev/full");
    if full.exists() {
        let err = OutputPath::new(full, "--json").write(b"x").unwrap_err();
        let text = format!("{err:#}");
        assert!(
            text.contains("/dev/full") && text.contains("--json"),
            "{text}"
        );
        assert!(fs::metadata(full).unwrap().file_type().is_char_device());
    }
}

#[test]
fn a_fifo_is_written_through_to_its_reader() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe");
    let name = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: `name` is a valid NUL-terminated path; mkfifo reads it only.
    assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let mut text = String::new();
            fs::File::open(fifo)
                .unwrap()
                .read_to_string(&mut text)
                .unwrap();
            text
        })
    };
    write(&fifo, "through the pipe");
    assert_eq!(reader.join().unwrap(), "through the pipe");
    assert!(fs::metadata(&fifo).unwrap().file_type().is_fifo());
}

#[test]
fn a_directory_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let err = OutputPath::new(dir.path(), "--csv")
        .write(b"x")
        .unwrap_err();
    let text = format!("{err:#}");
    assert!(
        text.contains("directory") && text.contains("--csv"),
        "{text}"
    );
}
