//! Where a run's requests go: the built-in servers (on loopback, or in a tc
//! network namespace), remote URLs, and the `--link` relays in front of
//! them. `Endpoints` owns all of these for the run and takes them down in
//! order: relays, then servers, then the namespace.

use crate::link::tc::TcLink;
use crate::link::{Forwarding, LinkBackend, Links};
use crate::net::byte_count::WireCounters;
use crate::protocol::Protocol;
use crate::run::plan::BenchPlan;
use crate::run::relay_cost::RelayCheck;
use crate::server::{Binds, Listeners, Servers};
use anyhow::Result;
use std::collections::HashMap;
use std::sync::Arc;

/// Where one protocol's requests go, and the built-in server's byte
/// counters there (absent for a remote server).
pub struct Endpoint {
    pub url: String,
    pub server_wire: Option<Arc<WireCounters>>,
}

/// Every protocol's target and what keeps them running. Fields drop in
/// declaration order, which is the order they must stop in.
pub struct Endpoints {
    by_protocol: HashMap<Protocol, Endpoint>,
    /// Under `--link` on the relay backend: the relay's own-cost check.
    pub relay_check: Option<RelayCheck>,
    /// Held for its relays' lifetime.
    _links: Option<Links>,
    servers: Option<Servers>,
    shaped: Option<TcLink>,
}

impl Endpoints {
    /// Starts what `plan` asks for: built-in servers for every protocol
    /// without a URL, then the link in front of them.
    pub fn start(plan: &BenchPlan) -> Result<Endpoints> {
        let shaped = kernel_link(plan)?;
        let servers = plan
            .uses_builtin_servers()
            .then(|| match &shaped {
                Some(tc) => Servers::start_on(
                    plan.server.clone(),
                    Listeners {
                        rest: tc.bind()?,
                        grpc: tc.bind()?,
                        tcp: tc.bind()?,
                    },
                )
                .map_err(anyhow::Error::from),
                None => Servers::start(plan.server.clone(), &Binds::loopback())
                    .map_err(anyhow::Error::from),
            })
            .transpose()?;
        let direct = |protocol| {
            plan.targets
                .url(protocol)
                .map(str::to_owned)
                .or_else(|| servers.as_ref().map(|s| s.url(protocol)))
                .unwrap_or_default()
        };
        let forwarding = plan.targets.link_backend.forwarding();
        let relayed = plan
            .targets
            .link
            .filter(|_| shaped.is_none())
            .zip(forwarding);
        let (links, relay_check) = match relayed {
            Some((spec, forwarding)) => {
                let protocols = &plan.matrix.protocols;
                let targets: Vec<_> = protocols.iter().map(|&p| (p, direct(p))).collect();
                (
                    Some(Links::start(spec, forwarding, &targets)?),
                    RelayCheck::start(&plan.matrix.sizes, protocols, forwarding, direct)?,
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
                    .filter(|_| plan.targets.url(protocol).is_none())
                    .map(|s| s.wire_counters(protocol));
                (protocol, Endpoint { url, server_wire })
            })
            .collect();
        Ok(Endpoints {
            by_protocol,
            relay_check,
            _links: links,
            servers,
            shaped,
        })
    }

    pub fn get(&self, protocol: Protocol) -> &Endpoint {
        &self.by_protocol[&protocol]
    }

    /// Whether any protocol is answered by the built-in servers.
    pub fn builtin(&self) -> bool {
        self.servers.is_some()
    }

    /// What emulates `--link`, in words.
    pub fn link_shaping(&self, backend: LinkBackend) -> String {
        let forwarding = match backend.forwarding() {
            Some(Forwarding::Splice) => "splice(2)",
            _ => "read/write copies",
        };
        self.shaped.as_ref().map_or_else(
            || format!("emulated by a relay inside imgwire ({forwarding})"),
            TcLink::describe,
        )
    }
}

/// `--link-backend tc`: a network namespace with kernel shaping, into which
/// the built-in servers move. Only the built-in servers can move.
fn kernel_link(plan: &BenchPlan) -> Result<Option<TcLink>> {
    match (plan.targets.link_backend, plan.targets.link) {
        // `BenchPlan::check` refuses tc without --link, or with a remote server.
        (LinkBackend::Relay | LinkBackend::RelaySplice, _) | (LinkBackend::Tc, None) => Ok(None),
        (LinkBackend::Tc, Some(spec)) => Ok(Some(TcLink::create(spec)?)),
    }
}
