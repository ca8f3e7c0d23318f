//! How busy the client itself was: the process's CPU time (user + system,
//! every thread) over a window, less what the threads of the built-in
//! server, link relays and trace receiver (`server-*`, `link-*`,
//! `traces-*`) used in it, as a share of
//! the cores the client could use, so a report can say when the client,
//! not the server, may be the limit.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Above this share of its cores the client is called saturated: its own
/// work may be what holds the figures down.
pub const SATURATED_SHARE: f64 = 0.9;

/// Name prefixes of the threads that are not the client: the built-in
/// server's runtime, the `--link` relays' (`net::threads`) and the
/// `--collect-traces` receiver's (`server_trace`).
pub const NOT_CLIENT_THREADS: [&str; 3] = ["server-", "link-", "traces-"];

/// A reading of the process's CPU clock, of each thread that is not the
/// client's, and of the wall clock, together.
#[derive(Clone, Debug)]
pub struct CpuMark {
    cpu: Duration,
    others: HashMap<u32, Duration>,
    wall: Instant,
}

/// The client's CPU use over one window (in JSON with its
/// `share_of_cores` and whether it was `saturated`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClientCpu {
    /// CPU seconds the client's threads used in the window: every thread
    /// of the process but the built-in server's and the link relays'.
    pub cpu_s: f64,
    /// CPU seconds the built-in server's and relays' threads used in the
    /// same window, on the same cores (0 against a server elsewhere).
    pub in_process_server_cpu_s: f64,
    /// The window's wall seconds.
    pub wall_s: f64,
    /// Cores the process could run on.
    pub cores: usize,
}

impl CpuMark {
    /// Now.
    pub fn now() -> CpuMark {
        CpuMark {
            cpu: process_cpu_time(),
            others: threads_cpu_time(&NOT_CLIENT_THREADS),
            wall: Instant::now(),
        }
    }

    /// The CPU use since this mark, on `cores` cores. A server thread that
    /// ended in between is counted as the client's for the part of the
    /// window it lived (the runtimes keep their threads while they serve).
    pub fn since(&self, cores: usize) -> ClientCpu {
        let later = CpuMark::now();
        let others: Duration = (later.others.iter())
            .map(|(tid, now)| now.saturating_sub(self.others.get(tid).copied().unwrap_or_default()))
            .sum();
        let process = later.cpu.saturating_sub(self.cpu);
        ClientCpu {
            cpu_s: process.saturating_sub(others).as_secs_f64(),
            in_process_server_cpu_s: others.min(process).as_secs_f64(),
            wall_s: later.wall.duration_since(self.wall).as_secs_f64(),
            cores: cores.max(1),
        }
    }
}

impl ClientCpu {
    /// CPU seconds per wall second per core: 1.0 is every core busy.
    pub fn share_of_cores(&self) -> f64 {
        match self.wall_s > 0.0 {
            true => self.cpu_s / self.wall_s / self.cores as f64,
            false => 0.0,
        }
    }

    /// Whether the client used more than [`SATURATED_SHARE`] of its cores.
    pub fn saturated(&self) -> bool {
        self.share_of_cores() > SATURATED_SHARE
    }
}

impl serde::Serialize for ClientCpu {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut fields = serializer.serialize_struct("ClientCpu", 6)?;
        fields.serialize_field("cpu_s", &self.cpu_s)?;
        fields.serialize_field("in_process_server_cpu_s", &self.in_process_server_cpu_s)?;
        fields.serialize_field("wall_s", &self.wall_s)?;
        fields.serialize_field("cores", &self.cores)?;
        fields.serialize_field("share_of_cores", &self.share_of_cores())?;
        fields.serialize_field("saturated", &self.saturated())?;
        fields.end()
    }
}

/// User plus system CPU time of every thread of this process.
pub fn process_cpu_time() -> Duration {
    usage_of(libc::RUSAGE_SELF)
}

/// User plus system CPU time of each thread of this process whose name
/// starts with one of `prefixes`, by thread id (from /proc; empty where
/// /proc cannot be read).
pub fn threads_cpu_time(prefixes: &[&str]) -> HashMap<u32, Duration> {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return HashMap::new();
    };
    tasks
        .flatten()
        .filter_map(|task| {
            let tid: u32 = task.file_name().to_str()?.parse().ok()?;
            let name = std::fs::read_to_string(task.path().join("comm")).ok()?;
            prefixes.iter().find(|p| name.starts_with(*p))?;
            let stat = std::fs::read_to_string(task.path().join("stat")).ok()?;
            Some((tid, stat_cpu_time(&stat)?))
        })
        .collect()
}

