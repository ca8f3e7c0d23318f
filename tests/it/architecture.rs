//! The crate's structure rules, checked on the source text under src/ (std
//! only, no parsing crate): no cycle among the modules at any level (the
//! crate's top-level modules, and the submodules of every directory module),
//! no function over 80 lines, no file over 500 lines, and a `//!` doc comment
//! opening every file. Each failure names its offenders, file:line first.
//! The function limit holds under tests/ as well.
//!
//! Module references are the paths that start with `crate::`, `super::` or
//! `self::` (brace groups of `use` included), outside comments, literals and
//! the `#[cfg(test)] mod tests` block at the end of a file.

#[path = "architecture/modules.rs"]
mod modules;
#[path = "architecture/source.rs"]
mod source;

use modules::{absolute_paths, describe_cycles, parent_modules, sibling_graph};
use source::{blank_comments_and_literals, functions, source_files, test_files, SourceFile};

const MAX_FUNCTION_LINES: usize = 80;
const MAX_FILE_LINES: usize = 500;
fn fail_with(rule: &str, offenders: &[String]) {
    assert!(
        offenders.is_empty(),
        "{rule}: {} offender(s)\n  {}",
        offenders.len(),
        offenders.join("\n  ")
    );
}

/// Who must not use whom among the crate's top-level modules: the client
/// (`transport`) and the built-in servers (`server`) sit side by side over
/// `net`, which holds what both use; `link` and `profile` use neither
/// side's internals, and `net` uses none of the four above it.
const SIDE_BY_SIDE: &[(&str, &str)] = &[
    ("server", "transport"),
    ("transport", "server"),
    ("link", "server"),
    ("link", "transport"),
    ("profile", "transport"),
    ("net", "transport"),
    ("net", "server"),
    ("net", "link"),
    ("net", "profile"),
];

#[test]
fn the_client_and_the_servers_sit_side_by_side_over_net() {
    let graph = sibling_graph(&source_files(), &[]);
    assert!(graph.contains_key("net"), "no src/net module in the graph");
    let offenders: Vec<String> = SIDE_BY_SIDE
        .iter()
        .filter_map(|(from, to)| {
            let places = graph.get(*from)?.get(*to)?;
            Some(format!("{}: {from} uses {to}", places.join(", ")))
        })
        .collect();
    fail_with(
        "imports across the client/server line (move what both use into net)",
        &offenders,
    );
}

#[test]
fn modules_form_no_cycle_at_any_level() {
    let files = source_files();
    let cycles: Vec<String> = parent_modules(&files)
        .iter()
        .flat_map(|parent| describe_cycles(&sibling_graph(&files, parent), parent))
        .collect();
    fail_with(
        "module cycles (a module must not use one that uses it back)",
        &cycles,
    );
}

/// The functions of `files` over [`MAX_FUNCTION_LINES`], `file:line` first.
fn long_functions(files: &[SourceFile]) -> Vec<String> {
    let mut long = Vec::new();
    for file in files {
        for (line, name, length) in functions(&file.code) {
            if length > MAX_FUNCTION_LINES {
                long.push(format!("{}:{line} fn {name}: {length} lines", file.path));
            }
        }
    }
    long
}

#[test]
fn no_function_is_longer_than_80_lines() {
    let long = long_functions(&source_files());
    fail_with(&format!("functions over {MAX_FUNCTION_LINES} lines"), &long);
}

/// The tests are code read as often as the source: the same limit holds
/// for every function under tests/, test or helper.
#[test]
fn no_test_function_is_longer_than_80_lines() {
    let files = test_files();
    assert!(
        files.iter().any(|f| f.path == "tests/it/architecture.rs"),
        "tests/ read from the crate root"
    );
    let long = long_functions(&files);
    fail_with(
        &format!("functions under tests/ over {MAX_FUNCTION_LINES} lines"),
        &long,
    );
}

#[test]
fn no_file_is_longer_than_500_lines() {
    let long: Vec<String> = source_files()
        .iter()
        .map(|file| (file, file.text.lines().count()))
        .filter(|(_, lines)| *lines > MAX_FILE_LINES)
        .map(|(file, lines)| format!("{}: {lines} lines", file.path))
        .collect();
    fail_with(&format!("files over {MAX_FILE_LINES} lines"), &long);
}

#[test]
fn every_file_opens_with_a_module_doc_comment() {
    let undocumented: Vec<String> = source_files()
        .iter()
        .filter(|file| !file.text.trim_start().starts_with("//!"))
        .map(|file| format!("{}:1 does not start with a `//!` comment", file.path))
        .collect();
    fail_with("files without a module doc comment", &undocumented);
}

#[test]
fn the_checker_reads_paths_and_functions_as_rust_does() {
    let module = ["run".to_string(), "bench".to_string()];
    let code = blank_comments_and_literals(
        "use crate::{cli, report::{table as t, self}};\n// crate::gpu\nlet s = \"crate::wire\";\n\
         let c = '\"'; super::sweep::go(); super::super::frame::x();\n#[cfg(test)]\nmod tests { crate::server }\n",
    );
    let paths: Vec<String> = absolute_paths(&code, &module)
        .into_iter()
        .map(|(line, p)| format!("{line}:{}", p.join("::")))
        .collect();
    assert_eq!(
        paths,
        [
            "1:cli",
            "1:report::table",
            "1:report",
            "4:run::sweep::go",
            "4:frame::x"
        ]
    );
    let code = blank_comments_and_literals("fn a() {\n    let b = \"}\";\n}\ntrait T {\n    fn d(x: [u8; 2]);\n}\nfn e() -> u8 { 1 }\n");
    assert_eq!(
        functions(&code),
        [(1, "a".to_string(), 3), (7, "e".to_string(), 1)]
    );
}
