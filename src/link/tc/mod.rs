//! `--link-backend tc`: the built-in servers run in a fresh network namespace
//! joined to the host by a veth pair, and the kernel shapes the link instead
//! of imgwire's relay. Each end's egress gets the qdiscs for one direction
//! (host end: client→server, namespace end: server→client): `tbf` for
//! bandwidth and `netem` for half the round trip each way (none at all for an
//! unlimited link with no delay).
//!
//! This module makes the link, binds listeners inside its namespace, and
//! removes what it made: on drop, on Ctrl-C/SIGTERM (a process-wide registry
//! and handler), on a failed create, and namespaces left by killed runs.
//! `plan` decides names, the /30 in 10.213.0.0/16 and the qdiscs; `command`
//! runs `ip` and `tc` and owns [`TcError`].

mod command;
mod plan;

pub use command::TcError;

use super::LinkSpec;
use command::{ip, run};
use plan::QdiscKind;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard, Once};

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
    pub fn create(spec: LinkSpec) -> Result<TcLink, TcError> {
        // SAFETY: geteuid has no preconditions and cannot fail.
        if unsafe { libc::geteuid() } != 0 {
            return Err(TcError::not_root());
        }
        for tool in ["ip", "tc"] {
            run(tool, "-V")?;
        }
        remove_stale();
        install_handler();
        let pid = std::process::id();
        let n = COUNTER.fetch_add(1, Ordering::Relaxed) % 100_000;
        let (namespace, host_veth, ns_veth) = plan::names(pid, n);
        let used = plan::used_networks(&ip("-o -4 addr")?);
        let index = {
            let mut live = live();
            let taken: Vec<u32> = live.iter().map(|l| l.2).collect();
            let start = plan::subnet_start(pid, n);
            let index = plan::choose_subnet(start, &used, &taken).ok_or(TcError::NoFreeSubnet)?;
            live.push((namespace.clone(), host_veth.clone(), index));
            index
        };
        let (host_ip, ns_ip) = plan::subnet_ips(index);
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

    fn set_up(&self) -> Result<(), TcError> {
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
            for qdisc in plan::qdiscs(&self.spec) {
                let added = run("tc", &format!("{netns}qdisc add dev {dev} {}", qdisc.args));
                match added {
                    Err(TcError::UnknownQdisc { .. }) if qdisc.kind == QdiscKind::Netem => {
                        return Err(TcError::NetemMissing { rtt: self.spec.rtt });
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
    pub fn bind(&self) -> Result<TcpListener, TcError> {
        let path = format!("/run/netns/{}", self.namespace);
        let addr = SocketAddr::new(self.server_ip(), 0);
        // setns changes only the calling thread, so a short-lived one binds.
        let thread = std::thread::Builder::new()
            .name("tc-bind".into())
            .spawn(move || bind_in_namespace(&path, addr))
            .map_err(|source| TcError::Bind { addr, source })?;
        thread.join().map_err(|_| TcError::BindPanicked { addr })?
    }

    /// The namespace's name, `imgwire-<pid>-<n>`; its host veth end is `iw<pid>h<n>`.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// One line saying what shapes the link.
    pub fn describe(&self) -> String {
        let (delay, rtt) = (
            plan::show(self.spec.one_way_delay()),
            plan::show(self.spec.rtt),
        );
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

/// Enters the namespace at `path` (this thread only, for good) and binds a
/// non-blocking listener on `addr` there.
fn bind_in_namespace(path: &str, addr: SocketAddr) -> Result<TcpListener, TcError> {
    let entering = |source| TcError::EnterNamespace {
        path: path.to_string(),
        source,
    };
    let file = std::fs::File::open(path).map_err(entering)?;
    // SAFETY: `file` is open for the whole call and setns reads only its fd;
    // it changes the network namespace of this thread alone.
    if unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
        return Err(entering(std::io::Error::last_os_error()));
    }
    let listener = TcpListener::bind(addr).map_err(|source| TcError::Bind { addr, source })?;
    listener
        .set_nonblocking(true)
        .map_err(|source| TcError::Bind { addr, source })?;
    Ok(listener)
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

/// On Ctrl-C or SIGTERM, removes every live link (the process then exits).
fn install_handler() {
    HANDLER.call_once(|| {
        crate::interrupt::on_interrupt(|| {
            let links = live().clone();
            for (namespace, host_veth, _) in links {
                if remove(&namespace, &host_veth) {
                    let line = format!("imgwire: removed network namespace {namespace}\n");
                    let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
                }
            }
        });
    });
}

/// Deletes namespaces `imgwire-<pid>-<n>` (and their veth pairs) whose process is gone.
fn remove_stale() {
    if let Ok(list) = ip("netns list") {
        let alive = |pid| std::path::Path::new(&format!("/proc/{pid}")).exists();
        for (pid, n) in plan::stale(&list, alive) {
            let (namespace, host_veth, _) = plan::names(pid, n);
            remove(&namespace, &host_veth);
        }
    }
}
