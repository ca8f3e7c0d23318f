//! The integration tests that need the process, or the machine, to
//! themselves, as one binary: an in-process CPU profiler (one per process,
//! and its SIGPROF interrupts every thread's blocking reads), timing checks
//! of the `--link` relay and of `imgwire compare`'s intervals, and the
//! kernel's `tc` links (root only: `cargo test --release --test serial --
//! --ignored tc::`, run by .ci/run). The tests that need it take turns
//! through [`one_at_a_time`]; `cargo test` runs this binary after or before
//! the others, never beside them.

#[path = "../common/mod.rs"]
mod common;

mod compare;
mod encode_vs_bench;
mod flamegraph;
mod hardening_slow_clients;
mod link;
mod output_registry;
mod sweep;
mod tc;

use std::sync::{Mutex, MutexGuard};

/// The turn of a test that profiles in process or times what it measures:
/// held for the test's length, it keeps the others that take it waiting (a
/// failed test's poisoned turn passes on).
pub fn one_at_a_time() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    TURN.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
