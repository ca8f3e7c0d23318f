//! The cameras of `--streams N --fps F`: how many, how fast, how many
//! frames each may have in flight, and when each frame falls due; and the
//! capacity sweep over several stream counts and encoders.

use std::time::{Duration, Instant};

/// The cameras asked for.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CameraPlan {
    pub streams: usize,
    /// Frames a second per stream.
    pub fps: f64,
    /// Frames a stream has unanswered at most; one more falling due is
    /// dropped.
    pub max_in_flight: usize,
    /// Where these streams sit among all the run's: a shard's streams are
    /// `first_stream..first_stream + streams` of `all_streams`, phased as
    /// one set (an unsharded run: 0 of `streams`).
    pub first_stream: usize,
    pub all_streams: usize,
}

/// A camera capacity sweep: the cameras run once per encoder and stream
/// count, to find the most streams each encoder keeps up with.
#[derive(Clone, Debug, PartialEq)]
pub struct CapacityPlan {
    /// Stream counts, rising.
    pub streams: Vec<usize>,
    /// Encoders, in the order given.
    pub encoders: Vec<crate::encoders::EncoderKind>,
    /// `--slo-ms`: the bound on the capture-to-result p99.
    pub slo: Option<Duration>,
}

impl CameraPlan {
    /// The connections the cameras use at most: one per frame in flight.
    pub fn connections(&self) -> usize {
        self.streams * self.max_in_flight
    }

    /// Frames each stream offers in `duration`: F x duration (rounded to
    /// the nearest frame, so 30 fps for 2 s is exactly 60).
    pub fn frames_per_stream(&self, duration: Duration) -> usize {
        (self.fps * duration.as_secs_f64()).round().max(1.0) as usize
    }

    /// Frames the streams offer a second together: streams x fps.
    pub fn frames_per_s(&self) -> f64 {
        self.streams as f64 * self.fps
    }

    pub fn interval(&self) -> Duration {
        Duration::from_secs_f64(1.0 / self.fps)
    }

    /// When stream `stream`'s frame `k` is due: the streams of every shard
    /// phased `1 / (all streams x fps)` apart.
    pub fn due(&self, start: Instant, stream: usize, k: usize) -> Instant {
        let all = self.all_streams.max(self.streams) as f64;
        let phase = (self.first_stream + stream) as f64 / (all * self.fps);
        start + Duration::from_secs_f64(k as f64 / self.fps + phase)
    }
}
