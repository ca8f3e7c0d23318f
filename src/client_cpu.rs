//! How busy the client itself was: the process's CPU time (user + system,
//! every thread) over a window, less what the threads of the built-in
//! server, link relays and trace receiver (`server-*`, `link-*`,
//! `traces-*`) used in it, as a share of
//! the cores the client could use, so a report can say when the client,
//! not the server, may be the limit; and of that, the part the `--encode
//! live` encoder threads (`encode-*`) used making and encoding frames,
//! the rest being transport (sending, receiving, (de)serialising, timing).

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Above this share of its cores the client is called saturated: its own
/// work may be what holds the figures down.
pub const SATURATED_SHARE: f64 = 0.9;

/// Name prefixes of the threads that are not the client: the built-in
/// server's runtime, the `--link` relays' (`net::threads`) and the
/// `--collect-traces` receiver's (`server_trace`).
pub const NOT_CLIENT_THREADS: [&str; 3] = ["server-", "link-", "traces-"];

/// Name prefix of the `--encode live` encoder threads (`run::live_encode`),
/// which make and encode the frames: the client's encoding.
pub const ENCODE_THREADS: [&str; 1] = ["encode-"];

/// A reading of the process's CPU clock, of each thread that is not the
/// client's, of the encoder threads together, and of the wall clock.
#[derive(Clone, Debug)]
pub struct CpuMark {
    cpu: Duration,
    others: HashMap<u32, Duration>,
    /// Every encoder thread's CPU time so far, the ended ones' included.
    encode: Duration,
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
    /// The part of `cpu_s` the encoder threads used making and encoding
    /// frames (`--encode live`, cameras); 0 when the frames were encoded
    /// before the run (`--encode pool`). The rest is transport.
    pub encode_cpu_s: f64,
    /// The window's wall seconds.
    pub wall_s: f64,
    /// Cores the process could run on.
    pub cores: usize,
}

