//! The source text under src/: the files and their module paths, the text
//! with comments and literals blanked out, its tokens, and its functions.

use std::fs;
use std::path::{Path, PathBuf};

/// One file under src/.
pub struct SourceFile {
    /// Relative to the crate root: `src/run/bench.rs`.
    pub path: String,
    /// `["run", "bench"]`; `[]` for lib.rs; None for main.rs (the binary).
    pub module: Option<Vec<String>>,
    pub text: String,
    /// The text with comments and literals blanked out (newlines kept).
    pub code: String,
}

/// A lexical token of blanked-out code.
#[derive(Clone, Debug, PartialEq)]
pub enum Token {
    Word(String),
    /// `::`
    PathSep,
    Punct(char),
}

/// Every .rs file under src/, in path order.
pub fn source_files() -> Vec<SourceFile> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let src = root.join("src");
    let mut paths = Vec::new();
    collect_rust_files(&src, &mut paths);
    paths.sort();
    let read = |path: PathBuf| {
        let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
        let relative = path.strip_prefix(&src).expect("under src/");
        SourceFile {
            path: format!("src/{}", relative.display()),
            module: module_path(relative),
            code: blank_comments_and_literals(&text),
            text,
        }
    };
    paths.into_iter().map(read).collect()
}

/// Every .rs file under tests/, in path order, named from the crate root
/// (`tests/it/cli.rs`); no module path: the test binaries are not the crate.
pub fn test_files() -> Vec<SourceFile> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = Vec::new();
    collect_rust_files(&root.join("tests"), &mut paths);
    paths.sort();
    let read = |path: PathBuf| {
        let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
        let relative = path.strip_prefix(root).expect("under the crate root");
        SourceFile {
            path: relative.display().to_string(),
            module: None,
            code: blank_comments_and_literals(&text),
            text,
        }
    };
    paths.into_iter().map(read).collect()
}

fn collect_rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = fs::read_dir(dir).unwrap_or_else(|e| panic!("{dir:?}: {e}"));
    for entry in entries.map(|e| e.expect("directory entry").path()) {
        if entry.is_dir() {
            collect_rust_files(&entry, out);
        } else if entry.extension().is_some_and(|ext| ext == "rs") {
            out.push(entry);
        }
    }
}

/// `lib.rs` is the crate root, `a/mod.rs` is `a`, `a/b.rs` is `a::b`;
/// `main.rs` (the binary, which sees the library as `imgwire::`) is None.
fn module_path(relative: &Path) -> Option<Vec<String>> {
    let mut parts: Vec<String> = relative
        .iter()
        .map(|part| part.to_string_lossy().into_owned())
        .collect();
    let file = parts.pop()?;
    match (parts.is_empty(), file.strip_suffix(".rs")?) {
        (true, "lib") => Some(parts),
        (true, "main") => None,
        (_, "mod") => Some(parts),
        (_, stem) => {
            parts.push(stem.to_string());
            Some(parts)
        }
    }
}

/// `text` with every comment and string/char literal replaced by spaces,
/// newlines kept, so line numbers and the remaining code stay in place.
pub fn blank_comments_and_literals(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        match skipped_span_end(&chars, i) {
            Some(end) => {
                let blank = chars[i..end]
                    .iter()
                    .map(|&c| if c == '\n' { c } else { ' ' });
                out.extend(blank);
                i = end;
            }
            None => {
                out.push(chars[i]);
                i += 1;
            }
        }
    }
    out
}

