//! Where an export goes (`OutputPath::write`, behind every `--json`,
//! `--csv`, `--html`, `--trace`... flag): a regular file is replaced
//! atomically and keeps its mode; a character device and a FIFO are
//! written through, never replaced by a file; a symbolic link is followed
//! and stays a link; a file or link planted at the old temporary's name
//! (`PATH.tmp`) is never touched; a path naming a file descriptor
//! (`/dev/stdout`, `/dev/fd/N`) is written through it, so a redirected
//! stdout keeps what was printed around the export.

use crate::common;
use imgwire::output::OutputPath;
use std::fs;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
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

/// A file opened as a shell opens a redirection (`>`: truncated, `>>`:
/// appended to) after `before` was written to it.
fn redirected(path: &Path, append: bool, before: &str) -> fs::File {
    fs::write(path, before).unwrap();
    let mut options = fs::OpenOptions::new();
    match append {
        true => options.append(true),
        false => options.write(true),
    };
    let mut file = options.open(path).unwrap();
    if !append {
        // `>` truncates; the text then stands for what the program printed.
        file.set_len(0).unwrap();
        file.write_all(before.as_bytes()).unwrap();
    }
    file
}

#[test]
fn a_file_descriptor_path_is_written_through_the_descriptor() {
    let dir = tempfile::tempdir().unwrap();
    for append in [false, true] {
        let path = dir.path().join(format!("log-{append}"));
        let mut file = redirected(&path, append, "before\n");
        let inode = fs::metadata(&path).unwrap().ino();
        let fd = file.as_raw_fd();
        let link = dir.path().join(format!("to-fd-{append}"));
        std::os::unix::fs::symlink(format!("/dev/fd/{fd}"), &link).unwrap();
        write(Path::new(&format!("/dev/fd/{fd}")), "dev-fd\n");
        write(Path::new(&format!("/proc/self/fd/{fd}")), "proc-self\n");
        write(&link, "link\n");
        file.write_all(b"after\n").unwrap();
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            "before\ndev-fd\nproc-self\nlink\nafter\n",
            "append {append}"
        );
        assert_eq!(fs::metadata(&path).unwrap().ino(), inode, "replaced");
        assert_eq!(leftovers(dir.path(), &[]).len(), 2 * (append as usize + 1));
    }
    // A descriptor that is not open is refused by name, and nothing is made.
    let err = OutputPath::new("/dev/fd/987", "--json")
        .write(b"x")
        .unwrap_err();
    let text = format!("{err:#}");
    assert!(
        text.contains("987 is not open") && text.contains("--json"),
        "{text}"
    );
}

#[test]
fn export_to_dev_stdout_redirected_to_a_file_keeps_what_was_printed() {
    let dir = tempfile::tempdir().unwrap();
    for append in [false, true] {
        let path = dir.path().join(format!("log-{append}"));
        let stdout = redirected(&path, append, "before\n");
        let inode = fs::metadata(&path).unwrap().ino();
        // The table is printed first, then the JSON, then the Markdown.
        let run = common::serve_process::imgwire()
            .args(["encode", "--sizes", "16x16", "--frames", "1"])
            .args([
                "--export-json",
                "/dev/stdout",
                "--export-markdown",
                "/dev/stdout",
            ])
            .stdout(stdout)
            .output()
            .unwrap();
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        assert_eq!(fs::metadata(&path).unwrap().ino(), inode, "replaced");
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("before\nimgwire "), "{text}");
        let json_at = text.find("\n{\n").expect("the JSON") + 1;
        let mut values = serde_json::Deserializer::from_str(&text[json_at..]).into_iter();
        let json: serde_json::Value = values.next().unwrap().unwrap();
        assert_eq!(json["command"], "encode");
        let after = &text[json_at + values.byte_offset()..];
        assert!(
            after.trim_start().starts_with("# imgwire "),
            "after the JSON: {after}"
        );
    }
}

#[test]
fn another_process_s_descriptor_is_appended_to_never_truncated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("their-log");
    let stdout = redirected(&path, false, "theirs\n");
    let inode = fs::metadata(&path).unwrap().ino();
    let mut other = std::process::Command::new("sleep")
        .arg("30")
        .stdout(stdout)
        .spawn()
        .unwrap();
    let written = OutputPath::new(format!("/proc/{}/fd/1", other.id()), "--json").write(b"ours\n");
    let _ = other.kill();
    let _ = other.wait();
    written.unwrap();
    assert_eq!(fs::read_to_string(&path).unwrap(), "theirs\nours\n");
    assert_eq!(fs::metadata(&path).unwrap().ino(), inode, "replaced");
}
