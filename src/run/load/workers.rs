//! The closed and open loops: `--concurrency` workers take request numbers
//! from one counter until the run's end. Closed: each sends as soon as its
//! last reply came. Open: request `i` is due at `i / rate` seconds and a
//! worker waits for that moment; a request that falls due while every
//! worker is busy goes out late, and the lateness is kept, so latency can
//! be counted from the due time (coordinated omission corrected).

use super::cameras::{spawn_streams, CameraCounters, CameraTally, StreamsRun};
use super::sample::wait_until;
pub use super::sample::Sample;
use crate::run::burst::{one_request, RequestPlan};
use crate::run::plan::{LoadModel, LoadPlan, LoadStop};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Everything a closed or open run measured.
pub struct LoadRun {
    pub samples: Vec<Sample>,
    /// When the run began, since the scenario's epoch.
    pub started: Duration,
    /// From the run's start to its last reply.
    pub span: Duration,
    /// Whether requests had due times (open load).
    pub scheduled: bool,
    /// What the cameras counted (`--streams`; None otherwise).
    pub cameras: Option<crate::report::cameras::CameraFigures>,
}

/// When requests are due and when the run ends.
#[derive(Clone, Copy)]
struct Pace {
    start: Instant,
    /// Requests to send at most (a count, or the open schedule's length).
    total: Option<usize>,
    /// No request starts after this (closed load for a duration).
    deadline: Option<Instant>,
    /// Requests per second of an open load.
    rate: Option<f64>,
}

impl Pace {
    fn new(load: &LoadPlan, stop: LoadStop, start: Instant) -> Self {
        let rate = match load.model {
            LoadModel::Open => load.rate_per_s,
            LoadModel::Bursts | LoadModel::Closed => None,
        };
        let (total, deadline) = match (stop, rate) {
            (LoadStop::Requests(n), _) => (Some(n), None),
            (LoadStop::Duration(d), Some(rate)) => {
                let due = (d.as_secs_f64() * rate).ceil().max(1.0) as usize;
                (Some(due), None)
            }
            (LoadStop::Duration(d), None) => (None, Some(start + d)),
        };
        Pace {
            start,
            total,
            deadline,
            rate,
        }
    }

    /// Whether request `index` is past the run's end.
    fn ended(&self, index: usize) -> bool {
        self.total.is_some_and(|total| index >= total)
            || self.deadline.is_some_and(|end| Instant::now() >= end)
    }

    /// When request `index` is due (open load).
    fn due(&self, index: usize) -> Option<Instant> {
        let rate = self.rate?;
        Some(self.start + Duration::from_secs_f64(index as f64 / rate))
    }
}

/// What a run hands on while it goes: the samples completed since the
/// last call, and the wall time since then (the calls' times add up to the
/// run's span).
pub type Feed<'a> = &'a mut (dyn FnMut(&[Sample], Duration, Option<CameraTally>) + Send);

/// How often a run hands its completed samples to its feed.
pub const FEED_EVERY: Duration = Duration::from_secs(1);

/// Runs a closed or open load until `stop`; frames are picked from
/// `first_frame` on. `feed`, where given, gets the completed samples about
/// every [`FEED_EVERY`] while the run goes, and the rest at its end, each
/// time with the cameras' counts so far.
pub async fn run_workers(
    requests: &RequestPlan,
    load: &LoadPlan,
    stop: LoadStop,
    first_frame: usize,
    mut feed: Option<Feed<'_>>,
) -> LoadRun {
    let start = Instant::now();
    let pace = Pace::new(load, stop, start);
    let (sender, mut completed) = tokio::sync::mpsc::unbounded_channel();
    let (tasks, counters) = spawn_tasks(requests, load, stop, pace, first_frame, sender);
    let mut samples = Vec::new();
    let (mut fed, mut fed_at) = (0, start);
    let mut ticks = tokio::time::interval_at((start + FEED_EVERY).into(), FEED_EVERY);
    loop {
        tokio::select! {
            sample = completed.recv() => match sample {
                Some(sample) => samples.push(sample),
                None => break,
            },
            _ = ticks.tick(), if feed.is_some() => {
                let now = Instant::now();
                if let Some(feed) = feed.as_mut() {
                    feed(&samples[fed..], now - fed_at, counters.as_ref().map(|c| c.tally()));
                }
                (fed, fed_at) = (samples.len(), now);
            }
        }
    }
    for task in tasks {
        if let Err(join) = task.await {
            samples.push(Sample {
                outcome: Err(format!("request task failed: {join}")),
                late: Duration::ZERO,
                done: start.elapsed(),
            });
        }
    }
    if let Some(feed) = feed {
        let tally = counters.as_ref().map(|c| c.tally());
        feed(&samples[fed..], Instant::now() - fed_at, tally);
    }
    LoadRun {
        started: start.duration_since(requests.epoch),
        span: start.elapsed(),
        scheduled: pace.rate.is_some(),
        cameras: counters.zip(load.cameras).map(|(counters, plan)| {
            let completed = samples.iter().filter(|s| s.outcome.is_ok()).count();
            let duration = match stop {
                LoadStop::Duration(d) => d,
                LoadStop::Requests(_) => start.elapsed(),
            };
            counters.figures(&plan, duration, start.elapsed(), completed)
        }),
        samples,
    }
}

type Tasks = Vec<tokio::task::JoinHandle<()>>;

/// The run's tasks: one per stream under `--streams` (with what they
/// count), else one per worker.
fn spawn_tasks(
    requests: &RequestPlan,
    load: &LoadPlan,
    stop: LoadStop,
    pace: Pace,
    first_frame: usize,
    sender: tokio::sync::mpsc::UnboundedSender<Sample>,
) -> (Tasks, Option<Arc<CameraCounters>>) {
    if let (Some(plan), LoadStop::Duration(duration)) = (load.cameras, stop) {
        let counters = Arc::new(CameraCounters::default());
        let run = StreamsRun {
            requests: requests.clone(),
            plan,
            duration,
            start: pace.start,
            first_frame,
            counters: counters.clone(),
            completed: sender,
        };
        return (spawn_streams(&run), Some(counters));
    }
    let next = Arc::new(AtomicUsize::new(0));
    let tasks = (0..load.concurrency.max(1))
        .map(|worker| {
            let (requests, next, sender) = (requests.clone(), next.clone(), sender.clone());
            tokio::spawn(async move {
                worker_loop(&requests, pace, &next, worker, first_frame, &sender).await
            })
        })
        .collect();
    (tasks, None)
}

async fn worker_loop(
    requests: &RequestPlan,
    pace: Pace,
    next: &AtomicUsize,
    worker: usize,
    first_frame: usize,
    completed: &tokio::sync::mpsc::UnboundedSender<Sample>,
) {
    loop {
        let index = next.fetch_add(1, Ordering::Relaxed);
        if pace.ended(index) {
            return;
        }
        let due = pace.due(index);
        if let Some(at) = due {
            wait_until(at).await;
        }
        let late = due.map_or(Duration::ZERO, |at| at.elapsed());
        let outcome = one_request(requests, worker, first_frame + index)
            .await
            .map_err(|e| format!("{e:#}"));
        let sample = Sample {
            outcome,
            late,
            done: pace.start.elapsed(),
        };
        if completed.send(sample).is_err() {
            return;
        }
    }
}
