//! What the `--link` relay costs by itself: before the matrix, the same
//! binary burst goes straight to the server and through a relay with no
//! limits, alternately, so the report can say how much of every figure
//! under `--link` is the emulator rather than the link.

use crate::frame::Size;
use crate::link::{Forwarding, LinkSpec, Links};
use crate::protocol::Protocol;
use crate::report::interval::mean;
use crate::report::versus::Ratio;
use crate::report::{RelayCost, Scenario};
use crate::run::burst::{run_burst, RequestPlan};
use crate::run::prepare::FramePool;
use crate::target::TargetWire;
use crate::transport::{Client, ClientSettings};
use crate::wire::PayloadKind;
use anyhow::{bail, Result};
use std::sync::Arc;

/// Which scenario the check runs: binary at 1080x1920 (or the run's largest
/// size), on REST/1.1 if the run has it, else its first protocol.
pub struct RelayCheck {
    pub protocol: Protocol,
    pub size: Size,
    pub direct_url: String,
    /// An unlimited relay in front of `direct_url`, on its own runtime as
    /// the run's relays are.
    relay: Links,
}

impl RelayCheck {
    /// Starts the unlimited relay; call outside any async runtime.
    pub fn start(
        sizes: &[Size],
        protocols: &[Protocol],
        forwarding: Forwarding,
        direct_url: impl Fn(Protocol) -> String,
    ) -> Result<Option<RelayCheck>> {
        let Some(&protocol) = protocols
            .iter()
            .find(|p| **p == Protocol::Rest)
            .or_else(|| protocols.first())
        else {
            return Ok(None);
        };
        let reference = Size {
            height: 1080,
            width: 1920,
        };
        let size = if sizes.contains(&reference) {
            reference
        } else {
            match sizes.iter().max_by_key(|s| s.pixels()) {
                Some(&s) => s,
                None => return Ok(None),
            }
        };
        let unlimited = LinkSpec {
            bits_per_second: None,
            rtt: std::time::Duration::ZERO,
        };
        let direct_url = direct_url(protocol);
        let relay = Links::start(unlimited, forwarding, &[(protocol, direct_url.clone())])?;
        Ok(Some(RelayCheck {
            protocol,
            size,
            direct_url,
            relay,
        }))
    }

    /// Alternates direct and relayed bursts and compares their means.
    pub async fn measure(
        &self,
        pool: &FramePool,
        settings: &ClientSettings,
        concurrency: usize,
        bursts: usize,
        target: &Arc<dyn TargetWire>,
    ) -> Result<RelayCost> {
        let Some(relayed_url) = self.relay.url(self.protocol) else {
            bail!("the relay check has no relay for {}", self.protocol.name());
        };
        let plan = |client: Client| RequestPlan {
            client: Arc::new(client),
            target: target.clone(),
            protocol: self.protocol,
            payload: PayloadKind::Binary,
            images: pool.images.clone(),
            epoch: std::time::Instant::now(),
            server_wire: None,
            traceparent: settings.traceparent,
            live: None,
        };
        let direct = plan(Client::connect(self.protocol, &self.direct_url, settings).await?);
        let relayed = plan(Client::connect(self.protocol, &relayed_url, settings).await?);
        let mut seconds: [Vec<f64>; 2] = Default::default();
        for burst in 0..=bursts {
            for (side, plan) in [&direct, &relayed].into_iter().enumerate() {
                let result = run_burst(plan, concurrency, burst).await;
                if let Some(error) = result.errors.first() {
                    bail!("the relay check's burst failed: {error}");
                }
                if burst > 0 {
                    seconds[side].push(result.elapsed.as_secs_f64());
                }
            }
        }
        let [direct, relayed] = seconds;
        let (direct_s, relayed_s) = (mean(&direct).unwrap_or(0.0), mean(&relayed).unwrap_or(0.0));
        let added = Ratio::of_means(relayed_s, direct_s, &relayed, &direct);
        Ok(RelayCost {
            scenario: Scenario {
                size: self.size,
                payload: PayloadKind::Binary,
                protocol: self.protocol,
            }
            .label(),
            bursts,
            direct_burst_mean_ns: (direct_s * 1e9).round() as u64,
            relayed_burst_mean_ns: (relayed_s * 1e9).round() as u64,
            added_percent: added.map_or(0.0, |ratio| ratio.percent()),
            added_percent_ci95: added
                .and_then(|ratio| ratio.interval)
                .map(|ci| [ci.lo, ci.hi].map(|r| (r - 1.0) * 100.0)),
        })
    }
}
