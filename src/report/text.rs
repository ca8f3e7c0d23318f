//! Plain-text layout shared by every command's terminal output: the one
//! width rule (lines fit `WIDTH` columns unless `--wide`), column alignment
//! (tables too wide for the width split into blocks of columns), wrapping
//! prose and command lines, first-seen ordering, plurals, and byte sizes in
//! binary units.

use std::fmt::Write;

/// The columns every command's output fits, unless `--wide`.
pub const WIDTH: usize = 100;

/// The width a command's output is laid out to: `WIDTH`, or None (long
/// lines kept whole) under `--wide`.
pub fn width(wide: bool) -> Option<usize> {
    (!wide).then_some(WIDTH)
}

/// Pads columns: the first `left_columns` left-aligned, the rest right-aligned.
pub fn align(rows: &[Vec<String>], left_columns: usize) -> String {
    let widths = column_widths(rows);
    let mut out = String::new();
    for row in rows {
        out.push_str("  ");
        for (c, cell) in row.iter().enumerate() {
            let pad = " ".repeat(widths[c] - cell.chars().count());
            if c < left_columns {
                let _ = write!(out, "{cell}{pad}  ");
            } else {
                let _ = write!(out, "{pad}{cell}  ");
            }
        }
        let trimmed = out.trim_end().len();
        out.truncate(trimmed);
        out.push('\n');
    }
    out
}

/// `align`, but where the table would pass `width` its columns after the
/// first `left_columns` (the row names) go into blocks that fit, one table
/// under the other with a blank line between, each repeating the row names.
/// `None` keeps one table however wide.
pub fn align_within(rows: &[Vec<String>], left_columns: usize, width: Option<usize>) -> String {
    let widths = column_widths(rows);
    let names = left_columns.min(widths.len());
    let blocks = match width {
        Some(width) => column_blocks(&widths, names, width),
        None => Vec::new(),
    };
    if blocks.len() <= 1 {
        return align(rows, left_columns);
    }
    let tables: Vec<String> = blocks
        .iter()
        .map(|block| {
            let picked: Vec<Vec<String>> = rows
                .iter()
                .map(|row| {
                    (0..names)
                        .chain(block.iter().copied())
                        .map(|c| row.get(c).cloned().unwrap_or_default())
                        .collect()
                })
                .collect();
            align(&picked, left_columns)
        })
        .collect();
    tables.join("\n")
}

/// Each column's width in characters.
fn column_widths(rows: &[Vec<String>]) -> Vec<usize> {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|t| t.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect()
}

/// The columns after the first `names`, in order, packed into blocks whose
/// lines (the two-space lead, the names, two spaces between cells) fit
/// `width`; a column too wide for any block gets one of its own.
fn column_blocks(widths: &[usize], names: usize, width: usize) -> Vec<Vec<usize>> {
    let names_width: usize = 2 + widths[..names].iter().map(|w| w + 2).sum::<usize>();
    let mut blocks: Vec<Vec<usize>> = Vec::new();
    let mut block = Vec::new();
    let mut used = names_width;
    for (c, &w) in widths.iter().enumerate().skip(names) {
        if !block.is_empty() && used + w > width {
            blocks.push(std::mem::take(&mut block));
            used = names_width;
        }
        block.push(c);
        used += w + 2;
    }
    if !block.is_empty() {
        blocks.push(block);
    }
    blocks
}

/// A shell command line wrapped to `width` the way a shell reads it: breaks
/// before ` --` only (a flag stays with its value), each broken line ending
/// in ` \` and the next indented by four spaces. `None` keeps one line.
pub fn wrap_command(command: &str, width: Option<usize>) -> String {
    let Some(width) = width else {
        return format!("{command}\n");
    };
    let mut pieces = command.split(" --");
    let mut line = pieces.next().unwrap_or_default().to_string();
    let mut out = String::new();
    for piece in pieces {
        let piece = format!("--{piece}");
        if line.chars().count() + 1 + piece.chars().count() + 2 > width {
            let _ = writeln!(out, "{line} \\");
            line = format!("    {piece}");
        } else {
            line = format!("{line} {piece}");
        }
    }
    out.push_str(&line);
    out.push('\n');
    out
}

