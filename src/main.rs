//! The `imgwire` binary: parse, run, print `error: ...` and exit non-zero
//! (3 when `compare --fail-if-slower` finds a regression, 4 when it could
//! not compare, 1 otherwise).
use clap::Parser;

fn main() {
    limit_malloc_arenas();
    let argv_os: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let mut cli = imgwire::Cli::parse_from(&argv_os);
    let argv: Vec<String> = argv_os
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    imgwire::cli::tune::remember_command_line(&mut cli, &argv);
    if let Err(err) = imgwire::run(cli) {
        eprintln!("error: {}", message(&err));
        let status = if err.is::<imgwire::compare::SlowerThanAllowed>() {
            imgwire::compare::EXIT_SLOWER
        } else if err.is::<imgwire::compare::NotCompared>() {
            imgwire::compare::EXIT_NOT_COMPARED
        } else {
            1
        };
        std::process::exit(status);
    }
}

/// The error and its causes, `: `-joined, each cause once: a cause whose
/// text the message already holds (an error that prints its source, as
/// `could not read 'a.json': No such file...` does) is not repeated.
fn message(err: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

/// One glibc malloc arena per core instead of glibc's eight: a request's
/// megabytes (bodies, base64 text, decoded images) are allocated and freed
/// on whichever runtime or decode thread runs it, and memory freed in one
/// arena serves only the threads of that arena, so with many arenas each
/// keeps its own high water and the process's peak RSS adds them up
/// (measured in docs/design.md, "Memory"). No more threads than cores run
/// at once, and glibc hands a thread whichever arena is free, so they seldom
/// wait for one. `MALLOC_ARENA_MAX` in the environment still decides where
/// it is set.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn limit_malloc_arenas() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_some() {
        return;
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let arenas = i32::try_from(cores).unwrap_or(i32::MAX);
    // SAFETY: mallopt only sets one of malloc's tuning parameters, and it
    // runs first thing in main, before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, arenas);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn limit_malloc_arenas() {}
