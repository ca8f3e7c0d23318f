//! Triton's per-request timestamps (`level=TIMESTAMPS`) as server stages,
//! the same split its statistics extension gives as means (see
//! `target::kserve::stats`): queue = COMPUTE_START - QUEUE_START, deserialize
//! = COMPUTE_INPUT_END - COMPUTE_START, infer = COMPUTE_OUTPUT_START -
//! COMPUTE_INPUT_END, respond = COMPUTE_END - COMPUTE_OUTPUT_START. All of a
//! request's timestamps come from the server's one clock, so only their
//! differences are used, never a comparison with the client's clock.

use crate::stage::Stage;
use std::time::Duration;

/// The timestamps of one request that the stages need (Unix ns; 0: not
/// received yet). A request's events arrive in two spans (the model's and
/// `compute`), possibly in two exports.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Timeline {
    queue_start: u64,
    compute_start: u64,
    compute_input_end: u64,
    compute_output_start: u64,
    compute_end: u64,
}

/// Why a received timeline gives no stages.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Incomplete {
    /// Some of the five timestamps never came.
    Missing,
    /// They came out of order: not a timeline of one request.
    OutOfOrder,
}

impl Timeline {
    /// Takes an event's time if it is one of the five; false otherwise.
    pub fn take(&mut self, name: &str, unix_ns: u64) -> bool {
        let slot = match name {
            "QUEUE_START" => &mut self.queue_start,
            "COMPUTE_START" => &mut self.compute_start,
            "COMPUTE_INPUT_END" => &mut self.compute_input_end,
            "COMPUTE_OUTPUT_START" => &mut self.compute_output_start,
            "COMPUTE_END" => &mut self.compute_end,
            _ => return false,
        };
        *slot = unix_ns;
        true
    }

    /// The four server stages, in the order a request passes them.
    pub fn stages(&self) -> Result<[(Stage, Duration); 4], Incomplete> {
        let times = [
            self.queue_start,
            self.compute_start,
            self.compute_input_end,
            self.compute_output_start,
            self.compute_end,
        ];
        if times.contains(&0) {
            return Err(Incomplete::Missing);
        }
        if times.windows(2).any(|pair| pair[1] < pair[0]) {
            return Err(Incomplete::OutOfOrder);
        }
        let between = |i: usize| Duration::from_nanos(times[i + 1] - times[i]);
        Ok([
            (Stage::ServerQueue, between(0)),
            (Stage::ServerDeserialize, between(1)),
            (Stage::ServerInfer, between(2)),
            (Stage::ServerRespond, between(3)),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_timestamps_give_the_four_stages_statistics_give() {
        let mut timeline = Timeline::default();
        for (name, at) in [
            ("REQUEST_START", 0),
            ("QUEUE_START", 1_000),
            ("COMPUTE_START", 3_000),
            ("COMPUTE_INPUT_END", 3_500),
            ("COMPUTE_OUTPUT_START", 7_500),
            ("COMPUTE_END", 8_000),
        ] {
            assert_eq!(timeline.take(name, at), name != "REQUEST_START");
        }
        let us = Duration::from_micros;
        assert_eq!(
            timeline.stages(),
            Ok([
                (Stage::ServerQueue, us(2)),
                (Stage::ServerDeserialize, Duration::from_nanos(500)),
                (Stage::ServerInfer, us(4)),
                (Stage::ServerRespond, Duration::from_nanos(500)),
            ])
        );
    }

    #[test]
    fn a_missing_or_disordered_timestamp_gives_no_stages() {
        let mut timeline = Timeline::default();
        timeline.take("QUEUE_START", 10);
        assert_eq!(timeline.stages(), Err(Incomplete::Missing));
        for (name, at) in [
            ("COMPUTE_START", 5),
            ("COMPUTE_INPUT_END", 20),
            ("COMPUTE_OUTPUT_START", 30),
            ("COMPUTE_END", 40),
        ] {
            timeline.take(name, at);
        }
        assert_eq!(timeline.stages(), Err(Incomplete::OutOfOrder));
    }
}
