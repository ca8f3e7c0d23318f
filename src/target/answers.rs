//! Every target answers the same questions: the test lists the targets from
//! `TargetKind`'s own variants (a new one cannot be left out) and asks each
//! for its name and defaults, the protocols it refuses before anything
//! starts (naming the flag), the payloads its requests refuse (a reason, or
//! a request that builds), how it is checked ready and what is learnt of it,
//! and where its statistics come from, or why there are none.

use super::{check_plan, protocols_or_default, Target, TargetKind, TargetPlan};
use crate::protocol::Protocol;
use crate::server::ServerDecoder;
use crate::wire::PayloadKind;
use clap::ValueEnum;

/// Every kind of target, with the folder that answers for it.
fn every_target() -> impl Iterator<Item = (TargetKind, &'static dyn Target)> {
    TargetKind::value_variants()
        .iter()
        .map(|&kind| (kind, kind.target()))
}

/// A plan for `kind` that gives everything a target may need: a URL per
/// protocol and a model.
fn complete_plan(kind: TargetKind) -> TargetPlan {
    TargetPlan {
        kind,
        rest_url: Some("http://127.0.0.1:1".into()),
        grpc_url: Some("http://127.0.0.1:2".into()),
        tcp_url: Some("tcp://127.0.0.1:3".into()),
        model: Some("decode".into()),
        ..TargetPlan::default()
    }
}

#[test]
fn every_target_is_named_as_the_flag_and_the_report_spell_it() {
    for (kind, target) in every_target() {
        let flag = kind.to_possible_value().expect("a --target value");
        assert_eq!(flag.get_name(), target.name());
        assert_eq!(serde_json::to_value(kind).unwrap(), target.name());
        assert_eq!(kind.name(), target.name());
    }
}

#[test]
fn every_target_has_defaults_it_takes() {
    for (kind, target) in every_target() {
        let name = target.name();
        let defaults = target.default_protocols();
        assert!(!defaults.is_empty(), "{name}");
        for &p in defaults {
            assert_eq!(target.protocol_refusal(p), None, "{name}: {p:?}");
        }
        let (chosen, why) = protocols_or_default(&[], &complete_plan(kind));
        assert_eq!(chosen, defaults, "{name}");
        assert!(why.unwrap().contains(name), "{name}");
        assert_eq!(kind.is_foreign(), !target.has_builtin_servers());
        assert_eq!(
            kind.is_foreign(),
            !defaults.contains(&Protocol::Tcp),
            "{name}: only imgwire's own servers have a tcp floor"
        );
    }
}

#[test]
fn every_target_refuses_a_protocol_before_anything_starts_naming_the_flag() {
    for (kind, target) in every_target() {
        let name = target.name();
        for &protocol in Protocol::value_variants() {
            let checked = check_plan(&complete_plan(kind), &[protocol]);
            match target.protocol_refusal(protocol) {
                None => checked.unwrap_or_else(|e| panic!("{name} {protocol:?}: {e}")),
                Some(why) => {
                    let err = checked.expect_err(name).to_string();
                    assert_eq!(err, why);
                    assert!(
                        err.contains("--protocols") && err.contains(protocol.name()),
                        "{name}: {err}"
                    );
                }
            }
        }
    }
}

#[test]
fn every_target_asks_for_what_it_needs_naming_the_flag() {
    for (kind, target) in every_target() {
        let name = target.name();
        let protocols = target.default_protocols();
        let no_model = TargetPlan {
            model: None,
            ..complete_plan(kind)
        };
        match target.needs_model() {
            true => {
                let err = check_plan(&no_model, protocols).expect_err(name);
                assert!(err.to_string().contains("--model"), "{name}: {err}");
            }
            false => check_plan(&no_model, protocols).expect(name),
        }
        let no_urls = TargetPlan {
            kind,
            model: Some("decode".into()),
            ..TargetPlan::default()
        };
        match target.has_builtin_servers() {
            true => check_plan(&no_urls, protocols).expect(name),
            false => {
                let err = check_plan(&no_urls, protocols).expect_err(name);
                assert!(err.to_string().contains("--rest-url"), "{name}: {err}");
            }
        }
    }
}

/// Over the protocols a target serves, each payload is taken (its request
/// builds) or refused with a reason on one line (its request does not
/// build), and at least one payload is taken.
#[test]
fn every_target_takes_a_payload_or_says_why_not() {
    let image = crate::wire::test_image(16, 8);
    for (_, target) in every_target() {
        let name = target.name();
        let wire = target.example_wire();
        let served = Protocol::value_variants()
            .iter()
            .filter(|p| target.protocol_refusal(**p).is_none());
        let mut taken = 0;
        for &protocol in served {
            for &payload in PayloadKind::value_variants() {
                let request = wire.serialize(protocol, payload, Some(&image));
                match wire.refusal(protocol, payload) {
                    None => {
                        request.unwrap_or_else(|e| panic!("{name} {protocol:?} {payload:?}: {e}"));
                        taken += 1;
                    }
                    Some(why) => {
                        assert!(!why.is_empty() && !why.contains('\n'), "{name}: {why}");
                        assert!(request.is_err(), "{name} {protocol:?} {payload:?}");
                    }
                }
            }
        }
        assert!(taken > 0, "{name} takes nothing");
    }
}

#[test]
fn every_target_says_how_it_is_checked_and_where_its_statistics_come_from() {
    for (kind, target) in every_target() {
        let name = target.name();
        assert!(!target.readiness().is_empty(), "{name}");
        assert!(!target.metadata().is_empty(), "{name}");
        match target.statistics() {
            Ok(source) => assert!(source.contains("--stats-url"), "{name}: {source}"),
            Err(why) => assert!(why.contains("Server-Timing"), "{name}: {why}"),
        }
        let plan = complete_plan(kind);
        let remote = target.server_description(&plan, false);
        assert!(!remote.is_empty(), "{name}");
        if target.needs_model() {
            assert!(remote.contains("decode"), "{name}: {remote}");
        }
        let built_in = target.server_decoder(true, ServerDecoder::Turbojpeg);
        let remote_decoder = target.server_decoder(false, ServerDecoder::Turbojpeg);
        if target.has_builtin_servers() {
            assert_eq!(built_in, Some(ServerDecoder::Turbojpeg), "{name}");
            assert_eq!(
                remote_decoder, None,
                "{name}: a remote imgwire's is unknown"
            );
        } else {
            assert_eq!(built_in, remote_decoder, "{name}: no built-in server");
        }
    }
}
