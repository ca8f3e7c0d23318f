//! The words users read name only flags that exist: every `--flag` in the
//! README, docs/ and the source (comments, help text, error messages) is a
//! flag of some `imgwire` command, or one of the few other tools' flags the
//! docs mention on purpose. And every relative link of the README and
//! docs/ leads somewhere: to a file the repository holds, and to a heading
//! that file has where the link names one.

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
    "--message-format",
    // strip, in scripts/gpu-carry.sh
    "--strip-debug",
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
    // tritonserver's, in docs/targets.md and --collect-traces' help
    "--trace-config",
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

/// The README and every Markdown file under docs/.
fn markdown_files(root: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    text_files(&root.join("docs"), &mut files);
    files.retain(|path| path.extension().is_some_and(|e| e == "md"));
    files.push(root.join("README.md"));
    files
}

/// `text`'s lines outside fenced code blocks.
fn prose_lines(text: &str) -> Vec<&str> {
    let mut in_fence = false;
    let mut lines = Vec::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
        } else if !in_fence {
            lines.push(line);
        }
    }
    lines
}

/// The targets of the Markdown links (and images) in `text`: what stands
/// between `](` and `)`, outside code blocks.
fn link_targets(text: &str) -> Vec<String> {
    let mut targets = Vec::new();
    for line in prose_lines(text) {
        for (at, _) in line.match_indices("](") {
            if let Some(len) = line[at + 2..].find(')') {
                targets.push(line[at + 2..at + 2 + len].to_string());
            }
        }
    }
    targets
}

/// The anchor GitHub gives a heading: lower case, punctuation but `-` and
/// `_` dropped, spaces made hyphens.
fn heading_anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The anchors of every heading of a Markdown text.
fn anchors(text: &str) -> BTreeSet<String> {
    prose_lines(text)
        .into_iter()
        .filter(|line| line.starts_with('#'))
        .map(|line| heading_anchor(line.trim_start_matches('#')))
        .collect()
}

/// Why `target`, linked from `file`, leads nowhere; None where it leads
/// somewhere. Links off the repository (a scheme) are not followed.
fn broken_link(file: &Path, target: &str) -> Option<String> {
    if target.contains("://") || target.starts_with("mailto:") {
        return None;
    }
    let (path, anchor) = target.split_once('#').unwrap_or((target, ""));
    let linked = if path.is_empty() {
        file.to_path_buf()
    } else {
        file.parent().unwrap().join(path)
    };
    if !linked.exists() {
        return Some(format!("{target}: no such file"));
    }
    if anchor.is_empty() || linked.extension().is_none_or(|e| e != "md") {
        return None;
    }
    let text = std::fs::read_to_string(&linked).unwrap();
    (!anchors(&text).contains(anchor)).then(|| format!("{target}: no heading #{anchor}"))
}

#[test]
fn every_relative_link_of_the_docs_leads_to_a_file_and_heading() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = markdown_files(root);
    assert!(files.len() > 5, "found the docs: {files:?}");
    let mut broken = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for target in link_targets(&text) {
            if let Some(why) = broken_link(file, &target) {
                broken.push(format!(
                    "{}: {why}",
                    file.strip_prefix(root).unwrap().display()
                ));
            }
        }
    }
    assert!(
        broken.is_empty(),
        "links that lead nowhere:\n{}",
        broken.join("\n")
    );
}

#[test]
fn links_and_anchors_are_read_as_github_reads_them() {
    assert_eq!(
        link_targets("see [a](docs/a.md#x) and ![b](b.png)\n```\n[c](c.md)\n```\n"),
        ["docs/a.md#x", "b.png"]
    );
    assert_eq!(
        heading_anchor(" The `--link` relay: splice(2) against copies"),
        "the---link-relay-splice2-against-copies"
    );
    assert_eq!(
        heading_anchor("9. The seed post, as facts"),
        "9-the-seed-post-as-facts"
    );
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = root.join("README.md");
    assert!(broken_link(&readme, "docs/no-such-file.md").is_some());
    assert!(broken_link(&readme, "docs/design.md#no-such-heading").is_some());
    assert!(broken_link(&readme, "docs/design.md#2-the-stage-model").is_none());
    assert!(broken_link(&readme, "https://example.com/x.md").is_none());
}

