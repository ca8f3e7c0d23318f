//! docs/cli.md is the flag list of every command, made from the real
//! binary's help: each command's section lists every long flag its
//! `--help` shows, and no flag that it does not, so the file cannot go
//! stale. `IMGWIRE_WRITE_CLI_DOC=1 cargo test --release --test cli_doc`
//! rewrites it from the binary.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

/// Setting this variable rewrites docs/cli.md instead of checking it.
const WRITE_VAR: &str = "IMGWIRE_WRITE_CLI_DOC";

fn cli_doc_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/cli.md")
}

/// What `imgwire ARGS` prints on stdout (help goes there, status 0).
fn imgwire_output(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_imgwire"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("the imgwire binary runs");
    assert!(output.status.success(), "imgwire {args:?} failed");
    String::from_utf8(output.stdout).expect("help is UTF-8")
}

/// The subcommands `imgwire --help` lists, with their one-line summaries
/// (clap's own `help` left out).
fn subcommands() -> Vec<(String, String)> {
    let help = imgwire_output(&["--help"]);
    let mut in_commands = false;
    let mut found = Vec::new();
    for line in help.lines() {
        if line == "Commands:" {
            in_commands = true;
        } else if in_commands && line.starts_with("  ") {
            let (name, about) = line.trim().split_once(' ').unwrap_or((line.trim(), ""));
            if name != "help" {
                found.push((name.to_string(), about.trim().to_string()));
            }
        } else if in_commands {
            break;
        }
    }
    found
}

/// One entry of a help's Arguments or Options: the flag as written
/// (`-c, --concurrency <CONCURRENCY>`) and what it does.
#[derive(Debug, PartialEq)]
struct HelpEntry {
    spec: String,
    about: String,
}

/// A command's help, read: its summary, usage line and entries.
#[derive(Debug, Default)]
struct Help {
    summary: String,
    usage: String,
    entries: Vec<HelpEntry>,
}

/// Reads clap's help layout: an entry starts a line indented less than 10
/// columns with `-` or `<`; its text follows two spaces on, or on the lines
/// indented further below it.
fn parse_help(text: &str) -> Help {
    let mut help = Help::default();
    for line in text.lines() {
        let indent = line.len() - line.trim_start().len();
        let trimmed = line.trim();
        if let Some(usage) = line.strip_prefix("Usage: ") {
            help.usage = usage.to_string();
        } else if indent == 0 && !trimmed.is_empty() && !trimmed.ends_with(':') {
            help.summary = trimmed.to_string();
        } else if indent > 0
            && indent < 10
            && (trimmed.starts_with('-') || trimmed.starts_with('<'))
        {
            let (spec, about) = match trimmed.split_once("  ") {
                Some((spec, about)) => (spec, about.trim()),
                None => (trimmed, ""),
            };
            help.entries.push(HelpEntry {
                spec: spec.to_string(),
                about: about.to_string(),
            });
        } else if indent >= 10 && !trimmed.is_empty() {
            if let Some(entry) = help.entries.last_mut() {
                if !entry.about.is_empty() {
                    entry.about.push(' ');
                }
                entry.about.push_str(trimmed);
            }
        }
    }
    help
}

/// Every `--long` flag in `text` (`--tls-cert` from `--tls-cert <PEM>`).
fn long_flags(text: &str) -> BTreeSet<String> {
    let mut flags = BTreeSet::new();
    for (at, _) in text.match_indices("--") {
        let name: String = text[at + 2..]
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')
            .collect();
        let before = text[..at].chars().next_back();
        if !name.is_empty() && !matches!(before, Some(c) if c.is_ascii_alphanumeric() || c == '-') {
            flags.insert(format!("--{}", name.trim_end_matches('-')));
        }
    }
    flags
}

/// The flags a command's `--help` shows (its entries' specs only, not the
/// flags their descriptions mention).
fn help_flags(command: &str) -> BTreeSet<String> {
    parse_help(&imgwire_output(&[command, "--help"]))
        .entries
        .iter()
        .flat_map(|entry| long_flags(&entry.spec))
        .collect()
}

fn table_cell(text: &str) -> String {
    text.replace('|', "\\|")
}

