//! The imgwire binary run as a user runs it: its output kept, its text
//! read, and `imgwire compare` of two report files; and the install
//! scripts the ignored tests call for what they need.

use std::path::Path;
use std::process::{Command, Output};

/// Runs the built imgwire binary with `args` (colour off), keeping its
/// output.
pub fn imgwire(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_imgwire"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("imgwire runs")
}

/// A stream of a finished process as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs `imgwire compare A B EXTRA`.
pub fn compare(a: &Path, b: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["compare", a.to_str().unwrap(), b.to_str().unwrap()];
    args.extend_from_slice(extra);
    imgwire(&args)
}

/// Runs `scripts/NAME` (an install script that prints the path of what it
/// installed), which must succeed; that path.
pub fn installed_by(name: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let install = std::process::Command::new(root.join("scripts").join(name))
        .output()
        .unwrap();
    assert!(install.status.success(), "{}", text(&install.stderr));
    text(&install.stdout).trim().to_string()
}
