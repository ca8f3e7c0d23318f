//! The client's CPU figure against an independent count: the kernel's own
//! account of the bench process (wait4's rusage) bounds what the report
//! says the client and the built-in server used over the counted runs.

use crate::common;

use common::serve_process::imgwire;
use std::process::Stdio;

/// Runs `imgwire bench ARGS` to the end; its exit status, and the user +
/// system CPU seconds the kernel counted for it.
// The child is reaped by wait4, which std's Child does not know of.
#[allow(clippy::zombie_processes)]
fn bench_with_rusage(args: &[&str]) -> (i32, f64) {
    let child = imgwire()
        .arg("bench")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut status = 0;
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: waits for our own child, writing its status and rusage into
    // memory we own, zeroed beforehand.
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, usage.as_mut_ptr()) };
    assert_eq!(pid, child.id() as i32);
    // SAFETY: wait4 succeeded, so it filled the struct (zeroed before).
    let usage = unsafe { usage.assume_init() };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    (status, seconds(usage.ru_utime) + seconds(usage.ru_stime))
}

#[test]
fn the_client_and_server_cpu_add_up_to_no_more_than_the_kernel_counted() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("run.json");
    let (status, kernel_cpu_s) = bench_with_rusage(&[
        "--load",
        "closed",
        "-c",
        "4",
        "--duration",
        "1.5",
        "--warmup",
        "0",
        "--sizes",
        "48x64",
        "--payloads",
        "binary",
        "--protocols",
        "rest,grpc",
        "--export-json",
        json.to_str().unwrap(),
    ]);
    assert_eq!(status, 0);
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let mut counted_cpu_s = 0.0;
    for scenario in report["scenarios"].as_array().unwrap() {
        let cpu = &scenario["client_cpu"];
        let (client, server) = (
            cpu["cpu_s"].as_f64().unwrap(),
            cpu["in_process_server_cpu_s"].as_f64().unwrap(),
        );
        let (wall, cores) = (
            cpu["wall_s"].as_f64().unwrap(),
            cpu["cores"].as_f64().unwrap(),
        );
        // The built-in server did work for every request it answered.
        assert!(client > 0.0 && server > 0.0, "{cpu}");
        let share = cpu["share_of_cores"].as_f64().unwrap();
        assert!((share - client / wall / cores).abs() < 1e-9, "{cpu}");
        assert_eq!(cpu["saturated"].as_bool().unwrap(), share > 0.9, "{cpu}");
        // No window holds more CPU than its cores allow (a 10 ms tick of
        // slack for /proc's clock).
        assert!(client + server <= wall * cores + 0.02, "{cpu}");
        counted_cpu_s += client + server;
    }
    // The counted runs are part of the process's life: the kernel's count
    // holds them (the same tick of slack per scenario).
    assert!(
        counted_cpu_s <= kernel_cpu_s + 0.04,
        "{counted_cpu_s} vs {kernel_cpu_s}"
    );
    assert!(counted_cpu_s > 0.0);
}
