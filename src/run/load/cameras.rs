//! Cameras (`--streams N --fps F`): N independent sources, each producing F
//! frames a second, as an open load whose arrivals are frames. Stream `s`'s
//! frame `k` is due at `k / F + s / (N x F)` seconds (the phase keeps the
//! streams out of lockstep); each frame is made and encoded live and sent.
//! A frame that falls due while its stream already has `--max-in-flight`
//! frames unanswered is dropped, not sent (a camera's pipeline drops what
//! it cannot take), and counted. A sent frame is late when its encoded
//! bytes were ready to go out more than one frame interval after its due
//! time (the wait for its turn, generate and encode together).

use super::sample::{wait_until, Sample};
use crate::report::cameras::CameraFigures;
use crate::run::burst::{one_request, RequestPlan};
use crate::run::plan::CameraPlan;
use crate::stage::Stage;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

/// What the streams counted while they ran.
#[derive(Default)]
pub struct CameraCounters {
    offered: AtomicUsize,
    sent: AtomicUsize,
    late: AtomicUsize,
    dropped: AtomicUsize,
}

/// The counts so far, read together (for live metrics while the run goes).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CameraTally {
    pub offered: usize,
    pub sent: usize,
    pub late: usize,
    pub dropped: usize,
}

impl CameraCounters {
    /// What the streams have counted so far.
    pub fn tally(&self) -> CameraTally {
        CameraTally {
            offered: self.offered.load(Ordering::Relaxed),
            sent: self.sent.load(Ordering::Relaxed),
            late: self.late.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
        }
    }

    /// The figures of a run that lasted `duration` (as asked) and took
    /// `elapsed` from its start to its last reply, `completed` frames
    /// answered; sustained frames/s are over the longer of the two.
    pub fn figures(
        &self,
        plan: &CameraPlan,
        duration: Duration,
        elapsed: Duration,
        completed: usize,
    ) -> CameraFigures {
        // Frames offered over `duration` and all answered in time are
        // `streams x fps` a second: a run answered within its duration is
        // counted over the duration, a later one over its whole elapsed time.
        let secs = elapsed.max(duration).as_secs_f64();
        CameraFigures {
            streams: plan.streams,
            fps: plan.fps,
            max_in_flight: plan.max_in_flight,
            duration_s: duration.as_secs_f64(),
            frames_offered: self.offered.load(Ordering::Relaxed),
            frames_sent: self.sent.load(Ordering::Relaxed),
            frames_late: self.late.load(Ordering::Relaxed),
            frames_dropped: self.dropped.load(Ordering::Relaxed),
            frames_completed: completed,
            sustained_frames_per_s: if secs > 0.0 {
                completed as f64 / secs
            } else {
                0.0
            },
        }
    }
}

/// Where a stream's frames go and how they are numbered.
#[derive(Clone)]
pub struct StreamsRun {
    pub requests: RequestPlan,
    pub plan: CameraPlan,
    pub duration: Duration,
    pub start: Instant,
    pub first_frame: usize,
    pub counters: Arc<CameraCounters>,
    pub completed: UnboundedSender<Sample>,
}

/// Starts one task per stream; each ends once its last frame fell due (its
/// frames in flight hold the sample channel open until they are answered).
pub fn spawn_streams(run: &StreamsRun) -> Vec<JoinHandle<()>> {
    (0..run.plan.streams)
        .map(|stream| {
            let run = run.clone();
            tokio::spawn(async move { stream_loop(&run, stream).await })
        })
        .collect()
}

async fn stream_loop(run: &StreamsRun, stream: usize) {
    let plan = run.plan;
    let in_flight = Arc::new(AtomicUsize::new(0));
    for k in 0..plan.frames_per_stream(run.duration) {
        let due = plan.due(run.start, stream, k);
        wait_until(due).await;
        run.counters.offered.fetch_add(1, Ordering::Relaxed);
        if in_flight.load(Ordering::Acquire) >= plan.max_in_flight {
            run.counters.dropped.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        in_flight.fetch_add(1, Ordering::AcqRel);
        run.counters.sent.fetch_add(1, Ordering::Relaxed);
        let (run, in_flight) = (run.clone(), in_flight.clone());
        tokio::spawn(async move {
            let late = due.elapsed();
            let worker = stream * plan.max_in_flight + k % plan.max_in_flight;
            let frame = run.first_frame + k * plan.streams + stream;
            let outcome = one_request(&run.requests, worker, frame)
                .await
                .map_err(|e| format!("{e:#}"));
            in_flight.fetch_sub(1, Ordering::AcqRel);
            if let Ok(record) = &outcome {
                if late + made_in(&record.stages) > plan.interval() {
                    run.counters.late.fetch_add(1, Ordering::Relaxed);
                }
            }
            let done = run.start.elapsed();
            let _ = run.completed.send(Sample {
                outcome,
                late,
                done,
            });
        });
    }
}

/// The time a request spent making and encoding its frame.
fn made_in(stages: &[(Stage, Duration)]) -> Duration {
    stages
        .iter()
        .filter(|(stage, _)| matches!(stage, Stage::Generate | Stage::Encode))
        .map(|(_, d)| *d)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_phased_within_one_frame_interval() {
        let plan = CameraPlan {
            streams: 4,
            first_stream: 0,
            all_streams: 4,
            fps: 10.0,
            max_in_flight: 1,
        };
        let start = Instant::now();
        let at = |s, k| plan.due(start, s, k).duration_since(start);
        assert_eq!(at(0, 0), Duration::ZERO);
        assert_eq!(at(1, 0), Duration::from_millis(25));
        assert_eq!(at(3, 2), Duration::from_millis(275));
        assert_eq!(plan.frames_per_stream(Duration::from_secs(2)), 20);
        assert_eq!(plan.connections(), 4);
    }
}
