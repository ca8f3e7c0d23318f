//! `--link-backend tc`: the built-in servers run in a fresh network namespace
//! joined to the host by a veth pair, and the kernel shapes the link instead
//! of imgwire's relay. Each end's egress gets the qdiscs for one direction
//! (host end: client→server, namespace end: server→client): `tbf` for
//! bandwidth and `netem` for half the round trip each way (none at all for an
//! unlimited link with no delay).
//!
//! This module owns all of that: choosing names and a /30 in 10.213.0.0/16,
//! running `ip` and `tc`, binding listeners inside the namespace, and removing
//! what it made: on drop, on Ctrl-C/SIGTERM (a process-wide registry and
//! handler), on a failed create, and namespaces left by killed runs.

use super::LinkSpec;
use anyhow::{anyhow, bail, Context, Result};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::os::fd::AsRawFd;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard, Once};
use std::time::Duration;

/// Namespaces are named `imgwire-<pid>-<n>`.
const PREFIX: &str = "imgwire-";
/// 10.213.0.0/16 holds this many /30 subnets, one per link.
const SUBNETS: u32 = 1 << 14;
/// Packets netem may hold: those in flight through the delay plus a queue.
const NETEM_LIMIT: u32 = 100_000;

static COUNTER: AtomicU32 = AtomicU32::new(0);
/// Links of this process that exist or are being made: namespace, host veth, subnet.
static LIVE: Mutex<Vec<(String, String, u32)>> = Mutex::new(Vec::new());
static HANDLER: Once = Once::new();

/// A network namespace joined to the host by a shaped veth pair; dropping it
/// removes both.
pub struct TcLink {
    spec: LinkSpec,
    namespace: String,
    host_veth: String,
    ns_veth: String,
    host_ip: Ipv4Addr,
    ns_ip: Ipv4Addr,
}

impl TcLink {
    /// Creates namespace + veth pair + addresses + qdiscs for `spec`. Needs
    /// root and iproute2, and netem in the kernel where `spec.rtt` is not
    /// zero. On error nothing it made is left behind.
    pub fn create(spec: LinkSpec) -> Result<TcLink> {
        // SAFETY: geteuid has no preconditions and cannot fail.
        if unsafe { libc::geteuid() } != 0 {
            bail!("{}", not_permitted("imgwire is not running as root"));
        }
        for tool in ["ip", "tc"] {
            run(tool, "-V")?;
        }
        remove_stale();
        install_handler();
        let pid = std::process::id();
        let n = COUNTER.fetch_add(1, Ordering::Relaxed) % 100_000;
        let (namespace, host_veth, ns_veth) = names(pid, n);
        let used = used_networks(&ip("-o -4 addr")?);
        let index = {
            let mut live = live();
            let taken: Vec<u32> = live.iter().map(|l| l.2).collect();
            let index = choose_subnet(subnet_start(pid, n), &used, &taken).ok_or_else(|| {
                anyhow!("--link-backend tc: every /30 in 10.213.0.0/16 is in use on this host")
            })?;
            live.push((namespace.clone(), host_veth.clone(), index));
            index
        };
        let (host_ip, ns_ip) = subnet_ips(index);
        let link = TcLink {
            spec,
            namespace,
            host_veth,
            ns_veth,
            host_ip,
            ns_ip,
        };
        link.set_up()?; // on error, dropping `link` removes what was made
        Ok(link)
    }

    fn set_up(&self) -> Result<()> {
        let (ns, host, peer) = (&self.namespace, &self.host_veth, &self.ns_veth);
        ip(&format!("netns add {ns}"))?;
        ip(&format!(
            "link add {host} type veth peer name {peer} netns {ns}"
        ))?;
        ip(&format!("addr add {}/30 dev {host}", self.host_ip))?;
        ip(&format!("link set {host} up"))?;
        ip(&format!("-n {ns} addr add {}/30 dev {peer}", self.ns_ip))?;
        ip(&format!("-n {ns} link set {peer} up"))?;
        ip(&format!("-n {ns} link set lo up"))?;
        for (netns, dev) in [(String::new(), host), (format!("-n {ns} "), peer)] {
            for qdisc in qdisc_args(&self.spec) {
                match run("tc", &format!("{netns}qdisc add dev {dev} {qdisc}")) {
                    Err(e) if qdisc.contains("netem") && e.to_string().contains("unknown") => {
                        bail!("{}", netem_missing(self.spec.rtt))
                    }
                    result => result?,
                };
            }
        }
        Ok(())
    }

    /// The address of the namespace end, where servers listen (10.213.x.y).
    pub fn server_ip(&self) -> IpAddr {
        IpAddr::V4(self.ns_ip)
    }

