//! Plain-text layout shared by the terminal tables: column alignment,
//! wrapping prose to the terminal's width, first-seen ordering, plurals, and
//! byte sizes in binary units.

use std::fmt::Write;

/// Pads columns: the first `left_columns` left-aligned, the rest right-aligned.
pub fn align(rows: &[Vec<String>], left_columns: usize) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|t| t.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
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
    fn columns_align_left_then_right() {
        let rows = vec![
            vec!["a".to_string(), "1".to_string()],
            vec!["bbb".to_string(), "22".to_string()],
        ];
        assert_eq!(align(&rows, 1), "  a     1\n  bbb  22\n");
    }
}
