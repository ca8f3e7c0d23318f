//! What the load produces and the reports read: one record per completed
//! request (its stage durations and bytes), and one result per burst.

use crate::stage::Stage;
use std::time::Duration;

/// The stage durations of one request that completed.
#[derive(Clone, Debug, Default)]
pub struct RequestRecord {
    /// The client worker (one connection for REST) that sent it.
    pub worker: usize,
    /// When serialization began, since the run's epoch.
    pub started: Duration,
    /// From the request handed to the connection to the response read.
    pub roundtrip: Duration,
    pub stages: Vec<(Stage, Duration)>,
    pub request_bytes: usize,
    pub response_bytes: usize,
    /// The encoded image the request carried, in bytes (0: none).
    pub image_bytes: usize,
    /// Set when the server's `Server-Timing` was left out of the stages:
    /// unreadable, or stages that do not fit inside the round trip.
    pub timing_warning: Option<TimingWarning>,
    /// The W3C trace id of the `traceparent` the request carried (see
    /// `trace_context`); for KServe v2 targets its 32 hex digits were the
    /// request's `id` too. All zeros (never a valid id): none was sent
    /// (`--no-traceparent`, or the tcp floor, which has no headers).
    pub trace_id: [u8; 16],
    /// The span id of that `traceparent`: the client's span of this
    /// request, the parent of any span a server records for it. All zeros
    /// when none was sent.
    pub span_id: [u8; 8],
}

impl RequestRecord {
    /// The trace id as 32 lower-case hex digits (a KServe v2 request's
    /// `id`, a server trace's trace id), None where none was sent.
    pub fn trace_id_hex(&self) -> Option<String> {
        let sent = self.trace_id != [0; 16];
        sent.then(|| self.trace_id.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// Takes server stages measured apart from the answer (a server's own
    /// trace, joined after the run): they go in after transport, which
    /// becomes the round trip less them, so the stages still add up to the
    /// wall. Refused, and the record left as it was, where it has server
    /// stages already or these do not fit inside its round trip.
    pub fn add_server_stages(&mut self, server: &[(Stage, Duration)]) -> Result<(), TimingWarning> {
        if self.stages.iter().any(|(s, _)| Stage::SERVER.contains(s)) {
            return Err(TimingWarning::ServerStagesTwice);
        }
        let total: Duration = server.iter().map(|(_, d)| *d).sum();
        check_fits(total, self.roundtrip)?;
        let Some(at) = self.stages.iter().position(|(s, _)| *s == Stage::Transport) else {
            return Err(TimingWarning::ServerStagesTwice);
        };
        self.stages[at].1 = self.roundtrip.saturating_sub(total);
        let after = self.stages.split_off(at + 1);
        self.stages.extend_from_slice(server);
        self.stages.extend(after);
        Ok(())
    }

    /// The duration of `wanted`, zero where the request has no such stage.
    pub fn stage(&self, wanted: Stage) -> Duration {
        self.stages
            .iter()
            .find(|(stage, _)| *stage == wanted)
            .map_or(Duration::ZERO, |(_, d)| *d)
    }
}

/// Why a response's `Server-Timing` was not taken as its server stages.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum TimingWarning {
    #[error("unreadable Server-Timing: {0}")]
    Unreadable(#[from] crate::wire::server_timing::ServerTimingError),
    /// The server claims more time than the client's whole round trip, in
    /// which all of the server's work happened: its clock or its figures
    /// are wrong, and no stage can be taken from them.
    #[error(
        "the server's stages ({} ms) do not fit inside the client's {} ms round trip",
        millis(*server),
        millis(*roundtrip)
    )]
    LongerThanRoundTrip {
        server: Duration,
        roundtrip: Duration,
    },
    /// The server answered with a `traceresponse` of another trace (or an
    /// unreadable one): its stages may be another request's.
    #[error("the server's traceresponse {answered:?} is not of this request's trace {sent}")]
    OtherTrace { sent: String, answered: String },
    /// Server stages came from two sources (its `Server-Timing` and its
    /// trace): the first is kept.
    #[error("the server's stages came both in its answer and in its trace; the answer's are kept")]
    ServerStagesTwice,
}

