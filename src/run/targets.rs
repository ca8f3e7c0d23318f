//! Where a run's requests go: the built-in servers (on loopback, or in a tc
//! network namespace), remote URLs, and the `--link` relays in front of
//! them. `Targets` owns all of these for the run and takes them down in
//! order: relays, then servers, then the namespace.

use crate::cli::BenchArgs;
use crate::link::tc::TcLink;
use crate::link::{LinkBackend, Links};
use crate::run::relay_cost::RelayCheck;
use crate::server::{Binds, Listeners, Servers};
use crate::transport::counting::WireCounters;
use crate::protocol::Protocol;
use anyhow::{bail, Result};
use std::collections::HashMap;
use std::sync::Arc;

/// Where one protocol's requests go, and the built-in server's byte
/// counters there (absent for a remote server).
pub struct Target {
    pub url: String,
    pub server_wire: Option<Arc<WireCounters>>,
}

/// Every protocol's target and what keeps them running. Fields drop in
/// declaration order, which is the order they must stop in.
pub struct Targets {
    by_protocol: HashMap<Protocol, Target>,
    /// Under `--link` on the relay backend: the relay's own-cost check.
    pub relay_check: Option<RelayCheck>,
    /// Held for its relays' lifetime.
    _links: Option<Links>,
    servers: Option<Servers>,
    shaped: Option<TcLink>,
}

impl Targets {
    /// Starts what `args` asks for: built-in servers for every protocol
    /// without a URL, then the link in front of them.
    pub fn start(args: &BenchArgs) -> Result<Targets> {
        let shaped = kernel_link(args)?;
        let servers = args
            .protocols
            .iter()
            .any(|p| target_url(args, *p).is_none())
            .then(|| match &shaped {
                Some(tc) => Servers::start_on(
                    args.server.config(),
                    Listeners {
                        rest: tc.bind()?,
                        grpc: tc.bind()?,
                        tcp: tc.bind()?,
                    },
                ),
                None => Servers::start(args.server.config(), &Binds::loopback()),
            })
            .transpose()?;
        let direct = |protocol| {
            target_url(args, protocol)
                .map(str::to_owned)
                .or_else(|| servers.as_ref().map(|s| s.url(protocol)))
                .unwrap_or_default()
        };
        let relayed = args.link.filter(|_| shaped.is_none());
        let (links, relay_check) = match relayed {
            Some(spec) => {
                let targets: Vec<_> = args.protocols.iter().map(|&p| (p, direct(p))).collect();
                (
                    Some(Links::start(spec, &targets)?),
                    RelayCheck::start(&args.sizes, &args.protocols, direct)?,
                )
            }
            None => (None, None),
        };
        let all = [
            Protocol::Rest,
            Protocol::RestH2,
            Protocol::Grpc,
            Protocol::Tcp,
        ];
        let by_protocol = all
            .into_iter()
            .map(|protocol| {
                let url = links
                    .as_ref()
                    .and_then(|l| l.url(protocol))
                    .unwrap_or_else(|| direct(protocol));
                let server_wire = servers
                    .as_ref()
                    .filter(|_| target_url(args, protocol).is_none())
                    .map(|s| s.wire_counters(protocol));
                (protocol, Target { url, server_wire })
            })
            .collect();
        Ok(Targets {
            by_protocol,
            relay_check,
            _links: links,
            servers,
            shaped,
        })
    }

    pub fn get(&self, protocol: Protocol) -> &Target {
        &self.by_protocol[&protocol]
    }

    /// Whether any protocol is answered by the built-in servers.
    pub fn builtin(&self) -> bool {
        self.servers.is_some()
    }

    /// What emulates `--link`, in words.
    pub fn link_shaping(&self) -> String {
        self.shaped.as_ref().map_or_else(
            || "emulated by a relay inside imgwire".to_string(),
            TcLink::describe,
        )
    }
}

/// The URL the user gave for `protocol`, if any.
pub fn target_url(args: &BenchArgs, protocol: Protocol) -> Option<&str> {
    match protocol {
        Protocol::Rest | Protocol::RestH2 => args.rest_url.as_deref(),
        Protocol::Grpc => args.grpc_url.as_deref(),
        Protocol::Tcp => args.tcp_url.as_deref(),
    }
}

/// `--link-backend tc`: a network namespace with kernel shaping, into which
/// the built-in servers move. Only the built-in servers can move.
fn kernel_link(args: &BenchArgs) -> Result<Option<TcLink>> {
    match (args.link_backend, args.link) {
        (LinkBackend::Relay, _) => Ok(None),
        (LinkBackend::Tc, None) => {
            bail!("--link-backend tc needs --link (for example --link bw=1gbit,rtt=0ms)")
        }
        (LinkBackend::Tc, Some(spec)) => {
            if let Some(p) = args
                .protocols
                .iter()
                .find(|p| target_url(args, **p).is_some())
            {
                bail!(
                    "--link-backend tc moves the built-in servers into a network namespace, \
                     so it cannot shape the path to a remote {} server; use the default \
                     --link-backend relay",
                    p.label()
                );
            }
            Ok(Some(TcLink::create(spec)?))
        }
    }
}