    /// Binds a TCP listener on (server_ip, any port) inside the namespace and
    /// returns it non-blocking. It stays in the namespace, whichever thread
    /// uses it; while it is open the kernel keeps the namespace alive.
    pub fn bind(&self) -> Result<TcpListener> {
        let path = format!("/run/netns/{}", self.namespace);
        let addr = SocketAddr::new(self.server_ip(), 0);
        // setns changes only the calling thread, so a short-lived one binds.
        let thread = std::thread::Builder::new()
            .name("tc-bind".into())
            .spawn(move || {
                let file = std::fs::File::open(&path)
                    .with_context(|| format!("--link-backend tc: opening {path}"))?;
                // SAFETY: the fd is open for the whole call; setns only changes this thread.
                if unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
                    let error = std::io::Error::last_os_error();
                    bail!("--link-backend tc: cannot enter namespace {path}: {error}");
                }
                let listener = TcpListener::bind(addr)
                    .with_context(|| format!("--link-backend tc: binding {addr}"))?;
                listener.set_nonblocking(true)?;
                Ok(listener)
            })?;
        thread
            .join()
            .map_err(|_| anyhow!("--link-backend tc: the thread binding {addr} panicked"))?
    }

    /// The namespace's name, `imgwire-<pid>-<n>`; its host veth end is `iw<pid>h<n>`.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// One line saying what shapes the link.
    pub fn describe(&self) -> String {
        let (delay, rtt) = (show(self.spec.one_way_delay()), show(self.spec.rtt));
        let shaping = match (self.spec.bits_per_second, self.spec.rtt.is_zero()) {
            (None, true) => "no qdisc (unlimited bandwidth)".to_string(),
            (Some(bps), true) => format!("tbf {} Mbit/s each way", bps / 1e6),
            (None, false) => format!("netem delay {delay} each way"),
            (Some(bps), false) => {
                format!("netem delay {delay} + tbf {} Mbit/s each way", bps / 1e6)
            }
        };
        let rtt = match self.spec.rtt.is_zero() {
            true => "no delay".to_string(),
            false => format!("rtt {rtt}"),
        };
        format!(
            "tc: {shaping} on a veth pair into namespace {} ({rtt})",
            self.namespace
        )
    }
}

impl Drop for TcLink {
    fn drop(&mut self) {
        remove(&self.namespace, &self.host_veth);
        live().retain(|l| l.0 != self.namespace);
    }
}

/// The registry, whether or not a thread panicked holding it.
fn live() -> MutexGuard<'static, Vec<(String, String, u32)>> {
    LIVE.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Deletes the host veth end (and so the pair, at once) and the namespace;
/// true if the namespace was there.
fn remove(namespace: &str, host_veth: &str) -> bool {
    let _ = ip(&format!("link del {host_veth}"));
    ip(&format!("netns del {namespace}")).is_ok()
}

/// On Ctrl-C or SIGTERM, removes every live link and exits with status 130.
fn install_handler() {
    HANDLER.call_once(|| {
        // ctrlc refuses a second handler in one process: then the first one stays.
        let _ = ctrlc::set_handler(|| {
            let links = live().clone();
            for (namespace, host_veth, _) in links {
                if remove(&namespace, &host_veth) {
                    let line = format!("imgwire: removed network namespace {namespace}\n");
                    let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
                }
            }
            std::process::exit(130);
        });
    });
}

/// Deletes namespaces `imgwire-<pid>-<n>` (and their veth pairs) whose process is gone.
fn remove_stale() {
    if let Ok(list) = ip("netns list") {
        let alive = |pid| std::path::Path::new(&format!("/proc/{pid}")).exists();
        for (pid, n) in stale(&list, alive) {
            let (namespace, host_veth, _) = names(pid, n);
            remove(&namespace, &host_veth);
        }
    }
}

/// (pid, n) of our namespaces in `ip netns list` output whose pid is not alive.
fn stale(list: &str, alive: impl Fn(u32) -> bool) -> Vec<(u32, u32)> {
    let ours = |name: &str| {
        let (pid, n) = name.strip_prefix(PREFIX)?.split_once('-')?;
        Some((pid.parse::<u32>().ok()?, n.parse::<u32>().ok()?))
    };
    let names = list
        .lines()
        .filter_map(|l| ours(l.split_whitespace().next()?));
    names.filter(|&(pid, _)| !alive(pid)).collect()
}

/// Namespace, host veth and namespace veth names (veth names fit in 15 bytes).
fn names(pid: u32, n: u32) -> (String, String, String) {
    let veth = |end: char| format!("iw{pid}{end}{n}");
    (format!("{PREFIX}{pid}-{n}"), veth('h'), veth('n'))
}