/// Where the comment or literal that starts at `i` ends (exclusive), if one does.
fn skipped_span_end(chars: &[char], i: usize) -> Option<usize> {
    let at = |k: usize| chars.get(k).copied().unwrap_or('\0');
    // `r"` opens a raw string after a non-word character or a lone `b`.
    let raw_can_open = !word_before(chars, i) || (at(i - 1) == 'b' && !word_before(chars, i - 1));
    match (at(i), at(i + 1)) {
        ('/', '/') => Some(position_from(chars, i, '\n').unwrap_or(chars.len())),
        ('/', '*') => Some(block_comment_end(chars, i)),
        ('"', _) => Some(string_end(chars, i + 1)),
        ('r', '"' | '#') if raw_can_open => raw_string_end(chars, i + 1),
        ('\'', '\\') => Some(position_from(chars, i + 3, '\'').map_or(chars.len(), |k| k + 1)),
        ('\'', _) if at(i + 2) == '\'' => Some(i + 3),
        _ => None, // code, or a lifetime
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn word_before(chars: &[char], i: usize) -> bool {
    i > 0 && is_word_char(chars[i - 1])
}

fn position_from(chars: &[char], from: usize, wanted: char) -> Option<usize> {
    (from..chars.len()).find(|&k| chars[k] == wanted)
}

/// End of the (possibly nested) block comment opening at `i`.
fn block_comment_end(chars: &[char], i: usize) -> usize {
    let (mut depth, mut k) = (0usize, i);
    while k + 1 < chars.len() {
        match (chars[k], chars[k + 1]) {
            ('/', '*') => (depth, k) = (depth + 1, k + 2),
            ('*', '/') if depth == 1 => return k + 2,
            ('*', '/') => (depth, k) = (depth - 1, k + 2),
            _ => k += 1,
        }
    }
    chars.len()
}

/// End of a string literal whose contents start at `from`.
fn string_end(chars: &[char], from: usize) -> usize {
    let mut k = from;
    while k < chars.len() {
        match chars[k] {
            '\\' => k += 2,
            '"' => return k + 1,
            _ => k += 1,
        }
    }
    chars.len()
}

/// End of a raw string `r#"..."#` whose hashes (or quote) start at `from`;
/// None where it is a raw identifier (`r#type`).
fn raw_string_end(chars: &[char], from: usize) -> Option<usize> {
    let hashes = chars[from..].iter().take_while(|&&c| c == '#').count();
    if chars.get(from + hashes) != Some(&'"') {
        return None;
    }
    let closing: Vec<char> = std::iter::once('"')
        .chain(std::iter::repeat_n('#', hashes))
        .collect();
    let body = from + hashes + 1;
    let end = (body..chars.len()).find(|&k| chars[k..].starts_with(&closing));
    Some(end.map_or(chars.len(), |k| k + closing.len()))
}

/// `code` up to the `#[cfg(test)]` that opens the file's tests module.
pub fn without_tests_module(code: &str) -> &str {
    let lines: Vec<&str> = code.split_inclusive('\n').collect();
    let opens_tests = |index: usize| {
        let next = lines[index + 1..]
            .iter()
            .map(|l| l.trim())
            .find(|l| !l.is_empty());
        lines[index].trim() == "#[cfg(test)]" && next.is_some_and(|l| l.starts_with("mod "))
    };
    match (0..lines.len()).find(|&index| opens_tests(index)) {
        Some(index) => &code[..lines[..index].iter().map(|l| l.len()).sum::<usize>()],
        None => code,
    }
}

/// The tokens of blanked-out code, each with its line.
pub fn tokens(code: &str) -> Vec<(usize, Token)> {
    let chars: Vec<char> = code.chars().collect();
    let (mut out, mut line, mut i) = (Vec::new(), 1, 0);
    while i < chars.len() {
        let c = chars[i];
        if is_word_char(c) {
            let end = (i..chars.len())
                .find(|&k| !is_word_char(chars[k]))
                .unwrap_or(chars.len());
            out.push((line, Token::Word(chars[i..end].iter().collect())));
            i = end;
            continue;
        }
        if c == ':' && chars.get(i + 1) == Some(&':') {
            out.push((line, Token::PathSep));
            i += 2;
            continue;
        }
        if c == '\n' {
            line += 1;
        } else if !c.is_whitespace() {
            out.push((line, Token::Punct(c)));
        }
        i += 1;
    }
    out
}

// ------------------------------------------------------------ function size

/// Functions with a body in `code`: (line of `fn`, name, lines to the closing brace).
pub fn functions(code: &str) -> Vec<(usize, String, usize)> {
    let toks = tokens(code);
    let mut out = Vec::new();
    for i in 0..toks.len() {
        let (Token::Word(keyword), Some((_, Token::Word(name)))) = (&toks[i].1, toks.get(i + 1))
        else {
            continue;
        };
        if keyword != "fn" {
            continue;
        }
        if let Some(end_line) = body_end_line(&toks, i + 2) {
            out.push((toks[i].0, name.clone(), end_line - toks[i].0 + 1));
        }
    }
    out
}

/// The line of the brace closing the body of the function whose signature
/// continues at token `i`; None for a declaration without a body.
fn body_end_line(toks: &[(usize, Token)], i: usize) -> Option<usize> {
    let (mut nesting, mut braces) = (0i32, 0i32);
    for (line, token) in &toks[i..] {
        match token {
            Token::Punct('(' | '[') => nesting += 1,
            Token::Punct(')' | ']') => nesting -= 1,
            Token::Punct(';') if nesting == 0 && braces == 0 => return None,
            Token::Punct('{') => braces += 1,
            Token::Punct('}') if braces == 1 => return Some(*line),
            Token::Punct('}') => braces -= 1,
            _ => {}
        }
    }
    None
}
