//! The plan's rules for a server that is not imgwire's (`--target seed`,
//! `kserve-v2`, `torchserve`): the protocols it is measured over by default
//! (REST and gRPC: it has no tcp floor server), and what it needs before
//! anything starts (a URL per protocol, a model where requests name one).

use super::TargetPlan;
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
    if !kind.is_foreign() {
        let all = vec![Protocol::Rest, Protocol::Grpc, Protocol::Tcp];
        return (
            all,
            Some(format!("the default for --target {}", kind.name())),
        );
    }
    let both = [Protocol::Rest, Protocol::Grpc];
    let with_url: Vec<Protocol> = both
        .into_iter()
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
            both.to_vec(),
            Some(format!(
                "the default for --target {}, which has no tcp floor server",
                kind.name()
            )),
        ),
    }
}

/// A server that is not imgwire's: REST/1.1 and gRPC only, every protocol
/// with its URL, and a model where the target's requests name one.
pub(super) fn check_foreign_target(targets: &TargetPlan, protocols: &[Protocol]) -> Result<()> {
    let kind = targets.kind.name();
    if let Some(p) = protocols
        .iter()
        .find(|p| matches!(p, Protocol::Tcp | Protocol::RestH2))
    {
        bail!(
            "--target {kind} has no {} server (it is measured over REST/1.1 and gRPC); leave \
             {} out of --protocols, e.g. --protocols rest,grpc",
            p.label(),
            p.name()
        );
    }
    if targets.kind.needs_model() && targets.model.as_deref().is_none_or(str::is_empty) {
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
    use crate::run::plan::TargetKind;

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