/// The first /30 to try: spread by pid, consecutive within a process.
fn subnet_start(pid: u32, n: u32) -> u32 {
    ((pid.wrapping_mul(0x9E37_79B1) >> 18) + n) % SUBNETS
}

/// Host and namespace addresses of /30 number `index` in 10.213.0.0/16.
fn subnet_ips(index: u32) -> (Ipv4Addr, Ipv4Addr) {
    let base = u32::from(Ipv4Addr::new(10, 213, 0, 0)) + (index % SUBNETS) * 4;
    (Ipv4Addr::from(base + 1), Ipv4Addr::from(base + 2))
}

/// The networks (address, prefix length) in `ip -o -4 addr` output.
fn used_networks(output: &str) -> Vec<(u32, u32)> {
    let cidrs = output.lines().filter_map(|line| {
        let mut words = line.split_whitespace();
        words.find(|w| *w == "inet")?;
        let (addr, len) = words.next()?.split_once('/')?;
        let addr: Ipv4Addr = addr.parse().ok()?;
        Some((u32::from(addr), len.parse::<u32>().ok()?.min(32)))
    });
    cidrs.collect()
}

/// The first /30 from `start` on that overlaps no network in `used` and is not `taken`.
fn choose_subnet(start: u32, used: &[(u32, u32)], taken: &[u32]) -> Option<u32> {
    let mask = |len: u32| u32::MAX.checked_shl(32 - len).unwrap_or(0);
    let free = |index: u32| {
        let base = u32::from(subnet_ips(index).0) - 1;
        let overlaps =
            |&(addr, len): &(u32, u32)| addr & mask(len.min(30)) == base & mask(len.min(30));
        !used.iter().any(overlaps) && !taken.contains(&index)
    };
    (0..SUBNETS)
        .map(|i| (start + i) % SUBNETS)
        .find(|&index| free(index))
}

/// What follows `tc qdisc add dev DEV` for one direction of `spec`, parents first.
fn qdisc_args(spec: &LinkSpec) -> Vec<String> {
    let delay = spec.one_way_delay().as_nanos() as f64 / 1e3;
    let netem = format!("netem delay {delay}us limit {NETEM_LIMIT}");
    match (spec.bits_per_second, spec.rtt.is_zero()) {
        (None, true) => vec![],
        (Some(bps), true) => vec![format!("root handle 1: {}", tbf_args(bps))],
        (None, false) => vec![format!("root handle 1: {netem}")],
        (Some(bps), false) => vec![
            format!("root handle 1: {netem}"),
            format!("parent 1:1 handle 10: {}", tbf_args(bps)),
        ],
    }
}

/// tbf for `bits_per_second`. The bucket starts full and lets `burst` through
/// at once, so it is kept to 1 ms at the rate (two full frames at least; tbf
/// splits GSO packets larger than that). Measured on veth, from 10 Mbit/s to 5
/// Gbit/s: rate/250 or 256 KiB made a 100 ms transfer up to 16 % short, while
/// 1 ms keeps the rate under CPU load too. tbf counts whole Ethernet frames,
/// so TCP payload gets about 95.5 % of the rate, as on a real link. The queue
/// is 50 ms or 4 MiB, whichever is larger: TCP small queues push back first.
fn tbf_args(bits_per_second: f64) -> String {
    let bytes_per_second = bits_per_second / 8.0;
    let burst = (bytes_per_second / 1000.0).max(2.0 * 1514.0) as u64;
    let limit = (bytes_per_second / 20.0).max(4.0 * 1024.0 * 1024.0) as u64;
    let rate = bits_per_second.round() as u64;
    format!("tbf rate {rate}bit burst {burst} limit {limit}")
}

/// Why a delay cannot be had from tc here, and what to do instead.
fn netem_missing(rtt: Duration) -> String {
    format!(
        "--link-backend tc: this kernel has no netem qdisc, so tc cannot add the rtt={} delay \
         (tbf and htb shape bandwidth only); use the default --link-backend relay for delay, \
         or rtt=0ms to shape bandwidth with tc",
        show(rtt)
    )
}

fn not_permitted(why: &str) -> String {
    format!(
        "--link-backend tc needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN) to make a network \
         namespace and shape it ({why}); run imgwire as root, or use the default \
         --link-backend relay, which needs no privileges"
    )
}

/// `2ms`, `500us`, `1500ns`.
fn show(d: Duration) -> String {
    match d.as_nanos() {
        ns if ns % 1_000_000 == 0 => format!("{}ms", ns / 1_000_000),
        ns if ns % 1_000 == 0 => format!("{}us", ns / 1_000),
        ns => format!("{ns}ns"),
    }
}

