//! Colour for a terminal, added after layout so widths never count escape
//! codes: scenario headlines in bold, the faster protocol's `xN` in green.
//! Off when `--no-color` is given, NO_COLOR is set, or the stream is not a
//! terminal.

const BOLD: &str = "\x1b[1m";
const GREEN: &str = "\x1b[32m";
const RESET: &str = "\x1b[0m";

/// Whether to colour a stream: asked for, NO_COLOR unset, a terminal.
pub fn wanted(asked: bool, is_terminal: bool) -> bool {
    asked && is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// `text` with headlines bold and `xN` markers green.
pub fn paint(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 256);
    for line in text.split_inclusive('\n') {
        let headline = !line.starts_with(' ') && line.contains(" s/burst (p50 ");
        if headline {
            out.push_str(BOLD);
            out.push_str(line.trim_end_matches('\n'));
            out.push_str(RESET);
            if line.ends_with('\n') {
                out.push('\n');
            }
            continue;
        }
        let words: Vec<String> = line.split(' ').map(paint_ratio).collect();
        out.push_str(&words.join(" "));
    }
    out
}

/// `x1.7` in green; any other word as it is.
fn paint_ratio(word: &str) -> String {
    let is_ratio = word.len() > 1
        && word.starts_with('x')
        && word[1..].chars().all(|c| c.is_ascii_digit() || c == '.')
        && word[1..].contains('.');
    match is_ratio {
        true => format!("{GREEN}{word}{RESET}"),
        false => word.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headlines_are_bold_and_ratios_green() {
        let text = "360x640 binary REST: 0.0101 s/burst (p50 0.0096), 40 requests\n  0.0012 (0.001) x1.6  next\n";
        let painted = paint(text);
        assert!(painted.starts_with(BOLD) && painted.contains(&format!("{GREEN}x1.6{RESET}")));
        assert!(
            painted.contains("360x640"),
            "sizes are not ratios: {painted}"
        );
        assert!(!wanted(false, true) && !wanted(true, false));
    }
}
