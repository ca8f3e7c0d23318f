//! The load models beside the seed's bursts: closed (`--load closed`) and
//! open (`--load open --rate R`) loops, folded into fixed windows that play
//! the part of bursts in the report; and the warm-up that goes on until
//! its last bursts or windows agree (`--stability`, `--warmup-max`).

pub(crate) mod cameras;
pub(crate) mod sample;
pub(crate) mod stability;
pub(crate) mod windows;
pub(crate) mod workers;

use crate::report::load_figures::{LoadFigures, LoadSettings};
use crate::report::records::{BurstResult, RequestRecord};
use crate::run::burst::{run_burst, RequestPlan};
use crate::run::plan::{BenchPlan, LoadModel, LoadPlan, LoadStop};
use cameras::CameraTally;
use std::time::Duration;

/// The load settings as the report states them.
pub fn settings(load: &LoadPlan) -> LoadSettings {
    let (duration_s, requests_per_run) = match load.stop {
        Some(LoadStop::Duration(d)) => (Some(d.as_secs_f64()), None),
        Some(LoadStop::Requests(n)) => (None, Some(n)),
        None => (None, None),
    };
    LoadSettings {
        load_model: load.model,
        rate_per_s: load.rate_per_s,
        duration_s,
        requests_per_run,
        stability_percent: load.stability_percent,
        warmup_max: load.warmup_max,
    }
}

/// One scenario's load: its plan and its requests.
pub struct Load<'a> {
    pub plan: &'a LoadPlan,
    pub requests: &'a RequestPlan,
}

/// The counted part of a scenario: its bursts or windows, and the figures.
pub struct Counted {
    pub bursts: Vec<BurstResult>,
    pub figures: LoadFigures,
}

/// What sees the counted requests while the run goes: the completed
/// records, the failed count, the wall time they span, and the cameras'
/// counts so far (camera runs only).
pub type Progress<'a> =
    dyn FnMut(&[&RequestRecord], usize, Duration, Option<CameraTally>) + Send + 'a;

impl Load<'_> {
    /// The first frame of burst or warm-up window `index`.
    fn first_frame(&self, index: usize) -> usize {
        index * self.plan.concurrency
    }

    /// One warm-up burst, or one warm-up window: a closed or open run of a
    /// `--bursts`-th of the counted run.
    pub async fn warmup_unit(&self, index: usize) -> BurstResult {
        let frame = self.first_frame(index);
        match (self.plan.model, self.plan.stop) {
            (LoadModel::Closed | LoadModel::Open, Some(stop)) => {
                let share = share_of(stop, self.plan.bursts);
                let run = workers::run_workers(self.requests, self.plan, share, frame, None);
                windows::single(run.await)
            }
            _ => run_burst(self.requests, self.plan.concurrency, index).await,
        }
    }

    /// Whether the warm-up goes on after `done`: until `--warmup` bursts
    /// ran, then while the last ones disagree and `--warmup-max` allows.
    pub fn keeps_warming(&self, done: &[BurstResult]) -> bool {
        let (first, most) = (self.plan.warmup_bursts, self.plan.warmup_max);
        match done.len() {
            n if n < first => true,
            n => first > 0 && n < first + most && self.stability(done) == Some(false),
        }
    }

    /// Whether the warm-up ended stable (None when there was none).
    pub fn stability(&self, done: &[BurstResult]) -> Option<bool> {
        let values: Vec<u64> = done.iter().map(elapsed_ns).collect();
        (self.plan.warmup_bursts > 0)
            .then(|| stability::agree(&values, self.plan.stability_percent))
    }

    /// The counted bursts, or the counted closed or open run cut into
    /// `--bursts` windows; frames from burst `first` on. `each` sees every
    /// burst or window once the run has it and says whether to stop;
    /// `progress` gets every completed request while the run goes: each
    /// burst as it ends, or a closed or open run's requests about every
    /// second (`workers::FEED_EVERY`).
    pub async fn counted(
        &self,
        first: usize,
        progress: &mut Progress<'_>,
        mut each: impl FnMut(&BurstResult) -> bool,
    ) -> Counted {
        let mut figures = LoadFigures {
            concurrency: self.plan.concurrency,
            ..LoadFigures::default()
        };
        let bursts = match (self.plan.model, self.plan.stop) {
            (LoadModel::Closed | LoadModel::Open, Some(stop)) => {
                let frame = self.first_frame(first);
                let mut feed =
                    |samples: &[workers::Sample], span: Duration, cameras: Option<CameraTally>| {
                        let records: Vec<&RequestRecord> = samples
                            .iter()
                            .filter_map(|s| s.outcome.as_ref().ok())
                            .collect();
                        progress(&records, samples.len() - records.len(), span, cameras);
                    };
                let run =
                    workers::run_workers(self.requests, self.plan, stop, frame, Some(&mut feed));
                let mut run = run.await;
                figures.cameras = run.cameras.take();
                let folded = windows::fold(run, self.plan.bursts);
                for window in &folded.windows {
                    if each(window) {
                        break;
                    }
                }
                figures.window_ns = Some(crate::report::summary::nanos(folded.window));
                figures.latency = folded.latency;
                figures.windows = folded.counts;
                figures.latency_corrected_histogram = folded.corrected_histogram;
                folded.windows
            }
            _ => {
                let mut bursts = Vec::new();
                for index in first..first + self.plan.bursts {
                    let burst = run_burst(self.requests, self.plan.concurrency, index).await;
                    let records: Vec<&RequestRecord> = burst.records.iter().collect();
                    progress(&records, burst.errors.len(), burst.span, None);
                    let stop = each(&burst);
                    bursts.push(burst);
                    if stop {
                        break;
                    }
                }
                figures.latency = windows::burst_latency(&bursts);
                figures.windows = windows::burst_counts(&bursts);
                bursts
            }
        };
        figures.window_values_ns = bursts.iter().map(elapsed_ns).collect();
        Counted { bursts, figures }
    }
}

fn elapsed_ns(burst: &BurstResult) -> u64 {
    crate::report::summary::nanos(burst.elapsed)
}

/// A `parts`-th of a run: its duration, or its requests (at least one).
fn share_of(stop: LoadStop, parts: usize) -> LoadStop {
    let parts = parts.max(1);
    match stop {
        LoadStop::Duration(d) => LoadStop::Duration(d / u32::try_from(parts).unwrap_or(u32::MAX)),
        LoadStop::Requests(n) => LoadStop::Requests(n.div_ceil(parts).max(1)),
    }
}

/// One point of a concurrency sweep: `concurrency` requests or workers, on
/// the client and (unless `--rest-pool` fixed it) in the REST pool.
pub fn set_concurrency(plan: &mut BenchPlan, concurrency: usize) {
    plan.set_concurrency(concurrency);
    plan.load.concurrency_levels = vec![concurrency];
}

/// The curve tables of a concurrency sweep's reports.
pub fn render_curves(done: &[(String, crate::report::BenchReport)]) -> String {
    let reports: Vec<&crate::report::BenchReport> = done.iter().map(|(_, r)| r).collect();
    let open = reports
        .first()
        .is_some_and(|r| r.settings.load.load_model == LoadModel::Open);
    crate::report::curve::render(&crate::report::curve::curves(&reports), open)
}
