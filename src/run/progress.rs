//! What a bench run says while it runs, on stderr: a progress bar (bursts
//! done, the scenario under way and the median of its bursts so far) once
//! the run has taken a second, a line per finished scenario, and notes.
//! The bar only draws when stdout and stderr are terminals; `--quiet` says
//! nothing at all. The run loop calls a few hooks and decides none of this.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a run goes before its bar appears: shorter runs never flicker one.
const SHOW_AFTER: Duration = Duration::from_secs(1);

/// The run's progress: its bar (hidden until shown) and the current
/// scenario's burst times.
pub struct RunProgress {
    quiet: bool,
    /// None when no bar may draw (`--quiet`, or not a terminal).
    bar: Option<ProgressBar>,
    started: Instant,
    shown: AtomicBool,
    scenario: Mutex<Scenario>,
}

/// The scenario under way: its place in the run, its name, its bursts.
#[derive(Default)]
struct Scenario {
    place: String,
    label: String,
    burst_ns: Vec<u64>,
}

impl RunProgress {
    /// Progress for a run: quiet with `quiet`, a bar only on a terminal.
    pub fn new(quiet: bool) -> Self {
        let terminal = std::io::stdout().is_terminal() && std::io::stderr().is_terminal();
        RunProgress::with_bar(quiet, terminal && !quiet)
    }

    /// Progress with or without a bar (`new` decides from the terminal).
    pub fn with_bar(quiet: bool, bar: bool) -> Self {
        let bar = bar.then(|| {
            let style = ProgressStyle::with_template(
                "{spinner} [{bar:28}] {pos}/{len} bursts {elapsed} {wide_msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
            ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::hidden()).with_style(style)
        });
        RunProgress {
            quiet,
            bar,
            started: Instant::now(),
            shown: AtomicBool::new(false),
            scenario: Mutex::new(Scenario::default()),
        }
    }

    /// The run's size: `scenarios` of `bursts_each` bursts (warm-up included).
    pub fn plan(&self, scenarios: usize, bursts_each: usize) {
        if let Some(bar) = &self.bar {
            bar.set_length((scenarios * bursts_each) as u64);
        }
    }

    /// Scenario `index` (from 0) of `total` begins.
    pub fn start_scenario(&self, index: usize, total: usize, label: &str) {
        let mut scenario = self.scenario.lock().unwrap_or_else(|e| e.into_inner());
        *scenario = Scenario {
            place: format!("[{}/{total}]", index + 1),
            label: label.to_string(),
            burst_ns: Vec::new(),
        };
        self.set_message(&scenario);
    }

    /// A burst of the current scenario finished in `elapsed`.
    pub fn burst_done(&self, elapsed: Duration) {
        let Some(bar) = &self.bar else {
            return;
        };
        let mut scenario = self.scenario.lock().unwrap_or_else(|e| e.into_inner());
        scenario
            .burst_ns
            .push(crate::report::summary::nanos(elapsed));
        self.set_message(&scenario);
        bar.inc(1);
        if self.started.elapsed() >= SHOW_AFTER && !self.shown.swap(true, Ordering::Relaxed) {
            bar.set_draw_target(ProgressDrawTarget::stderr());
            bar.enable_steady_tick(Duration::from_millis(200));
        }
    }

    /// The current scenario finished: its result line, above the bar.
    pub fn finish_scenario(&self, line: &str) {
        self.note(line);
    }

    /// A line about the run (not a result): above the bar where one is
    /// drawn, on stderr otherwise, nowhere with `--quiet`.
    pub fn note(&self, line: &str) {
        match &self.bar {
            _ if self.quiet => {}
            Some(bar) if !bar.is_hidden() => bar.println(line),
            _ => eprintln!("{line}"),
        }
    }

    /// The bar's text: the scenario and the median of its bursts so far.
    fn set_message(&self, scenario: &Scenario) {
        let Some(bar) = &self.bar else {
            return;
        };
        let mut message = format!("{} {}", scenario.place, scenario.label);
        if let Some(p50) = running_median(&scenario.burst_ns) {
            message.push_str(&format!(", p50 {:.1} ms/burst", p50 as f64 / 1e6));
        }
        bar.set_message(message);
    }

    /// The bar's text right now, for tests.
    #[cfg(test)]
    pub fn message(&self) -> Option<String> {
        self.bar.as_ref().map(|b| b.message())
    }
}

impl Drop for RunProgress {
    /// The bar goes before the tables print, however the run ended.
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// The median of the bursts so far, None before the first.
fn running_median(burst_ns: &[u64]) -> Option<u64> {
    (!burst_ns.is_empty()).then(|| crate::report::summary::summarize(burst_ns).p50_ns)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_names_the_scenario_and_its_running_median() {
        let progress = RunProgress::with_bar(false, true);
        progress.plan(2, 3);
        progress.start_scenario(1, 2, "360x640 binary gRPC");
        assert_eq!(progress.message().unwrap(), "[2/2] 360x640 binary gRPC");
        for ms in [30, 10, 20] {
            progress.burst_done(Duration::from_millis(ms));
        }
        assert_eq!(
            progress.message().unwrap(),
            "[2/2] 360x640 binary gRPC, p50 20.0 ms/burst"
        );
        progress.start_scenario(0, 2, "next");
        assert_eq!(progress.message().unwrap(), "[1/2] next");
    }

    #[test]
    fn quiet_or_off_a_terminal_there_is_no_bar() {
        assert!(RunProgress::with_bar(true, false).message().is_none());
        let off = RunProgress::with_bar(false, false);
        off.burst_done(Duration::from_millis(5));
        assert!(off.message().is_none());
        assert_eq!(running_median(&[]), None);
        assert_eq!(running_median(&[4, 1, 3, 2]), Some(2));
    }
}
