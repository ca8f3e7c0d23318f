//! `--quiet`: the results and nothing else. A run prints its tables on
//! stdout either way; without `--quiet` stderr says how each scenario went,
//! with it stderr stays empty. (Off a terminal, as here, no bar draws.)

use crate::common::SmallRun;
use std::process::Command;

/// One 360x640 size, 2 bursts of 1 request, no warm-up.
const QUIET_RUN: SmallRun = SmallRun {
    size: "360x640",
    concurrency: "1",
    bursts: "2",
    warmup: "0",
};

fn bench(extra: &[&str]) -> (String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_imgwire"))
        .args(["bench", "--payloads", "basic", "--protocols", "rest"])
        .args(QUIET_RUN.args())
        .args(["--brief", "--no-color"])
        .args(extra)
        .output()
        .expect("imgwire runs");
    assert!(output.status.success(), "{output:?}");
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).unwrap();
    (text(output.stdout), text(output.stderr))
}

#[test]
fn quiet_runs_print_the_results_and_nothing_on_stderr() {
    let (stdout, stderr) = bench(&[]);
    assert!(stdout.contains("Seconds per burst"), "{stdout}");
    assert!(stderr.contains("[1/1] 360x640 basic REST"), "{stderr}");
    let (stdout, stderr) = bench(&["--quiet"]);
    assert!(stdout.contains("Seconds per burst"), "{stdout}");
    assert_eq!(stderr, "");
}
