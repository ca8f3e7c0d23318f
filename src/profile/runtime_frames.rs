//! Which frames of a stack are the machinery that runs the work rather than
//! the work: tokio's scheduler, task harness and blocking pool, thread
//! start (glibc's `clone3`/`start_thread`, std's `thread_start`), closure
//! and `FnOnce` shims, `catch_unwind`. A flamegraph of an async server is a
//! tower of 30 such frames with the work at the top; the folded view draws
//! each run of them as one `[runtime]` frame.
//!
//! A frame is told by its source file where the profile has one (inlined
//! frames carry only a short name such as `run` or `poll<...>`), else by
//! its function's path.

/// The frame that stands for a folded run of runtime frames.
pub const FOLDED: &str = "[runtime]";

/// Source files (as DWARF names them, any prefix) of runtime machinery.
const RUNTIME_FILES: &[&str] = &[
    "/src/runtime/",
    "/src/loom/",
    "/src/task/coop/",
    "library/std/src/panicking.rs",
    "library/std/src/panic.rs",
    "library/core/src/panic/unwind_safe.rs",
    "library/core/src/ops/function.rs",
    "library/core/src/future/future.rs",
    "library/std/src/thread/lifecycle.rs",
    "library/std/src/sys/thread/",
    "library/std/src/sys/pal/unix/thread.rs",
    "library/std/src/sys/backtrace.rs",
    "nptl/pthread_create.c",
    "x86_64/clone3.S",
    "x86_64/clone.S",
];

/// Function paths of runtime machinery, for frames without a file.
const RUNTIME_PATHS: &[&str] = &[
    "tokio::runtime::",
    "tokio::loom::",
    "tokio::task::coop::",
    "std::panicking::",
    "std::panic::catch_unwind",
    "core::panic::unwind_safe::",
    "core::ops::function::",
    "std::thread::",
    "std::sys::thread::",
    "std::sys::pal::unix::thread::",
    "std::sys::backtrace::__rust_begin_short_backtrace",
    "__rust_try",
];

/// glibc's thread start, by name.
const THREAD_START: &[&str] = &["clone", "clone3", "__clone", "__clone3", "start_thread"];

/// Whether a frame is runtime machinery, by its function name and source
/// file (empty where unknown).
pub fn is_runtime(name: &str, file: &str) -> bool {
    if THREAD_START.contains(&name) || is_boxed_fn_once_shim(name) {
        return true;
    }
    if !file.is_empty() && file != "Unknown" {
        let tokio_file = file.contains("/tokio-") || file.contains("/tokio/");
        return RUNTIME_FILES
            .iter()
            .any(|part| file.contains(part) && (tokio_file || !part.starts_with("/src/")));
    }
    let path = function_path(name);
    RUNTIME_PATHS.iter().any(|prefix| path.starts_with(prefix))
}

/// `<alloc::boxed::Box<dyn FnOnce...> as FnOnce<...>>::call_once`: the shim
/// every spawned thread's closure is called through.
fn is_boxed_fn_once_shim(name: &str) -> bool {
    name.starts_with("<alloc::boxed::Box<")
        && name.contains("FnOnce")
        && name.ends_with("call_once")
}

/// A function's own path, less the generic arguments that may name
/// anything (`poll<tokio::runtime::...>` is not tokio's); a qualified
/// `<Type as Trait>::f` keeps its type.
fn function_path(name: &str) -> &str {
    let name = name.strip_prefix('<').unwrap_or(name);
    name.split(['<', ' ']).next().unwrap_or(name)
}

/// One stack's frames, root first, with each run of runtime frames folded
/// into one `[runtime]` frame. A run that ends the stack (the runtime
/// itself on the CPU) keeps its innermost frame after the marker, so the
/// function burning the time keeps its name.
pub fn fold(frames: Vec<(String, bool)>) -> Vec<String> {
    let mut folded: Vec<String> = Vec::with_capacity(frames.len());
    let mut in_run = false;
    let last = frames.len().saturating_sub(1);
    for (index, (name, runtime)) in frames.into_iter().enumerate() {
        if !runtime {
            in_run = false;
            folded.push(name);
            continue;
        }
        if !in_run {
            folded.push(FOLDED.to_string());
            in_run = true;
        }
        if index == last {
            folded.push(name);
        }
    }
    folded
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKIO: &str = "/root/.cargo/registry/src/index.crates.io-1/tokio-1.54.1";
    const STD: &str = "/rustc/59807616/library/std/src";

    #[test]
    fn runtime_frames_are_told_by_file_then_by_path() {
        let harness = format!("{TOKIO}/src/runtime/task/harness.rs");
        assert!(is_runtime("poll_future<hyper::X>", &harness));
        assert!(is_runtime(
            "run",
            &format!("{TOKIO}/src/runtime/blocking/pool.rs")
        ));
        assert!(is_runtime(
            "catch_unwind<()>",
            &format!("{STD}/panicking.rs")
        ));
        assert!(is_runtime("start_thread", "./nptl/pthread_create.c"));
        assert!(is_runtime("tokio::runtime::task::raw::poll", ""));
        assert!(is_runtime("std::panicking::try::do_call", ""));
        assert!(is_runtime(
            "<alloc::boxed::Box<dyn core::ops::function::FnOnce<()>> as core::ops::function::FnOnce<()>>::call_once",
            "/rustc/1/library/alloc/src/boxed.rs"
        ));
    }

    #[test]
    fn the_work_is_never_runtime_even_when_its_generics_name_tokio() {
        assert!(!is_runtime("decode_mcu_fast", "libjpeg-turbo/src/jdhuff.c"));
        assert!(!is_runtime(
            "{closure#1}",
            "/work/imgwire/src/server/pipeline.rs"
        ));
        assert!(!is_runtime(
            "poll_read<mio::net::tcp::stream::TcpStream>",
            &format!("{TOKIO}/src/io/poll_evented.rs")
        ));
        assert!(!is_runtime(
            "drop<std::sync::poison::mutex::MutexGuard<tokio::runtime::blocking::pool::LockedInner>>",
            ""
        ));
        assert!(!is_runtime("run", "/work/imgwire/src/runtime/mod.rs"));
        assert!(!is_runtime("imgwire::server::decode::decode_turbojpeg", ""));
    }

    fn frames(spec: &[(&str, bool)]) -> Vec<(String, bool)> {
        spec.iter().map(|(n, r)| (n.to_string(), *r)).collect()
    }

    #[test]
    fn each_run_of_runtime_frames_folds_into_one() {
        let stack = frames(&[
            ("server", false),
            ("clone3", true),
            ("start_thread", true),
            ("run_worker", true),
            ("process_image", false),
            ("catch_unwind", true),
            ("call_once", true),
            ("decode_mcu_fast", false),
        ]);
        assert_eq!(
            fold(stack),
            ["server", FOLDED, "process_image", FOLDED, "decode_mcu_fast"]
        );
    }

    #[test]
    fn a_run_that_ends_the_stack_keeps_the_function_on_the_cpu() {
        let stack = frames(&[
            ("client", false),
            ("start_thread", true),
            ("run", true),
            ("worker_to_notify", true),
        ]);
        assert_eq!(fold(stack), ["client", FOLDED, "worker_to_notify"]);
    }
}
