//! The plan's rules for every target, checked before anything starts: the
//! protocols it is measured over by default (imgwire's own `rest,grpc,tcp`;
//! a server that is not imgwire's has no tcp floor server, so REST and
//! gRPC), the protocols it refuses, and what it needs (a URL per protocol
//! where it has no built-in servers, a model where requests name one).

use super::choice::TargetPlan;
use crate::protocol::Protocol;
use anyhow::{bail, Result};

/// `--protocols` as given, or where not given (`given` empty) the target's
/// default and why: imgwire's own servers `rest,grpc,tcp` (the floor
/// included); a server that is not imgwire's has no tcp floor, so REST and
/// gRPC, narrowed to those given a URL where only one is.
pub fn protocols_or_default(
    given: &[Protocol],
    targets: &TargetPlan,
) -> (Vec<Protocol>, Option<String>) {
    if !given.is_empty() {
        return (given.to_vec(), None);
    }
    let kind = targets.kind;
    let defaults = kind.target().default_protocols();
    if !kind.is_foreign() {
        return (
            defaults.to_vec(),
            Some(format!("the default for --target {}", kind.name())),
        );
    }
    let with_url: Vec<Protocol> = defaults
        .iter()
        .copied()
        .filter(|p| targets.url(*p).is_some())
        .collect();
    match with_url.as_slice() {
        [only] => (
            vec![*only],
            Some(format!(
                "the default for --target {}, which has no tcp floor server, with only {} given",
                kind.name(),
                TargetPlan::flag(*only)
            )),
        ),
        _ => (
            defaults.to_vec(),
            Some(format!(
                "the default for --target {}, which has no tcp floor server",
                kind.name()
            )),
        ),
    }
}

/// Why a server that is not imgwire's cannot be measured over `protocol`,
/// where it cannot: it serves REST/1.1 and gRPC only.
pub fn rest_and_grpc_only(name: &str, protocol: Protocol) -> Option<String> {
    matches!(protocol, Protocol::Tcp | Protocol::RestH2).then(|| {
        format!(
            "--target {name} has no {} server (it is measured over REST/1.1 and gRPC); leave \
             {} out of --protocols, e.g. --protocols rest,grpc",
            protocol.label(),
            protocol.name()
        )
    })
}

/// What the target needs before anything starts: only protocols it serves,
/// a model where its requests name one, and where it has no built-in
/// servers, every protocol with its URL.
pub fn check_plan(targets: &TargetPlan, protocols: &[Protocol]) -> Result<()> {
    let target = targets.kind.target();
    let kind = target.name();
    if let Some(why) = protocols.iter().find_map(|p| target.protocol_refusal(*p)) {
        bail!("{why}");
    }
    if target.has_builtin_servers() {
        return Ok(());
    }
    if target.needs_model() && targets.model.as_deref().is_none_or(str::is_empty) {
        bail!("--target {kind} needs --model NAME (the model's name on that server)");
    }
    let missing: Vec<String> = protocols
        .iter()
        .filter(|p| targets.url(**p).is_none())
        .map(|p| format!("{} for {}", TargetPlan::flag(*p), p.label()))
        .collect();
    if !missing.is_empty() {
        bail!(
            "--target {kind} needs --rest-url/--grpc-url for the protocols it runs (it starts \
             no server of its own; targets/README.md starts one here): give {}",
            missing.join(" and ")
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::TargetKind;

    fn targets(kind: TargetKind, rest: bool, grpc: bool) -> TargetPlan {
        TargetPlan {
            kind,
            rest_url: rest.then(|| "http://127.0.0.1:1".into()),
            grpc_url: grpc.then(|| "http://127.0.0.1:2".into()),
            ..TargetPlan::default()
        }
    }

    #[test]
    fn the_default_protocols_follow_the_target_and_its_urls() {
        use Protocol::{Grpc, Rest, Tcp};
        let (own, why) = protocols_or_default(&[], &targets(TargetKind::Imgwire, false, false));
        assert_eq!(own, [Rest, Grpc, Tcp]);
        assert_eq!(why.as_deref(), Some("the default for --target imgwire"));
        let (both, why) = protocols_or_default(&[], &targets(TargetKind::KserveV2, true, true));
        assert_eq!(both, [Rest, Grpc]);
        assert_eq!(
            why.as_deref(),
            Some("the default for --target kserve-v2, which has no tcp floor server")
        );
        let (rest, why) = protocols_or_default(&[], &targets(TargetKind::Torchserve, true, false));
        assert_eq!(rest, [Rest]);
        assert!(why.unwrap().ends_with("with only --rest-url given"));
        let (grpc, _) = protocols_or_default(&[], &targets(TargetKind::Seed, false, true));
        assert_eq!(grpc, [Grpc]);
        let (none, _) = protocols_or_default(&[], &targets(TargetKind::Seed, false, false));
        assert_eq!(none, [Rest, Grpc]);
        let (given, why) = protocols_or_default(&[Tcp], &targets(TargetKind::Seed, true, true));
        assert_eq!((given, why), (vec![Tcp], None));
    }
}