/// utime + stime of a `/proc/.../stat` line (fields 14 and 15, in clock
/// ticks), read after the command name, which may hold spaces.
fn stat_cpu_time(stat: &str) -> Option<Duration> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // SAFETY: sysconf only reads a configuration value.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    let per_second = u64::try_from(per_second).ok().filter(|&t| t > 0)?;
    Some(Duration::from_nanos(ticks * 1_000_000_000 / per_second))
}

/// User plus system CPU time of the calling thread.
pub fn thread_cpu_time() -> Duration {
    usage_of(libc::RUSAGE_THREAD)
}

fn usage_of(who: libc::c_int) -> Duration {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes one rusage into the pointer it is given,
    // which points at a zeroed rusage of the right size that we own.
    let result = unsafe { libc::getrusage(who, usage.as_mut_ptr()) };
    if result != 0 {
        return Duration::ZERO;
    }
    // SAFETY: getrusage succeeded, so it filled the struct (and it was
    // zeroed before, so every field is initialised either way).
    let usage = unsafe { usage.assume_init() };
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec.max(0) as u64) + Duration::from_micros(t.tv_usec.max(0) as u64)
    };
    time(usage.ru_utime) + time(usage.ru_stime)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Spins until this thread itself has used `cpu` of CPU time.
    fn spin_for_cpu(cpu: Duration) {
        let start = thread_cpu_time();
        let mut x = 0u64;
        while thread_cpu_time() - start < cpu {
            for i in 0..10_000u64 {
                x = x.wrapping_mul(31).wrapping_add(i);
            }
            std::hint::black_box(x);
        }
    }

    #[test]
    fn the_process_clock_counts_every_threads_work() {
        let mark = CpuMark::now();
        let workers: Vec<_> = (0..2)
            .map(|_| std::thread::spawn(|| spin_for_cpu(Duration::from_millis(100))))
            .collect();
        workers.into_iter().for_each(|w| w.join().unwrap());
        let used = mark.since(2);
        // Two threads each used at least 100 ms of their own CPU clock: the
        // process clock (getrusage's tick is coarse) saw at least most of it.
        assert!(used.cpu_s >= 0.18, "{used:?}");
        // No process uses more CPU than its wall time on every core allows.
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
        assert!(used.cpu_s <= used.wall_s * cores + 0.02, "{used:?}");
    }

    #[test]
    fn the_share_and_the_saturation_line() {
        let busy = ClientCpu {
            cpu_s: 1.9,
            in_process_server_cpu_s: 0.0,
            wall_s: 1.0,
            cores: 2,
        };
        assert!((busy.share_of_cores() - 0.95).abs() < 1e-12);
        assert!(busy.saturated());
        let idle = ClientCpu {
            cpu_s: 0.5,
            in_process_server_cpu_s: 1.4,
            wall_s: 1.0,
            cores: 2,
        };
        assert!(!idle.saturated());
        assert_eq!(
            ClientCpu {
                cpu_s: 1.0,
                in_process_server_cpu_s: 0.0,
                wall_s: 0.0,
                cores: 1
            }
            .share_of_cores(),
            0.0
        );
    }

    #[test]
    fn a_server_threads_work_is_not_the_clients() {
        let mark = CpuMark::now();
        let server = std::thread::Builder::new()
            .name("server-cpu-test".into())
            .spawn(|| spin_for_cpu(Duration::from_millis(150)))
            .unwrap();
        // Read while the thread lives: an ended thread leaves /proc.
        while !server.is_finished() {
            let seen = mark.since(1).in_process_server_cpu_s;
            if seen >= 0.1 {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let used = mark.since(1);
        server.join().unwrap();
        assert!(used.in_process_server_cpu_s >= 0.1, "{used:?}");
        assert!(
            used.in_process_server_cpu_s <= used.wall_s + 0.02,
            "{used:?}"
        );
    }

    #[test]
    fn a_stat_line_gives_user_plus_system_time() {
        // Field 2 may hold spaces and parentheses; utime 250, stime 50 ticks.
        let stat = "42 (server-0 (x)) S 1 1 1 0 -1 0 0 0 0 0 250 50 0 0 20 0 1 0";
        // SAFETY: sysconf only reads a configuration value.
        let ticks = u64::try_from(unsafe { libc::sysconf(libc::_SC_CLK_TCK) }).unwrap();
        assert_eq!(
            stat_cpu_time(stat),
            Some(Duration::from_nanos(300 * 1_000_000_000 / ticks))
        );
        assert_eq!(stat_cpu_time("no fields"), None);
    }
}