fn millis(d: Duration) -> String {
    match d.as_secs_f64() * 1e3 {
        ms if ms < 1e6 => format!("{ms:.3}"),
        ms => format!("{ms:.3e}"),
    }
}

/// Server stages may exceed the round trip by this share of it (clock
/// granularity) before they are refused.
const ROUNDTRIP_SLACK: u32 = 100;

/// Checks that the server's stages, `server` in all, fit inside the
/// client's `roundtrip`.
pub fn check_fits(server: Duration, roundtrip: Duration) -> Result<(), TimingWarning> {
    match server <= roundtrip + roundtrip / ROUNDTRIP_SLACK {
        true => Ok(()),
        false => Err(TimingWarning::LongerThanRoundTrip { server, roundtrip }),
    }
}

/// What one burst measured.
pub struct BurstResult {
    /// When the burst began, since the run's epoch.
    pub started: Duration,
    /// A burst's duration; a window's mean latency (the value the
    /// statistics over windows read, not a length of time).
    pub elapsed: Duration,
    /// The wall time it stands for in throughput: a burst's duration, a
    /// window's length (with the empty windows after it, or before the
    /// first, folded in, so a run's windows add up to its span).
    pub span: Duration,
    pub records: Vec<RequestRecord>,
    /// One message per failed request.
    pub errors: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_stages_longer_than_the_round_trip_do_not_fit() {
        let ms = Duration::from_millis;
        assert!(check_fits(ms(3), ms(4)).is_ok());
        assert!(
            check_fits(Duration::from_micros(4_040), ms(4)).is_ok(),
            "within 1 %"
        );
        let err = check_fits(Duration::MAX, ms(4)).unwrap_err();
        assert!(err.to_string().contains("e"), "{err}");
    }

    #[test]
    fn server_stages_from_a_trace_split_transport_and_keep_the_sum() {
        let ms = Duration::from_millis;
        let mut record = RequestRecord {
            roundtrip: ms(10),
            stages: vec![
                (Stage::Serialize, ms(1)),
                (Stage::Transport, ms(10)),
                (Stage::Response, ms(1)),
                (Stage::Residual, ms(0)),
                (Stage::Wall, ms(12)),
            ],
            ..RequestRecord::default()
        };
        let server = [(Stage::ServerQueue, ms(2)), (Stage::ServerInfer, ms(5))];
        record.add_server_stages(&server).unwrap();
        let names: Vec<Stage> = record.stages.iter().map(|(s, _)| *s).collect();
        assert_eq!(
            names,
            [
                Stage::Serialize,
                Stage::Transport,
                Stage::ServerQueue,
                Stage::ServerInfer,
                Stage::Response,
                Stage::Residual,
                Stage::Wall
            ]
        );
        assert_eq!(record.stage(Stage::Transport), ms(3));
        let in_request: Duration = Stage::IN_REQUEST.iter().map(|s| record.stage(*s)).sum();
        assert_eq!(in_request, ms(12), "the stages still add up to the wall");
        let before = record.stages.clone();
        assert_eq!(
            record.add_server_stages(&server),
            Err(TimingWarning::ServerStagesTwice)
        );
        let mut short = RequestRecord {
            roundtrip: ms(4),
            stages: vec![(Stage::Transport, ms(4))],
            ..RequestRecord::default()
        };
        assert!(matches!(
            short.add_server_stages(&server),
            Err(TimingWarning::LongerThanRoundTrip { .. })
        ));
        assert_eq!(short.stages, vec![(Stage::Transport, ms(4))]);
        assert_eq!(record.stages, before);
    }

    #[test]
    fn an_absurd_server_total_is_printed_in_scientific_notation() {
        let err = check_fits(Duration::MAX, Duration::from_millis(4)).unwrap_err();
        assert!(err.to_string().contains("e"), "{err}");
        assert!(err.to_string().contains("4.000 ms round trip"), "{err}");
    }
}
