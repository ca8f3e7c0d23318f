//! The words users read name only flags that exist: every `--flag` in the
//! README, docs/ and the source (comments, help text, error messages) is a
//! flag of some `imgwire` command, or one of the few other tools' flags the
//! docs mention on purpose.

use clap::CommandFactory;
use std::collections::BTreeSet;
use std::path::Path;

/// Flags of other programs that the docs and code name on purpose.
const OTHER_TOOLS: &[&str] = &[
    // cargo, in the README's commands
    "--all-targets",
    "--bench",
    "--check",
    "--include-ignored",
    "--no-run",
    "--release",
    "--test",
    "--lib",
    "--quiet",
    "--no-fail-fast",
    // the test harness, and pip, in scripts/
    "--ignored",
    "--nocapture",
    "--test-threads",
    "--disable-pip-version-check",
    "--no-deps",
    "--target",
    // NVRTC's compile options, in src/gpu
    "--fmad",
    "--gpu-architecture",
    "--std",
    // curl, torchserve and torch-model-archiver, in docs/targets.md
    "--data-binary",
    "--foreground",
    "--handler",
    "--model-name",
    "--ncs",
    "--start",
    // cargo install, oha and h2load, in scripts/validate.sh and docs/validation.md
    "--locked",
    "--no-tui",
    "--output-format",
    "--max-concurrent-streams",
    // chromium and apt-get, in the README and scripts/install-chromium.sh
    "--headless",
    "--screenshot",
    "--window-size",
    "--no-install-recommends",
    // scripts/test.sh's own (the README's test command), and stress-ng's,
    // the load the README's test timings were measured under
    "--quick",
    "--cpu",
    // clap's own
    "--help",
    "--version",
];

fn imgwire_flags() -> BTreeSet<String> {
    let mut flags = BTreeSet::new();
    let root = imgwire::Cli::command();
    let mut commands = vec![&root];
    while let Some(command) = commands.pop() {
        for arg in command.get_arguments() {
            if let Some(long) = arg.get_long() {
                flags.insert(format!("--{long}"));
            }
            for alias in arg.get_all_aliases().into_iter().flatten() {
                flags.insert(format!("--{alias}"));
            }
        }
        commands.extend(command.get_subcommands());
    }
    flags
}

fn text_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            text_files(&path, out);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("rs" | "md" | "sh")
        ) {
            out.push(path);
        }
    }
}

/// Every `--word` in `text`.
fn mentioned_flags(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while let Some(at) = text[i..].find("--") {
        let start = i + at;
        let before_ok =
            start == 0 || !(bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'-');
        let mut end = start + 2;
        while end < bytes.len()
            && (bytes[end].is_ascii_lowercase()
                || bytes[end].is_ascii_digit()
                || bytes[end] == b'-')
        {
            end += 1;
        }
        let name = text[start..end].trim_end_matches('-');
        if before_ok && name.len() > 2 && bytes[start + 2].is_ascii_lowercase() {
            found.push(name.to_string());
        }
        i = end.max(start + 2);
    }
    found
}

#[test]
fn every_flag_the_docs_and_messages_name_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("README.md")];
    for dir in ["docs", "src", "scripts"] {
        text_files(&root.join(dir), &mut files);
    }
    let known = imgwire_flags();
    let mut unknown = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for flag in mentioned_flags(&text) {
            if !known.contains(&flag) && !OTHER_TOOLS.contains(&flag.as_str()) {
                unknown.push(format!(
                    "{}: {flag}",
                    file.strip_prefix(root).unwrap().display()
                ));
            }
        }
    }
    unknown.sort();
    unknown.dedup();
    assert!(
        unknown.is_empty(),
        "flags that no command has:\n{}",
        unknown.join("\n")
    );
}

#[test]
fn flags_are_found_in_text() {
    assert_eq!(
        mentioned_flags("use --json PATH, or --max-message-mb; not a--b or ---"),
        ["--json", "--max-message-mb"]
    );
}
