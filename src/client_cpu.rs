//! How busy the client itself was: the process's CPU time (user + system,
//! every thread) over a window, as a share of the cores it could use, so a
//! report can say when the client, not the server, may be the limit.

use std::time::{Duration, Instant};

/// Above this share of its cores the client is called saturated: its own
/// work may be what holds the figures down.
pub const SATURATED_SHARE: f64 = 0.9;

/// A reading of the process's CPU clock and the wall clock together.
#[derive(Clone, Copy, Debug)]
pub struct CpuMark {
    cpu: Duration,
    wall: Instant,
}

/// The client's CPU use over one window.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct ClientCpu {
    /// CPU seconds every thread of the process used in the window.
    pub cpu_s: f64,
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
            wall: Instant::now(),
        }
    }

    /// The CPU use since this mark, on `cores` cores.
    pub fn since(&self, cores: usize) -> ClientCpu {
        let later = CpuMark::now();
        ClientCpu {
            cpu_s: later.cpu.saturating_sub(self.cpu).as_secs_f64(),
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

/// User plus system CPU time of every thread of this process.
pub fn process_cpu_time() -> Duration {
    usage_of(libc::RUSAGE_SELF)
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
            wall_s: 1.0,
            cores: 2,
        };
        assert!((busy.share_of_cores() - 0.95).abs() < 1e-12);
        assert!(busy.saturated());
        let idle = ClientCpu {
            cpu_s: 0.5,
            wall_s: 1.0,
            cores: 2,
        };
        assert!(!idle.saturated());
        assert_eq!(
            ClientCpu {
                cpu_s: 1.0,
                wall_s: 0.0,
                cores: 1
            }
            .share_of_cores(),
            0.0
        );
    }
}
