//! What a tc link is made of, decided before anything runs: the names of its
//! namespace and veth pair, its /30 in 10.213.0.0/16, and the qdiscs that
//! shape each direction. Pure functions of their inputs, tested here.

use crate::link::LinkSpec;
use std::net::Ipv4Addr;
use std::time::Duration;

/// Namespaces are named `imgwire-<pid>-<n>`.
const PREFIX: &str = "imgwire-";
/// 10.213.0.0/16 holds this many /30 subnets, one per link.
const SUBNETS: u32 = 1 << 14;
/// Packets netem may hold: those in flight through the delay plus a queue.
const NETEM_LIMIT: u32 = 100_000;

/// Namespace, host veth and namespace veth names (veth names fit in 15 bytes).
pub fn names(pid: u32, n: u32) -> (String, String, String) {
    let veth = |end: char| format!("iw{pid}{end}{n}");
    (format!("{PREFIX}{pid}-{n}"), veth('h'), veth('n'))
}

/// (pid, n) of our namespaces in `ip netns list` output whose pid is not alive.
pub fn stale(list: &str, alive: impl Fn(u32) -> bool) -> Vec<(u32, u32)> {
    let ours = |name: &str| {
        let (pid, n) = name.strip_prefix(PREFIX)?.split_once('-')?;
        Some((pid.parse::<u32>().ok()?, n.parse::<u32>().ok()?))
    };
    let names = list
        .lines()
        .filter_map(|l| ours(l.split_whitespace().next()?));
    names.filter(|&(pid, _)| !alive(pid)).collect()
}

/// The first /30 to try: spread by pid, consecutive within a process.
pub fn subnet_start(pid: u32, n: u32) -> u32 {
    ((pid.wrapping_mul(0x9E37_79B1) >> 18) + n) % SUBNETS
}

/// Host and namespace addresses of /30 number `index` in 10.213.0.0/16.
pub fn subnet_ips(index: u32) -> (Ipv4Addr, Ipv4Addr) {
    let base = u32::from(Ipv4Addr::new(10, 213, 0, 0)) + (index % SUBNETS) * 4;
    (Ipv4Addr::from(base + 1), Ipv4Addr::from(base + 2))
}

/// The networks (address, prefix length) in `ip -o -4 addr` output.
pub fn used_networks(output: &str) -> Vec<(u32, u32)> {
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
pub fn choose_subnet(start: u32, used: &[(u32, u32)], taken: &[u32]) -> Option<u32> {
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

/// The qdisc kinds a link uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QdiscKind {
    /// Delay (a kernel module that may be missing).
    Netem,
    /// Bandwidth.
    Tbf,
}

/// One `tc qdisc add dev DEV <args>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Qdisc {
    pub kind: QdiscKind,
    pub args: String,
}

/// The qdiscs for one direction of `spec`, parents first.
pub fn qdiscs(spec: &LinkSpec) -> Vec<Qdisc> {
    let delay = spec.one_way_delay().as_nanos() as f64 / 1e3;
    let netem = |position: &str| Qdisc {
        kind: QdiscKind::Netem,
        args: format!("{position} netem delay {delay}us limit {NETEM_LIMIT}"),
    };
    let tbf = |position: &str, bps: f64| Qdisc {
        kind: QdiscKind::Tbf,
        args: format!("{position} {}", tbf_args(bps)),
    };
    match (spec.bits_per_second, spec.rtt.is_zero()) {
        (None, true) => vec![],
        (Some(bps), true) => vec![tbf("root handle 1:", bps)],
        (None, false) => vec![netem("root handle 1:")],
        (Some(bps), false) => vec![netem("root handle 1:"), tbf("parent 1:1 handle 10:", bps)],
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

/// `2ms`, `500us`, `1500ns`.
pub fn show(d: Duration) -> String {
    match d.as_nanos() {
        ns if ns % 1_000_000 == 0 => format!("{}ms", ns / 1_000_000),
        ns if ns % 1_000 == 0 => format!("{}us", ns / 1_000),
        ns => format!("{ns}ns"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str) -> Vec<String> {
        let spec: LinkSpec = text.parse().expect("spec");
        qdiscs(&spec).into_iter().map(|q| q.args).collect()
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
        assert!(args("bw=inf,rtt=0ms").is_empty());
        let tbf = "root handle 1: tbf rate 100000000bit burst 12500 limit 4194304";
        assert_eq!(args("bw=100mbit,rtt=0ms"), [tbf]);
        let fast = "tbf rate 10000000000bit burst 1250000 limit 62500000";
        assert_eq!(tbf_args(10e9), fast);
        assert_eq!(
            tbf_args(1e6),
            "tbf rate 1000000bit burst 3028 limit 4194304"
        );
        let spec: LinkSpec = "bw=1gbit,rtt=2ms".parse().expect("spec");
        let both = qdiscs(&spec);
        let kinds: Vec<QdiscKind> = both.iter().map(|q| q.kind).collect();
        assert_eq!(kinds, [QdiscKind::Netem, QdiscKind::Tbf]);
        assert_eq!(
            both[0].args,
            "root handle 1: netem delay 1000us limit 100000"
        );
        assert!(both[1]
            .args
            .starts_with("parent 1:1 handle 10: tbf rate 1000000000bit"));
        let netem = "root handle 1: netem delay 500us limit 100000";
        assert_eq!(args("rtt=1ms"), [netem]);
    }

    #[test]
    fn durations_show_in_their_largest_whole_unit() {
        assert_eq!(show(Duration::from_millis(2)), "2ms");
        assert_eq!(show(Duration::from_micros(500)), "500us");
        assert_eq!(show(Duration::from_nanos(1500)), "1500ns");
    }
}
