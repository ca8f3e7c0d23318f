//! The bench command that reproduces a tune: the bench flags given to
//! `tune` exactly as given (the workload: `--images`, `--frames`,
//! `--quality`, `--server-decoder`, the load, the target...), less tune's
//! own flags, the knobs it turned and the files and views it wrote, then
//! the one scenario and the best configuration's flags.

use clap::parser::ValueSource;
use clap::{ArgAction, CommandFactory};

/// Arguments of `tune` a reproduce line does not carry as given: tune's
/// own, the one scenario (written from the plan, as tune's defaults are not
/// bench's), the knobs (written from the best configuration), and the
/// files and views of the search itself.
const NOT_CARRIED: [&str; 25] = [
    "budget_s",
    "confirm_rounds",
    "sizes",
    "payloads",
    "protocols",
    "h2_stream_window",
    "h2_connection_window",
    "h2_adaptive_window",
    "h2_max_frame",
    "grpc_channels",
    "rest_pool",
    "json",
    "csv",
    "markdown",
    "html",
    "charts",
    "trace",
    "save_requests",
    "flamegraph",
    "profile_hz",
    "flamegraph_threads",
    "brief",
    "wide",
    "quiet",
    "no_color",
];

/// The bench flags of a `tune` command line (`argv`, program name first)
/// that the reproduce line carries, each as `--long value` words; None
/// where `argv` is not a tune command line clap accepts.
pub fn given_bench_flags(argv: &[String]) -> Option<Vec<String>> {
    let cli = crate::Cli::command();
    let matches = cli.clone().try_get_matches_from(argv).ok()?;
    let given = matches.subcommand_matches("tune")?;
    let tune = cli.find_subcommand("tune")?;
    let mut words = Vec::new();
    for arg in tune.get_arguments() {
        let id = arg.get_id().as_str();
        let from_command_line = given.value_source(id) == Some(ValueSource::CommandLine);
        if !from_command_line || NOT_CARRIED.contains(&id) {
            continue;
        }
        let flag = format!("--{}", arg.get_long()?);
        match arg.get_action() {
            ArgAction::SetTrue | ArgAction::SetFalse => words.push(flag),
            ArgAction::Count => {
                let times = given.get_count(id);
                words.extend(std::iter::repeat_n(flag, usize::from(times)));
            }
            _ => {
                for occurrence in given.get_raw_occurrences(id)? {
                    let values: Vec<String> = occurrence
                        .map(|v| v.to_string_lossy().into_owned())
                        .collect();
                    words.push(flag.clone());
                    words.push(values.join(","));
                }
            }
        }
    }
    Some(words)
}

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

    fn argv(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn the_workload_is_carried_and_tunes_own_flags_are_not() {
        let words = given_bench_flags(&argv(&[
            "imgwire",
            "tune",
            "--quality",
            "80",
            "--frames",
            "4",
            "--server-decoder",
            "none",
            "-c",
            "8",
            "--budget-s",
            "5",
            "--grpc-channels",
            "2",
            "--json",
            "t.json",
            "--h2-adaptive-window",
            "--sizes",
            "48x64",
        ]))
        .unwrap();
        assert_eq!(
            words.join(" "),
            "--concurrency 8 --frames 4 --quality 80 --server-decoder none",
        );
    }

    #[test]
    fn words_the_shell_would_split_are_quoted() {
        assert_eq!(shell_quote("/tmp/photos"), "/tmp/photos");
        assert_eq!(shell_quote("my photos"), "'my photos'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
    }
}