/// The stage names `Stage::name` gives, read from src/stage.rs.
fn stage_names(root: &Path) -> Vec<String> {
    let source = std::fs::read_to_string(root.join("src/stage.rs")).unwrap();
    let start = source.find("pub fn name(self)").expect("Stage::name");
    let body = &source[start..];
    let body = &body[..body.find("\n    }\n").expect("the end of Stage::name")];
    body.lines()
        .filter_map(|line| line.split_once("=> \"")?.1.split_once('"'))
        .map(|(name, _)| name.to_string())
        .collect()
}

#[test]
fn the_stage_table_lives_in_the_design_doc_alone_and_has_every_stage() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let names = stage_names(root);
    assert!(names.len() >= 13 && names.contains(&"server.decode".to_string()));
    let design = std::fs::read_to_string(root.join("docs/design.md")).unwrap();
    let missing: Vec<&String> = names
        .iter()
        .filter(|name| !design.contains(&format!("\n| `{name}` | ")))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/design.md's stage table lacks {missing:?}"
    );
    for file in markdown_files(root) {
        if file.ends_with("docs/design.md") {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(
            !text.contains("\n| `server.decode` | server |"),
            "{} repeats the stage table: link to docs/design.md#2-the-stage-model instead",
            file.display()
        );
    }
}

/// Files the docs name on purpose that the repository does not hold.
const NAMED_ELSEWHERE: &[&str] = &[
    // Triton's schema, which no installed package ships as text (docs/targets.md)
    "grpc_service.proto",
];

/// Every file under `dir`, as a path relative to `root` with `/` between parts.
fn repository_paths(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            repository_paths(root, &path, out);
        } else {
            let relative = path.strip_prefix(root).unwrap();
            out.push(relative.to_string_lossy().replace('\\', "/"));
        }
    }
}

/// Every `` `name.md` `` or `` `name.proto` `` in `text` (prose, no code
/// blocks): the files a doc names.
fn named_doc_and_schema_files(text: &str) -> Vec<&str> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .filter(|quoted| {
            (quoted.ends_with(".md") || quoted.ends_with(".proto"))
                && !quoted.contains(' ')
                && quoted.len() > 4
        })
        .collect()
}

#[test]
fn the_docs_name_only_files_the_repository_holds() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = vec!["README.md".to_string()];
    for dir in ["docs", "proto", "targets", "scripts", "src", "tests"] {
        repository_paths(root, &root.join(dir), &mut paths);
    }
    let mut missing = Vec::new();
    for file in markdown_files(root) {
        let text = std::fs::read_to_string(&file).unwrap();
        let prose = prose_lines(&text).join("\n");
        for name in named_doc_and_schema_files(&prose) {
            let held = paths
                .iter()
                .any(|path| path == name || path.ends_with(&format!("/{name}")));
            if !held && !NAMED_ELSEWHERE.contains(&name) {
                missing.push(format!(
                    "{}: {name}",
                    file.strip_prefix(root).unwrap().display()
                ));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "files the docs name that are not here:\n{}",
        missing.join("\n")
    );
}

#[test]
fn named_files_are_read_from_code_spans() {
    assert_eq!(
        named_doc_and_schema_files(
            "the `seed-schema.proto` and `docs/x.md`, not `a b.md` or `--json`"
        ),
        ["seed-schema.proto", "docs/x.md"]
    );
}

#[test]
fn the_readme_is_a_front_door() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let lines = std::fs::read_to_string(root.join("README.md"))
        .unwrap()
        .lines()
        .count();
    assert!(
        lines < 200,
        "README.md has {lines} lines: move the detail into docs/ by job"
    );
}
