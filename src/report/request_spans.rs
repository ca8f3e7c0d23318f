//! Where one request's spans sit on the client's clock, from its record:
//! the request, its client stages in order (a live frame's generate and
//! encode under `--encode live`, serialize, round trip, response), and the server's stages inside the round trip, centred in
//! it (only durations, never clock readings, cross the wire). The
//! Perfetto trace (`trace`) and the OTLP export (`otlp`) both draw these.

use super::records::RequestRecord;
use crate::stage::{Side, Stage};
use std::time::Duration;

/// One span: its name, when it began since the run's epoch, how long.
#[derive(Clone, Debug, PartialEq)]
pub struct Placed {
    pub name: &'static str,
    pub start: Duration,
    pub duration: Duration,
}

/// A request's spans.
#[derive(Clone, Debug)]
pub struct RequestSpans {
    /// The whole request (at least as long as its stages laid end to end).
    pub request: Placed,
    /// A live frame's `generate` then `encode` (its wait for an encoder
    /// thread included), from the request's start; empty for the pool's.
    pub made: Vec<Placed>,
    pub serialize: Placed,
    /// From the request handed to the connection to the response read.
    pub round_trip: Placed,
    /// The server's stages, inside the round trip.
    pub server: Vec<(Stage, Placed)>,
    pub response: Placed,
    /// The round trip less the server's stages.
    pub transport: Duration,
}

impl RequestSpans {
    pub fn of(record: &RequestRecord) -> RequestSpans {
        let stage = |wanted: Stage| record.stage(wanted);
        let server: Vec<(Stage, Duration)> = (record.stages.iter().copied())
            .filter(|(s, _)| s.side() == Side::Server)
            .collect();
        let server_total: Duration = server.iter().map(|(_, d)| *d).sum();
        let roundtrip = record.roundtrip.max(server_total);
        // A live frame's making and encoding come first (`--encode live`).
        let made = stage(Stage::Generate) + stage(Stage::Encode);
        let children = made + stage(Stage::Serialize) + roundtrip + stage(Stage::Response);
        let wall = stage(Stage::Wall).max(children);
        let placed = |name, start, duration| Placed {
            name,
            start,
            duration,
        };
        let serialize_at = record.started + made;
        let round_trip_at = serialize_at + stage(Stage::Serialize);
        let mut server_at = round_trip_at + (roundtrip - server_total) / 2;
        let server = server
            .into_iter()
            .map(|(s, d)| {
                let span = placed(s.name(), server_at, d);
                server_at += d;
                (s, span)
            })
            .collect();
        let mut made_at = record.started;
        let made = (record.stages.iter())
            .filter(|(s, _)| matches!(s, Stage::Generate | Stage::Encode))
            .map(|&(s, d)| {
                made_at += d;
                placed(s.name(), made_at - d, d)
            })
            .collect();
        RequestSpans {
            request: placed("request", record.started, wall),
            made,
            serialize: placed("serialize", serialize_at, stage(Stage::Serialize)),
            round_trip: placed("round trip", round_trip_at, roundtrip),
            server,
            response: placed(
                "response",
                round_trip_at + roundtrip,
                stage(Stage::Response),
            ),
            transport: stage(Stage::Transport),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_stages_sit_centred_inside_the_round_trip() {
        let us = Duration::from_micros;
        let record = RequestRecord {
            started: us(1000),
            roundtrip: us(100),
            stages: vec![
                (Stage::Serialize, us(10)),
                (Stage::ServerDecode, us(30)),
                (Stage::ServerInfer, us(10)),
                (Stage::Response, us(5)),
                (Stage::Wall, us(120)),
            ],
            ..RequestRecord::default()
        };
        let spans = RequestSpans::of(&record);
        assert_eq!(spans.request.duration, us(120));
        assert_eq!(spans.round_trip.start, us(1010));
        assert_eq!(spans.server[0].1.start, us(1010 + 30));
        assert_eq!(spans.server[1].1.start, us(1010 + 60));
        assert_eq!(spans.response.start, us(1110));
    }
}