impl CpuMark {
    /// Now.
    pub fn now() -> CpuMark {
        let cpu = process_cpu_time();
        let [others, encoders] = threads_cpu_time([&NOT_CLIENT_THREADS, &ENCODE_THREADS]);
        let encode = lock_ended().total(&encoders);
        CpuMark {
            cpu,
            others,
            encode,
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
        let client = process.saturating_sub(others);
        ClientCpu {
            cpu_s: client.as_secs_f64(),
            in_process_server_cpu_s: others.min(process).as_secs_f64(),
            // /proc's ticks and getrusage's clock differ by a tick at most:
            // never more than the client's whole.
            encode_cpu_s: later
                .encode
                .saturating_sub(self.encode)
                .min(client)
                .as_secs_f64(),
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

    /// The client's CPU seconds outside the encoder threads: sending,
    /// receiving, (de)serialising and timing the requests.
    pub fn transport_cpu_s(&self) -> f64 {
        (self.cpu_s - self.encode_cpu_s).max(0.0)
    }

    /// Whether the client used more than [`SATURATED_SHARE`] of its cores.
    pub fn saturated(&self) -> bool {
        self.share_of_cores() > SATURATED_SHARE
    }
}

impl serde::Serialize for ClientCpu {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut fields = serializer.serialize_struct("ClientCpu", 8)?;
        fields.serialize_field("cpu_s", &self.cpu_s)?;
        fields.serialize_field("encode_cpu_s", &self.encode_cpu_s)?;
        fields.serialize_field("transport_cpu_s", &self.transport_cpu_s())?;
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
/// starts with one of a group's prefixes, by thread id, one map per group,
/// from one pass over /proc (empty where /proc cannot be read).
pub fn threads_cpu_time<const N: usize>(groups: [&[&str]; N]) -> [HashMap<u32, Duration>; N] {
    let mut found: [HashMap<u32, Duration>; N] = std::array::from_fn(|_| HashMap::new());
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return found;
    };
    for task in tasks.flatten() {
        let Some(tid) = task.file_name().to_str().and_then(|t| t.parse().ok()) else {
            continue;
        };
        let Ok(name) = std::fs::read_to_string(task.path().join("comm")) else {
            continue;
        };
        let Some(group) = groups
            .iter()
            .position(|prefixes| prefixes.iter().any(|p| name.starts_with(p)))
        else {
            continue;
        };
        // The thread's own CPU clock (nanoseconds), else /proc's ticks (10
        // ms: an encoder of small frames would read 0).
        let from_stat = || {
            let stat = std::fs::read_to_string(task.path().join("stat")).ok()?;
            stat_cpu_time(&stat)
        };
        if let Some(cpu) = thread_clock(tid).or_else(from_stat) {
            found[group].insert(tid, cpu);
        }
    }
    found
}

/// The CPU time each encoder thread used over its life, left by the thread
/// as it ends (its /proc entry goes with it), so a window still counts an
/// encoder that ended inside it.
#[derive(Debug, Default)]
struct EndedThreads {
    by_tid: BTreeMap<u32, Duration>,
    /// Ended threads whose id a later encoder thread took.
    reused: Duration,
}

static ENDED_ENCODERS: Mutex<EndedThreads> = Mutex::new(EndedThreads {
    by_tid: BTreeMap::new(),
    reused: Duration::ZERO,
});

fn lock_ended() -> std::sync::MutexGuard<'static, EndedThreads> {
    ENDED_ENCODERS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl EndedThreads {
    /// Every encoder thread's CPU time so far: the ended ones', and the
    /// live ones' (`alive`, from /proc; an ended thread still listed there
    /// counts once, as it left itself).
    fn total(&self, alive: &HashMap<u32, Duration>) -> Duration {
        let alive: Duration = (alive.iter())
            .filter(|(tid, _)| !self.by_tid.contains_key(tid))
            .map(|(_, cpu)| *cpu)
            .sum();
        self.reused + self.by_tid.values().sum::<Duration>() + alive
    }

    /// A new thread took id `tid`: an ended one's time under it is kept
    /// aside, so the new thread's is read from /proc.
    fn reuse(&mut self, tid: u32) {
        if let Some(cpu) = self.by_tid.remove(&tid) {
            self.reused += cpu;
        }
    }
}

/// Held by an encoder thread over its life (`run::live_encode`): when the
/// thread ends, even by a panic, it leaves the thread's CPU time, so
/// [`CpuMark::since`] counts the encoding the thread did in the window.
pub struct EncoderThreadCpu {
    tid: u32,
}

impl EncoderThreadCpu {
    /// Called first thing on the encoder thread.
    pub fn start() -> EncoderThreadCpu {
        // SAFETY: gettid only returns the calling thread's id.
        let tid = unsafe { libc::gettid() } as u32;
        lock_ended().reuse(tid);
        EncoderThreadCpu { tid }
    }
}

impl Drop for EncoderThreadCpu {
    fn drop(&mut self) {
        let cpu = thread_cpu_time();
        lock_ended().by_tid.insert(self.tid, cpu);
    }
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

/// User plus system CPU time of the calling thread, by its CPU clock.
pub fn thread_cpu_time() -> Duration {
    clock_time(libc::CLOCK_THREAD_CPUTIME_ID).unwrap_or_else(|| usage_of(libc::RUSAGE_THREAD))
}

/// The CPU time of this process's thread `tid`, by its CPU clock: Linux's
/// clock id of a thread (what glibc's pthread_getcpuclockid makes: the
/// inverted id shifted by 3, with the per-thread and scheduler-clock bits),
/// readable for any thread of the calling process. None where it is not
/// (the thread ended, or the kernel refuses).
fn thread_clock(tid: u32) -> Option<Duration> {
    const PER_THREAD: libc::clockid_t = 4;
    const SCHEDULER_CLOCK: libc::clockid_t = 2;
    // Thread ids stay below 2^22 (pid_max); one that does not fit the
    // shift is no thread's.
    let tid = libc::clockid_t::try_from(tid)
        .ok()
        .filter(|&t| t < 1 << 28)?;
    clock_time((!tid << 3) | PER_THREAD | SCHEDULER_CLOCK)
}

fn clock_time(clock: libc::clockid_t) -> Option<Duration> {
    let mut time = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec into the pointer it is
    // given, which points at one we own.
    let result = unsafe { libc::clock_gettime(clock, &mut time) };
    let secs = u64::try_from(time.tv_sec).ok()?;
    let nanos = u32::try_from(time.tv_nsec).ok()?;
    (result == 0).then(|| Duration::new(secs, nanos))
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
    fn another_threads_clock_reads_its_cpu_to_the_microsecond() {
        let (tid_tx, tid_rx) = std::sync::mpsc::channel();
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        let worker = std::thread::spawn(move || {
            spin_for_cpu(Duration::from_millis(3));
            let own = thread_cpu_time();
            // SAFETY: gettid only returns the calling thread's id.
            tid_tx
                .send((unsafe { libc::gettid() } as u32, own))
                .unwrap();
            done_rx.recv().unwrap();
        });
        let (tid, own) = tid_rx.recv().unwrap();
        // Read while the thread waits: no more than what it used by then
        // plus its wait's own few microseconds, far below /proc's 10 ms.
        let read = thread_clock(tid).expect("a live thread of this process has a clock");
        assert!(read >= own, "{read:?} < {own:?}");
        assert!(read - own < Duration::from_millis(2), "{read:?} vs {own:?}");
        assert!(own >= Duration::from_millis(3));
        done_tx.send(()).unwrap();
        worker.join().unwrap();
        assert_eq!(thread_clock(tid), None, "an ended thread has no clock");
        assert_eq!(thread_clock(u32::MAX >> 1), None, "no such thread");
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
            encode_cpu_s: 0.0,
            wall_s: 1.0,
            cores: 2,
        };
        assert!((busy.share_of_cores() - 0.95).abs() < 1e-12);
        assert!(busy.saturated());
        let idle = ClientCpu {
            cpu_s: 0.5,
            in_process_server_cpu_s: 1.4,
            encode_cpu_s: 0.0,
            wall_s: 1.0,
            cores: 2,
        };
        assert!(!idle.saturated());
        assert_eq!(
            ClientCpu {
                cpu_s: 1.0,
                in_process_server_cpu_s: 0.0,
                encode_cpu_s: 0.0,
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
    fn transport_is_the_clients_cpu_less_the_encoders() {
        let live = ClientCpu {
            cpu_s: 1.5,
            in_process_server_cpu_s: 0.7,
            encode_cpu_s: 1.2,
            wall_s: 1.0,
            cores: 2,
        };
        assert!((live.transport_cpu_s() - 0.3).abs() < 1e-12);
        let json = serde_json::to_value(live).unwrap();
        assert_eq!(json["encode_cpu_s"], 1.2);
        assert!((json["transport_cpu_s"].as_f64().unwrap() - 0.3).abs() < 1e-12);
        // The share and saturation stay the client's whole, encoders included.
        assert!((json["share_of_cores"].as_f64().unwrap() - 0.75).abs() < 1e-12);
        let odd = ClientCpu {
            encode_cpu_s: 1.6,
            ..live
        };
        assert_eq!(odd.transport_cpu_s(), 0.0, "never below zero");
    }

    #[test]
    fn ended_encoders_count_once_and_a_reused_id_keeps_the_old_time() {
        let ms = Duration::from_millis;
        let mut ended = EndedThreads::default();
        let alive = HashMap::from([(7, ms(30)), (8, ms(50))]);
        assert_eq!(ended.total(&alive), ms(80));
        // Thread 8 ends having used 55 ms; /proc may still list it.
        ended.by_tid.insert(8, ms(55));
        assert_eq!(ended.total(&alive), ms(85));
        assert_eq!(ended.total(&HashMap::from([(7, ms(30))])), ms(85));
        // A new thread takes id 8: the old time stays, the new one adds.
        ended.reuse(8);
        let alive = HashMap::from([(7, ms(30)), (8, ms(4))]);
        assert_eq!(ended.total(&alive), ms(89));
    }

    #[test]
    fn an_encoder_that_ends_inside_the_window_is_still_counted() {
        let mark = CpuMark::now();
        let spin = |name: &str, encoder: bool| {
            std::thread::Builder::new()
                .name(name.into())
                .spawn(move || {
                    let _cpu = encoder.then(EncoderThreadCpu::start);
                    spin_for_cpu(Duration::from_millis(150));
                })
                .unwrap()
        };
        spin("encode-cpu-test", true).join().unwrap();
        let with_encoder = mark.since(1);
        // The thread is gone from /proc: only what it left counts it.
        assert!(with_encoder.encode_cpu_s >= 0.14, "{with_encoder:?}");
        assert!(
            with_encoder.encode_cpu_s <= with_encoder.cpu_s,
            "{with_encoder:?}"
        );
        let mark = CpuMark::now();
        spin("transport-cpu-test", false).join().unwrap();
        let without = mark.since(1);
        assert!(without.cpu_s >= 0.14, "{without:?}");
        assert!(without.encode_cpu_s < 0.01, "{without:?}");
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
