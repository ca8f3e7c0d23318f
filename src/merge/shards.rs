//! The per-shard table of a merged report: each shard's figures per
//! scenario beside the others', with a mark on the shard that stands out
//! (its rate per worker or its p99 far from the shards' median, its client
//! saturated, a late start or an overrun), so that a shard that was itself
//! the bottleneck shows.

use super::input::ShardInput;
use crate::report::merged::ShardRow;
use serde_json::Value;

/// A shard's rate per worker (or p99) this far from the shards' median,
/// as a ratio either way, is marked.
pub const OUTLIER_RATIO: f64 = 1.5;
/// A start later than this, or an overrun longer, is marked (as the
/// shard's own note says it).
pub const LATE_S: f64 = crate::report::slot_timing::ON_TIME_S;

/// Every shard's row for every scenario, marked.
pub fn rows(shards: &[ShardInput]) -> Vec<ShardRow> {
    let scenarios = shards.first().map_or(0, |s| s.report.scenarios.len());
    let mut rows = Vec::new();
    for at in 0..scenarios {
        let mut of_scenario: Vec<ShardRow> = shards.iter().map(|s| row(s, at)).collect();
        mark(&mut of_scenario);
        rows.extend(of_scenario);
    }
    rows
}

fn row(shard: &ShardInput, at: usize) -> ShardRow {
    let report = &shard.report;
    let scenario = &report.scenarios[at];
    let extra = shard.value.pointer(&format!("/scenarios/{at}"));
    let number = |pointer: &str| {
        extra
            .and_then(|v| v.pointer(pointer))
            .and_then(Value::as_f64)
    };
    let flag = |pointer: &str| {
        extra
            .and_then(|v| v.pointer(pointer))
            .and_then(Value::as_bool)
    };
    let shard_settings = report.settings.shard.as_ref();
    ShardRow {
        index: shard_settings.map_or(0, |s| s.index),
        source: shard_settings.map_or(String::new(), |s| s.source.clone()),
        hostname: report.machine.hostname.clone(),
        origin: shard.origin.clone(),
        scenario: scenario.label(),
        requests: scenario.requests,
        errors: scenario.errors,
        concurrency: scenario.load.concurrency,
        requests_per_s: scenario.throughput.requests_per_s,
        p99_ns: scenario.load.latency.headline().p99_ns,
        // Read from the JSON: `client_cpu` and `schedule` are written by
        // builds that measure them and absent from older shards.
        client_cpu_share: number("/client_cpu/share_of_cores"),
        client_saturated: flag("/client_cpu/saturated"),
        late_s: number("/schedule/late_s"),
        overran_s: number("/schedule/overran_s"),
        marks: Vec::new(),
    }
}

/// Marks the rows of one scenario that stand out from the others.
fn mark(rows: &mut [ShardRow]) {
    let per_worker = |r: &ShardRow| r.requests_per_s / r.concurrency.max(1) as f64;
    let rate = median(rows.iter().map(per_worker).collect());
    let p99 = median(rows.iter().map(|r| r.p99_ns as f64).collect());
    let far = |value: f64, middle: f64| {
        middle > 0.0
            && (value / middle >= OUTLIER_RATIO || middle / value.max(1e-9) >= OUTLIER_RATIO)
    };
    for row in rows.iter_mut() {
        let mut marks = Vec::new();
        let mine = per_worker(row);
        if let Some(rate) = rate.filter(|&m| far(mine, m)) {
            marks.push(format!("req/s per worker {mine:.0} vs median {rate:.0}"));
        }
        if let Some(p99) = p99.filter(|&m| far(row.p99_ns as f64, m)) {
            let ms = |ns: f64| ns / 1e6;
            marks.push(format!(
                "p99 {:.3} ms vs median {:.3} ms",
                ms(row.p99_ns as f64),
                ms(p99)
            ));
        }
        if row.client_saturated == Some(true) {
            marks.push("client saturated".into());
        }
        if let Some(late) = row.late_s.filter(|&s| s > LATE_S) {
            marks.push(format!("started {late:.2} s late"));
        }
        if let Some(over) = row.overran_s.filter(|&s| s > LATE_S) {
            marks.push(format!("overran {over:.2} s"));
        }
        if row.requests == 0 {
            marks.push("no request completed".into());
        }
        row.marks = marks;
    }
}

/// The median of two or more values (None for fewer: nothing to compare).
fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.len() < 2 {
        return None;
    }
    values.sort_unstable_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(match values.len() % 2 {
        0 => (values[mid - 1] + values[mid]) / 2.0,
        _ => values[mid],
    })
}

/// The warnings the rows carry: a saturated client, a late start, an
/// overrun, each once per shard and scenario.
pub fn warnings(rows: &[ShardRow]) -> Vec<String> {
    rows.iter()
        .filter(|r| {
            r.client_saturated == Some(true)
                || r.late_s.is_some_and(|s| s > LATE_S)
                || r.overran_s.is_some_and(|s| s > LATE_S)
        })
        .map(|r| {
            let marks: Vec<&String> = (r.marks.iter())
                .filter(|m| {
                    m.starts_with("client") || m.starts_with("started") || m.starts_with("overran")
                })
                .collect();
            let marks: Vec<&str> = marks.iter().map(|m| m.as_str()).collect();
            format!(
                "shard {} ({}), {}: {}",
                r.index,
                r.origin,
                r.scenario,
                marks.join(", ")
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(index: usize, rps: f64, concurrency: usize, p99_ms: u64) -> ShardRow {
        ShardRow {
            index,
            source: "--shard".into(),
            hostname: "h".into(),
            origin: format!("'{index}.json'"),
            scenario: "48x64 binary REST".into(),
            requests: 100,
            errors: 0,
            concurrency,
            requests_per_s: rps,
            p99_ns: p99_ms * 1_000_000,
            client_cpu_share: None,
            client_saturated: None,
            late_s: None,
            overran_s: None,
            marks: Vec::new(),
        }
    }

    #[test]
    fn a_slow_shard_is_marked_and_a_smaller_share_is_not() {
        // Shard 2 has one worker of five: half the rate is its share.
        let mut rows = vec![
            row(0, 200.0, 2, 10),
            row(1, 210.0, 2, 11),
            row(2, 100.0, 1, 10),
        ];
        mark(&mut rows);
        assert!(rows.iter().all(|r| r.marks.is_empty()), "{rows:?}");
        let mut rows = vec![
            row(0, 200.0, 2, 10),
            row(1, 60.0, 2, 40),
            row(2, 100.0, 1, 10),
        ];
        rows[2].client_saturated = Some(true);
        rows[0].late_s = Some(2.5);
        mark(&mut rows);
        assert!(
            rows[1]
                .marks
                .iter()
                .any(|m| m.starts_with("req/s per worker 30")),
            "{rows:?}"
        );
        assert!(
            rows[1].marks.iter().any(|m| m.starts_with("p99 40.000 ms")),
            "{rows:?}"
        );
        assert_eq!(rows[2].marks, ["client saturated"]);
        assert_eq!(rows[0].marks, ["started 2.50 s late"]);
        let said = warnings(&rows);
        assert_eq!(said.len(), 2, "{said:?}");
        assert!(crate::report::merged::render(&rows, Some(100))
            .lines()
            .all(|l| l.chars().count() <= 100));
    }
}
