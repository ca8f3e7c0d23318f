//! How `imgwire tune` reads: one line per trial as it runs, then the table
//! of trials, the best configuration with its confirmed gain, and the
//! command that reproduces it; every line within the one output width.

use super::space::Configuration;
use super::{Trial, TuneResult};
use crate::protocol::Protocol;
use crate::report::interval::{as_f64, bootstrap_mean_ci, mean, Interval};
use crate::report::versus::{
    seconds_plus_minus, seconds_with_interval, time_change, times_faster, Ratio,
    NO_CLEAR_DIFFERENCE,
};
use crate::report::{align_within, wrap, wrap_command, WIDTH};
use crate::run::plan::BenchPlan;

/// A trial's burst time with its interval: `0.0312 [0.0301-0.0322]`.
fn seconds(burst_ns: &[u64]) -> String {
    mean_and_interval(burst_ns).map_or("-".into(), |(mean_s, interval)| {
        seconds_with_interval(mean_s, interval, 4)
    })
}

/// The table's short form of the same: `0.0312 ±3%` (the seed table's).
fn seconds_short(burst_ns: &[u64]) -> String {
    mean_and_interval(burst_ns).map_or("-".into(), |(mean_s, interval)| {
        seconds_plus_minus(mean_s, interval)
    })
}

/// The mean burst in seconds and its 95 % interval (bootstrap over the
/// bursts); None without bursts.
fn mean_and_interval(burst_ns: &[u64]) -> Option<(f64, Option<[f64; 2]>)> {
    let values: Vec<f64> = as_f64(burst_ns).iter().map(|ns| ns / 1e9).collect();
    let mean_s = mean(&values)?;
    Some((mean_s, bootstrap_mean_ci(&values).map(|ci| [ci.lo, ci.hi])))
}

/// What a trial did against the best before it.
fn verdict(trial: &Trial) -> String {
    if let Some(why) = &trial.failed {
        return format!("failed: {why}");
    }
    let change = trial.versus_best.map_or("-".into(), time_change);
    if trial.reference {
        "reference for the next knob".into()
    } else if trial.kept {
        format!("{change}: kept")
    } else {
        change
    }
}

/// The line printed as each trial finishes (wrapped to the output's width;
/// no trailing line break).
pub fn trial_line(trial: &Trial) -> String {
    let line = format!(
        "  tune: {:<22} {} s/burst  {}",
        trial.changed,
        seconds(&trial.burst_ns),
        verdict(trial)
    );
    fit(&line, "        ").trim_end().to_string()
}

/// `line` as it is where it fits `WIDTH` (its padding kept), else wrapped
/// with `indent` on the lines after the first.
fn fit(line: &str, indent: &str) -> String {
    match line.chars().count() <= WIDTH {
        true => format!("{line}\n"),
        false => wrap(line, Some(WIDTH), indent),
    }
}

/// The whole result as the terminal shows it, every line within `WIDTH`.
pub fn table(result: &TuneResult) -> String {
    let width = Some(WIDTH);
    let mut out = String::from("\n");
    out.push_str(&wrap(
        &format!("imgwire tune: {}", result.workload),
        width,
        "  ",
    ));
    let mut rows = vec![["#", "changed", "s/burst ±95%", "against the best so far"]
        .map(String::from)
        .to_vec()];
    for (index, trial) in result.trials.iter().enumerate() {
        rows.push(vec![
            index.to_string(),
            trial.changed.clone(),
            seconds_short(&trial.burst_ns),
            verdict(trial),
        ]);
    }
    out.push_str(&align_within(&rows, 2, width));
    out.push_str(&wrap(
        "  (s/burst: the mean ± the wider half of its 95 % interval, bootstrap over the bursts)",
        width,
        "   ",
    ));
    out.push('\n');
    out.push_str(&fit(&format!("start: {}", result.start), "       "));
    out.push_str(&fit(&format!("best:  {}", result.best), "       "));
    out.push_str(&wrap(&gain_line(result), width, "  "));
    if !result.server_knobs_not_changed.is_empty() {
        let names: Vec<&str> = result
            .server_knobs_not_changed
            .iter()
            .map(|k| k.name())
            .collect();
        let line = format!(
            "  set on the client only: the server keeps its own {} (set them on the server to match)",
            names.join(", ")
        );
        out.push_str(&wrap(&line, width, "    "));
    }
    if result.stopped_by_budget {
        let line = format!(
            "  the search stopped at its --budget-s of {:.0} s ({:.0} s in all, with the \
             confirmation); a longer budget may find more",
            result.budget_s, result.elapsed_s
        );
        out.push_str(&wrap(&line, width, "    "));
    }
    out.push_str(&wrap_command(
        &format!("reproduce: {}", result.reproduce),
        width,
    ));
    out
}

/// The confirmed gain of the best over the start, in words.
fn gain_line(result: &TuneResult) -> String {
    let bursts = result.confirm_best_burst_ns.len();
    if result.best == result.start {
        return format!(
            "no setting was clearly faster than the start ({} s/burst over {bursts} more bursts)",
            seconds(&result.confirm_start_burst_ns)
        );
    }
    let Some(gain) = result.gain() else {
        return "the confirmation measured no bursts".into();
    };
    // Start over best: above 1 when the best is faster.
    let speedup = Ratio {
        value: 1.0 / gain.value,
        interval: gain.interval.map(|ci| Interval {
            lo: 1.0 / ci.hi,
            hi: 1.0 / ci.lo,
        }),
    };
    let verdict = match times_faster(speedup) {
        text if text == NO_CLEAR_DIFFERENCE => text,
        text => format!("{text} faster"),
    };
    format!(
        "confirmed over {bursts} more bursts each, in turns: {} s/burst against {} at the start: \
         {verdict}",
        seconds(&result.confirm_best_burst_ns),
        seconds(&result.confirm_start_burst_ns),
    )
}

/// The bench command that measures `best` on the same workload: the one
/// scenario, the bench flags `tune` was given (`given`, as typed; where
/// there are none, the concurrency, target and link from the plan), then
/// the best configuration's flags.
pub fn reproduce(
    plan: &BenchPlan,
    protocol: Protocol,
    best: &Configuration,
    given: Option<Vec<String>>,
) -> String {
    let mut words = vec![
        "imgwire bench".to_string(),
        format!("--sizes {}", plan.matrix.sizes[0]),
        format!("--payloads {}", plan.matrix.payloads[0].name()),
        format!("--protocols {}", protocol.name()),
    ];
    if let Some(given) = given {
        words.extend(given.iter().map(|w| super::command::shell_quote(w)));
        words.extend(best.flags());
        return words.join(" ");
    }
    words.push(format!("-c {}", plan.load.concurrency));
    if let Some(url) = plan.targets.url(protocol) {
        let flag = match protocol {
            Protocol::Grpc => "--grpc-url",
            _ => "--rest-url",
        };
        words.push(format!("{flag} {url}"));
    }
    if let Some(link) = &plan.targets.link {
        words.push(format!("--link {link}"));
    }
    words.extend(best.flags());
    words.join(" ")
}