fn ip(args: &str) -> Result<String> {
    run("ip", args)
}

/// Runs `ip` or `tc` with `args` (split at spaces) and returns its stdout;
/// errors carry its stderr.
fn run(program: &str, args: &str) -> Result<String> {
    let output = Command::new(program).args(args.split_whitespace()).output();
    let output = output.map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => anyhow!(
            "--link-backend tc needs the `ip` and `tc` commands, and `{program}` was not \
             found: install iproute2 (apt-get install iproute2), or use the default \
             --link-backend relay"
        ),
        _ => anyhow!("--link-backend tc: cannot run `{program}`: {e}"),
    })?;
    if output.status.success() {
        return Ok(String::from_utf8_lossy(&output.stdout).into_owned());
    }
    let stderr = String::from_utf8_lossy(&output.stderr).trim().to_string();
    if stderr.contains("Operation not permitted") {
        bail!(
            "{}",
            not_permitted(&format!("`{program} {args}` said: {stderr}"))
        );
    }
    bail!("--link-backend tc: `{program} {args}` failed: {stderr}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(text: &str) -> LinkSpec {
        text.parse().expect("spec")
    }

    #[test]
    fn names_fit_and_subnets_differ() {
        let (ns, host, peer) = names(4_194_304, 99_999);
        assert_eq!(ns, "imgwire-4194304-99999");
        assert_eq!(
            (host.as_str(), peer.as_str()),
            ("iw4194304h99999", "iw4194304n99999")
        );
        assert!(host.len() <= 15 && peer.len() <= 15);
        assert_ne!(subnet_start(100, 0), subnet_start(101, 0));
        assert_eq!(subnet_start(100, 0) + 1, subnet_start(100, 1) % SUBNETS);
        let (h, n) = subnet_ips(SUBNETS - 1);
        assert_eq!(
            (h.to_string(), n.to_string()),
            ("10.213.255.253".into(), "10.213.255.254".into())
        );
    }

    #[test]
    fn subnet_skips_used_and_taken() {
        let output = "1: lo    inet 127.0.0.1/8 scope host lo\n\
                      4: eth0    inet 10.213.0.5/30 brd 10.213.0.7 scope global eth0\n";
        let used = used_networks(output);
        assert_eq!(used.len(), 2);
        assert_eq!(choose_subnet(0, &used, &[]), Some(0));
        assert_eq!(choose_subnet(1, &used, &[]), Some(2));
        assert_eq!(choose_subnet(1, &used, &[2, 3]), Some(4));
        assert_eq!(choose_subnet(SUBNETS - 1, &used, &[SUBNETS - 1]), Some(0));
        let whole = used_networks("2: vpn inet 10.0.0.1/8 scope global vpn\n");
        assert_eq!(choose_subnet(7, &whole, &[]), None);
    }

    #[test]
    fn stale_names_are_ours_and_dead() {
        let list =
            "imgwire-10-0 (id: 3)\nimgwire-11-2\nother-10-0\nimgwire-x-1\nimgwire-12-0 (id: 1)\n";
        assert_eq!(stale(list, |pid| pid == 11), vec![(10, 0), (12, 0)]);
    }

    #[test]
    fn qdiscs_follow_the_spec() {
        assert!(qdisc_args(&spec("bw=inf,rtt=0ms")).is_empty());
        let tbf = "root handle 1: tbf rate 100000000bit burst 12500 limit 4194304";
        assert_eq!(qdisc_args(&spec("bw=100mbit,rtt=0ms")), [tbf]);
        let fast = "tbf rate 10000000000bit burst 1250000 limit 62500000";
        assert_eq!(tbf_args(10e9), fast);
        assert_eq!(
            tbf_args(1e6),
            "tbf rate 1000000bit burst 3028 limit 4194304"
        );
        let both = qdisc_args(&spec("bw=1gbit,rtt=2ms"));
        assert_eq!(both[0], "root handle 1: netem delay 1000us limit 100000");
        assert!(both[1].starts_with("parent 1:1 handle 10: tbf rate 1000000000bit"));
        let netem = "root handle 1: netem delay 500us limit 100000";
        assert_eq!(qdisc_args(&spec("rtt=1ms")), [netem]);
    }

    #[test]
    fn netem_error_says_why_and_what_to_do() {
        let text = netem_missing(Duration::from_millis(2));
        assert!(text.starts_with("--link-backend tc: this kernel has no netem qdisc"));
        assert!(
            text.contains("rtt=2ms delay")
                && text.contains("--link-backend relay")
                && text.contains("rtt=0ms")
        );
        assert_eq!(show(Duration::from_micros(500)), "500us");
    }
}