/// Wraps `text` at spaces so no line passes `width` (a word longer than
/// that keeps its own line); lines after the first start with `indent`.
/// `None` keeps the text on one line.
pub fn wrap(text: &str, width: Option<usize>, indent: &str) -> String {
    let Some(width) = width else {
        return format!("{text}\n");
    };
    let body = text.trim_start_matches(' ');
    let mut out = String::new();
    let mut line = text[..text.len() - body.len()].to_string();
    let mut words_on_line = 0;
    for word in body.split(' ').filter(|w| !w.is_empty()) {
        let room = line.chars().count() + 1 + word.chars().count();
        if words_on_line > 0 && room > width {
            out.push_str(&line);
            out.push('\n');
            line = indent.to_string();
            words_on_line = 0;
        } else if words_on_line > 0 {
            line.push(' ');
        }
        line.push_str(word);
        words_on_line += 1;
    }
    out.push_str(&line);
    out.push('\n');
    out
}

/// `1 burst`, `2 bursts`.
pub fn plural(count: usize, noun: &str) -> String {
    match count {
        1 => format!("1 {noun}"),
        n => format!("{n} {noun}s"),
    }
}

/// A field as CSV has it: quoted (with quotes doubled) when it holds a
/// comma, a quote or a line break.
pub fn csv_field(field: &str) -> String {
    match field.contains([',', '"', '\n', '\r']) {
        true => format!("\"{}\"", field.replace('"', "\"\"")),
        false => field.to_string(),
    }
}

/// The distinct items in the order first seen.
pub fn unique<T: PartialEq>(items: impl Iterator<Item = T>) -> Vec<T> {
    let mut seen = Vec::new();
    for item in items {
        if !seen.contains(&item) {
            seen.push(item);
        }
    }
    seen
}

/// A byte count in the largest binary unit that divides it: `4 MiB`,
/// `256 KiB`, `1000 B`.
pub fn format_bytes(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} B"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_take_the_largest_unit_that_divides_them() {
        assert_eq!(format_bytes(4 << 20), "4 MiB");
        assert_eq!(format_bytes(256 << 10), "256 KiB");
        assert_eq!(format_bytes(1536 << 10), "1536 KiB");
        assert_eq!(format_bytes(1000), "1000 B");
        assert_eq!(format_bytes(0), "0 B");
    }

    #[test]
    fn prose_wraps_at_spaces_with_an_indent() {
        let text = "aaaa bbbb cccc dddd";
        assert_eq!(wrap(text, Some(10), "  "), "aaaa bbbb\n  cccc\n  dddd\n");
        assert_eq!(wrap(text, None, "  "), "aaaa bbbb cccc dddd\n");
        assert_eq!(
            wrap("averyveryverylongword x", Some(5), ""),
            "averyveryverylongword\nx\n"
        );
        assert_eq!(plural(1, "burst"), "1 burst");
        assert_eq!(plural(3, "burst"), "3 bursts");
    }

    #[test]
    fn csv_fields_with_commas_or_quotes_are_quoted() {
        assert_eq!(csv_field("noise"), "noise");
        assert_eq!(csv_field("files:a,b"), "\"files:a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }

    #[test]
    fn a_table_too_wide_splits_into_blocks_that_repeat_the_row_names() {
        let rows = vec![
            ["name", "first", "second", "third"]
                .map(String::from)
                .to_vec(),
            ["a", "1", "22", "333"].map(String::from).to_vec(),
        ];
        let whole = align(&rows, 1);
        assert_eq!(align_within(&rows, 1, None), whole);
        assert_eq!(align_within(&rows, 1, Some(28)), whole);
        let split = align_within(&rows, 1, Some(22));
        assert_eq!(
            split,
            "  name  first  second\n  a         1      22\n\n  name  third\n  a       333\n"
        );
        assert!(split.lines().all(|l| l.chars().count() <= 22), "{split}");
        // A column wider than the width alone still gets printed.
        assert!(align_within(&rows, 1, Some(5)).contains("333"));
    }

    #[test]
    fn a_command_line_breaks_before_a_flag_with_a_backslash() {
        let command = "imgwire bench --sizes 48x64 --payloads binary --protocols grpc";
        assert_eq!(wrap_command(command, None), format!("{command}\n"));
        let wrapped = wrap_command(command, Some(40));
        assert_eq!(
            wrapped,
            "imgwire bench --sizes 48x64 \\\n    --payloads binary --protocols grpc\n"
        );
        assert!(
            wrapped.lines().all(|l| l.chars().count() <= 40),
            "{wrapped}"
        );
        let joined = wrapped.replace(" \\\n    ", " ");
        assert_eq!(joined.trim_end(), command);
    }

    #[test]
    fn columns_align_left_then_right() {
        let rows = vec![
            vec!["a".to_string(), "1".to_string()],
            vec!["bbb".to_string(), "22".to_string()],
        ];
        assert_eq!(align(&rows, 1), "  a     1\n  bbb  22\n");
    }
}
