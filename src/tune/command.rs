//! How the reproduce line writes the words of the command given to tune
//! (`cli::tune::given_bench_flags` picks them): quoted where a shell
//! would take them apart.

/// `word` as a POSIX shell reads it back: as it is where it holds nothing
/// the shell would take apart, in single quotes otherwise.
pub fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:,=@%+".contains(c));
    match plain {
        true => word.to_string(),
        false => format!("'{}'", word.replace('\'', r"'\''")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_the_shell_would_split_are_quoted() {
        assert_eq!(shell_quote("/tmp/photos"), "/tmp/photos");
        assert_eq!(shell_quote("my photos"), "'my photos'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
    }
}
