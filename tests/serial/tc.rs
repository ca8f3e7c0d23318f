//! `--link-backend tc` on the real kernel. Every test that makes a link needs
//! root, iproute2 (`ip`, `tc`) and network namespaces, so it is ignored by
//! default; `.ci/run` runs them as root with `--include-ignored`. Tests that
//! make links hold one lock, so timings and the leftovers checks see no other
//! test's links; `links_in_parallel` makes several at once.

use crate::common;

use imgwire::link::tc::TcLink;
use imgwire::link::LinkSpec;
use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::sync::MutexGuard;
use std::time::{Duration, Instant};

/// The lock that makes the tests creating links take turns.
fn serial() -> MutexGuard<'static, ()> {
    crate::one_at_a_time()
}

fn spec(text: &str) -> LinkSpec {
    text.parse().expect("link spec")
}

fn stdout(program: &str, args: &[&str]) -> String {
    let out = Command::new(program).args(args).output().expect("run");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The host veth end, from the naming scheme (`imgwire-<pid>-<n>` → `iw<pid>h<n>`).
fn host_veth(link: &TcLink) -> String {
    let rest = link.namespace().strip_prefix("imgwire-").expect("prefix");
    let (pid, n) = rest.split_once('-').expect("pid-n");
    format!("iw{pid}h{n}")
}

/// Qdiscs on both ends: (host end, namespace end).
fn qdiscs(link: &TcLink) -> (String, String) {
    let host = stdout("tc", &["qdisc", "show", "dev", &host_veth(link)]);
    let ns = stdout("tc", &["-n", link.namespace(), "qdisc", "show"]);
    (host, ns)
}

/// This process's namespaces and veths that exist now.
fn leftovers() -> Vec<String> {
    let pid = std::process::id();
    let namespaces = stdout("ip", &["netns", "list"]);
    let links = stdout("ip", &["-o", "link"]);
    let ns = namespaces
        .lines()
        .filter_map(|l| l.split_whitespace().next());
    let veths = links.lines().filter_map(|l| l.split(": ").nth(1));
    let ours = |name: &&str| {
        name.starts_with(&format!("imgwire-{pid}-")) || name.starts_with(&format!("iw{pid}h"))
    };
    ns.chain(veths).filter(ours).map(String::from).collect()
}

/// For each run, a fresh connection from the host to the namespace: the
/// client sends `up` bytes, the server reads them all and sends `down`
/// bytes back; the time is from the first byte written to the last read.
fn exchange(link: &TcLink, up: usize, down: usize, runs: usize) -> Vec<Duration> {
    let listener: TcpListener = link.bind().expect("bind");
    listener.set_nonblocking(false).expect("blocking");
    let addr = listener.local_addr().expect("addr");
    assert_eq!(addr.ip(), link.server_ip());
    let server = std::thread::spawn(move || {
        for _ in 0..runs {
            let (mut stream, _) = listener.accept().expect("accept");
            stream
                .set_read_timeout(Some(Duration::from_secs(10)))
                .expect("timeout");
            let mut buf = vec![0u8; 1 << 16];
            let mut got = 0;
            while got < up {
                let n = stream.read(&mut buf).expect("server read");
                assert!(n > 0, "client closed after {got} of {up} bytes");
                got += n;
            }
            stream.write_all(&vec![2u8; down]).expect("server write");
        }
    });
    let data = vec![1u8; up];
    let mut reply = vec![0u8; down];
    let mut times = Vec::new();
    for _ in 0..runs {
        let mut client = TcpStream::connect(addr).expect("connect");
        client
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let start = Instant::now();
        client.write_all(&data).expect("client write");
        client.read_exact(&mut reply).expect("client read");
        times.push(start.elapsed());
        std::thread::sleep(Duration::from_millis(20));
    }
    server.join().expect("server thread");
    times
}

fn millis(times: &[Duration]) -> String {
    let ms: Vec<String> = times
        .iter()
        .map(|t| format!("{:.1}", t.as_secs_f64() * 1e3))
        .collect();
    format!("[{}] ms", ms.join(", "))
}

#[test]
#[ignore = "needs root, iproute2 (ip, tc) and network namespaces"]
fn shapes_100_mbit_each_way_and_cleans_up() {
    let _serial = serial();
    let link = TcLink::create(spec("bw=100mbit,rtt=0ms")).expect("create");
    eprintln!("{}", link.describe());
    assert!(link.describe().contains("tbf 100 Mbit/s each way"));
    let (host, ns) = qdiscs(&link);
    assert!(host.contains("tbf") && host.contains("100Mbit"), "{host}");
    assert!(ns.contains("tbf") && ns.contains("100Mbit"), "{ns}");
    // 1,250,000 bytes at 100 Mbit/s: 100 ms (tbf counts headers too: ~104.5 ms).
    let bytes = 1_250_000;
    for (direction, up, down) in [("host→ns", bytes, 1), ("ns→host", 1, bytes)] {
        let times = exchange(&link, up, down, 3);
        let best = times.iter().min().copied().unwrap_or_default();
        eprintln!(
            "{direction}: {bytes} bytes over 100 Mbit/s took {}",
            millis(&times)
        );
        let error = (best.as_secs_f64() - 0.1).abs() / 0.1;
        assert!(
            error <= 0.10,
            "{direction}: best {best:?} is not within 10 % of 100 ms"
        );
    }
    let (namespace, veth) = (link.namespace().to_string(), host_veth(&link));
    drop(link);
    assert!(!stdout("ip", &["netns", "list"]).contains(&namespace));
    assert!(!stdout("ip", &["-o", "link"]).contains(&veth));
}

#[test]
#[ignore = "needs root, iproute2 (ip, tc) and network namespaces"]
fn rtt_needs_netem() {
    let _serial = serial();
    let before = leftovers();
    match TcLink::create(spec("bw=100mbit,rtt=2ms")) {
        Err(e) => {
            let message = format!("{e:#}");
            eprintln!("no netem here: {message}");
            assert!(message.contains("no netem qdisc") && message.contains("rtt=2ms"));
            assert!(message.contains("--link-backend relay"), "{message}");
            assert_eq!(leftovers(), before, "a failed create left these behind");
        }
        Ok(link) => {
            eprintln!("{}", link.describe());
            let (host, ns) = qdiscs(&link);
            assert!(host.contains("netem") && host.contains("tbf"), "{host}");
            assert!(ns.contains("netem") && ns.contains("tbf"), "{ns}");
            let pings = exchange(&link, 1, 1, 5);
            eprintln!("1-byte ping-pong over rtt=2ms: {}", millis(&pings));
            assert!(pings.iter().all(|t| *t >= Duration::from_millis(2)));
            let bulk = exchange(&link, 1_250_000, 1, 2);
            eprintln!(
                "1,250,000 bytes over 100 Mbit/s, rtt=2ms: {}",
                millis(&bulk)
            );
            assert!(bulk.iter().all(|t| *t >= Duration::from_millis(95)));
        }
    }
}

#[test]
#[ignore = "needs root, iproute2 (ip, tc) and network namespaces"]
fn unlimited_link_has_no_qdisc_and_carries_data() {
    let _serial = serial();
    let link = TcLink::create(spec("bw=inf,rtt=0ms")).expect("create");
    eprintln!("{}", link.describe());
    let (host, ns) = qdiscs(&link);
    for shown in [&host, &ns] {
        assert!(
            !shown.contains("tbf") && !shown.contains("netem"),
            "{shown}"
        );
    }
    let times = exchange(&link, 1_250_000, 1_250_000, 2);
    eprintln!("1,250,000 bytes each way, unlimited: {}", millis(&times));
}

#[test]
#[ignore = "needs root, iproute2 (ip, tc) and network namespaces"]
fn links_in_parallel() {
    let _serial = serial();
    let threads: Vec<_> = (0..8)
        .map(|_| {
            std::thread::spawn(|| {
                let link = TcLink::create(spec("bw=1gbit,rtt=0ms")).expect("create");
                exchange(&link, 100_000, 1, 1);
                (link.namespace().to_string(), link.server_ip())
            })
        })
        .collect();
    let made: Vec<_> = threads
        .into_iter()
        .map(|t| t.join().expect("thread"))
        .collect();
    let names: HashSet<_> = made.iter().map(|m| &m.0).collect();
    let ips: HashSet<_> = made.iter().map(|m| m.1).collect();
    assert_eq!((names.len(), ips.len()), (8, 8), "collided: {made:?}");
    assert!(leftovers().is_empty(), "left behind: {:?}", leftovers());
}

#[test]
#[ignore = "needs root, iproute2 (ip, tc) and network namespaces"]
fn bench_moves_the_servers_behind_a_shaped_veth_and_cleans_up() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let (result, report) = common::bench(
        dir.path(),
        &[
            "--sizes",
            "360x640",
            "--payloads",
            "binary",
            "--protocols",
            "rest,grpc,tcp",
            "--bursts",
            "2",
            "--warmup",
            "1",
            "--concurrency",
            "4",
            "--server-decoder",
            "none",
            "--link",
            "bw=100mbit,rtt=0ms",
            "--link-backend",
            "tc",
        ],
    );
    result.unwrap();
    let report = report.expect("JSON written");
    let shaping = report["settings"]["link_shaping"].as_str().unwrap();
    assert!(shaping.starts_with("tc: tbf 100 Mbit/s"), "{shaping}");
    assert!(report["settings"]["rest_target"]
        .as_str()
        .unwrap()
        .starts_with("http://10."));
    for s in common::scenarios(&report) {
        assert_eq!(s["errors"], 0, "{}", s["error_examples"]);
        // The shaped link sets a floor: the burst's bytes at 100 Mbit/s.
        let sent = s["bytes"]["wire_sent_bytes"].as_f64().unwrap();
        let floor_s = sent * 4.0 * 8.0 / 1e8;
        let fastest = s["burst"]["min_ns"].as_f64().unwrap() / 1e9;
        assert!(fastest >= 0.9 * floor_s, "{fastest} s < {floor_s} s");
        // What the client sent crossed the veth to the server unchanged.
        let read = s["bytes"]["server_wire_received_bytes"].as_f64().unwrap();
        assert!((read / sent - 1.0).abs() < 0.01, "{read} vs {sent}");
    }
    assert_eq!(leftovers(), Vec::<String>::new());
}

#[test]
fn bench_refuses_tc_for_a_remote_server() {
    let dir = tempfile::tempdir().unwrap();
    let (result, _) = common::bench(
        dir.path(),
        &[
            "--rest-url",
            "http://127.0.0.1:9",
            "--protocols",
            "rest",
            "--link",
            "bw=1gbit,rtt=0ms",
            "--link-backend",
            "tc",
        ],
    );
    let err = format!("{:#}", result.unwrap_err());
    assert!(err.contains("--link-backend relay"), "{err}");
}