/// docs/cli.md as the binary's help says it now.
fn render_cli_doc() -> String {
    let mut doc = String::from(
        "# Command-line reference\n\n\
         Every flag of every `imgwire` command, as its `-h` prints it (`--help` adds the\n\
         possible values' descriptions). Generated from the binary:\n\
         `IMGWIRE_WRITE_CLI_DOC=1 cargo test --release --test cli_doc` rewrites this\n\
         file, and that test fails when a flag `--help` shows is missing here or a\n\
         flag listed here is gone. What the flags are for, by job:\n\
         [guide.md](guide.md).\n\n",
    );
    let commands = subcommands();
    for (name, about) in &commands {
        doc.push_str(&format!("- [`imgwire {name}`](#imgwire-{name}): {about}\n"));
    }
    for (name, _) in &commands {
        let help = parse_help(&imgwire_output(&[name, "-h"]));
        doc.push_str(&format!("\n## imgwire {name}\n\n{}\n\n", help.summary));
        doc.push_str(&format!("Usage: `{}`\n\n", help.usage));
        doc.push_str("| flag | what it does |\n| --- | --- |\n");
        for entry in &help.entries {
            doc.push_str(&format!(
                "| `{}` | {} |\n",
                table_cell(&entry.spec),
                table_cell(&entry.about)
            ));
        }
    }
    doc
}

/// docs/cli.md's sections: command name -> the flags its table rows list
/// in their first cell.
fn documented_flags(doc: &str) -> Vec<(String, BTreeSet<String>)> {
    let mut sections: Vec<(String, BTreeSet<String>)> = Vec::new();
    for line in doc.lines() {
        if let Some(name) = line.strip_prefix("## imgwire ") {
            sections.push((name.trim().to_string(), BTreeSet::new()));
        } else if let (Some(row), Some((_, flags))) =
            (line.strip_prefix("| `"), sections.last_mut())
        {
            let first_cell = row.split(" | ").next().unwrap_or("");
            flags.extend(long_flags(first_cell));
        }
    }
    sections
}

#[test]
fn the_cli_doc_lists_every_flag_of_every_command() {
    if std::env::var_os(WRITE_VAR).is_some() {
        std::fs::write(cli_doc_path(), render_cli_doc()).expect("docs/cli.md is writable");
    }
    let doc = std::fs::read_to_string(cli_doc_path()).expect("docs/cli.md exists");
    let documented = documented_flags(&doc);
    let mut problems = Vec::new();
    let commands = subcommands();
    assert!(
        commands.len() >= 5,
        "imgwire --help lists its commands: {commands:?}"
    );
    for (command, _) in &commands {
        let shown = help_flags(command);
        assert!(
            shown.contains("--help"),
            "read no flags from `imgwire {command} --help`"
        );
        let Some((_, listed)) = documented.iter().find(|(name, _)| name == command) else {
            problems.push(format!("no section `## imgwire {command}`"));
            continue;
        };
        for flag in shown.difference(listed) {
            problems.push(format!(
                "imgwire {command} {flag}: in --help, not in docs/cli.md"
            ));
        }
        for flag in listed.difference(&shown) {
            problems.push(format!(
                "imgwire {command} {flag}: in docs/cli.md, not in --help"
            ));
        }
    }
    for (name, _) in &documented {
        if !commands.iter().any(|(command, _)| command == name) {
            problems.push(format!(
                "docs/cli.md documents `imgwire {name}`, which is no command"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "docs/cli.md is stale (rewrite it: {WRITE_VAR}=1 cargo test --release --test cli_doc):\n{}",
        problems.join("\n")
    );
}

#[test]
fn help_entries_are_read_in_both_of_clap_s_layouts() {
    let help = parse_help(
        "Does a thing\n\nUsage: imgwire x [OPTIONS] <A>\n\nArguments:\n  <A>  The input\n\n\
         Options:\n      --fail-if-slower <PCT>  Exit with status 3\n  -c, --concurrency <C>\n          \
         Concurrent requests\n  -h, --help  Print help\n",
    );
    assert_eq!(help.summary, "Does a thing");
    assert_eq!(help.usage, "imgwire x [OPTIONS] <A>");
    let specs: Vec<&str> = help.entries.iter().map(|e| e.spec.as_str()).collect();
    assert_eq!(
        specs,
        [
            "<A>",
            "--fail-if-slower <PCT>",
            "-c, --concurrency <C>",
            "-h, --help"
        ]
    );
    assert_eq!(help.entries[2].about, "Concurrent requests");
    assert_eq!(
        long_flags("-c, --concurrency <C>, --json, not-a--flag"),
        BTreeSet::from(["--concurrency".to_string(), "--json".to_string()])
    );
}

#[test]
fn a_documented_flag_is_found_in_its_command_s_section_only() {
    let doc =
        "## imgwire bench\n\n| flag | what |\n| --- | --- |\n| `--sizes <S>` | see --wide |\n\
               \n## imgwire serve\n\n| `--rest-addr <A>` | where |\n";
    let sections = documented_flags(doc);
    assert_eq!(sections.len(), 2);
    assert_eq!(sections[0].1, BTreeSet::from(["--sizes".to_string()]));
    assert_eq!(sections[1].1, BTreeSet::from(["--rest-addr".to_string()]));
}
