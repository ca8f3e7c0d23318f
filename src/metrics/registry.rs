//! A registry of metric families (counters, gauges, latency histograms on
//! the fixed buckets), each series keyed by its labels, updated under one
//! lock per batch and rendered in the text exposition format.

use super::buckets::{bounds, bucket_of, BOUNDS};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Instant;

/// A series' labels, in the order they are written.
pub type Labels = Vec<(&'static str, String)>;

/// What a family's series are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        }
    }
}

/// One histogram series: a count per bucket (not cumulative; `+Inf` last),
/// the sum of what it observed and how many.
#[derive(Clone, Debug)]
struct Histogram {
    buckets: [u64; BOUNDS + 1],
    sum: f64,
    count: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            buckets: [0; BOUNDS + 1],
            sum: 0.0,
            count: 0,
        }
    }
}

#[derive(Clone, Debug)]
enum Series {
    Value(f64),
    Histogram(Box<Histogram>),
}

struct Family {
    help: &'static str,
    kind: Kind,
    series: BTreeMap<Labels, Series>,
}

/// The families, declared up front so that a scrape before the first
/// figure already names them.
#[derive(Default)]
pub struct Registry {
    families: Mutex<BTreeMap<&'static str, Family>>,
    times: Mutex<Times>,
}

/// When the registry last changed and was last read.
#[derive(Clone, Copy, Debug, Default)]
pub struct Times {
    pub updated: Option<Instant>,
    /// The last two renders (scrapes), latest first.
    pub rendered: [Option<Instant>; 2],
    /// When the latest render was last handed whole to its connection (a
    /// process may end once its last scrape is sent, not only rendered).
    pub sent: Option<Instant>,
}

/// The families under the registry's lock, for one batch of updates.
pub struct Batch<'a> {
    families: &'a mut BTreeMap<&'static str, Family>,
}

impl Registry {
    /// A registry of these families: name (counters end in `_total`),
    /// kind, help line.
    pub fn new(families: &[(&'static str, Kind, &'static str)]) -> Registry {
        let families = families.iter().map(|&(name, kind, help)| {
            let series = BTreeMap::new();
            (name, Family { help, kind, series })
        });
        Registry {
            families: Mutex::new(families.collect()),
            times: Mutex::default(),
        }
    }

    /// Applies `updates` under one lock.
    pub fn update(&self, updates: impl FnOnce(&mut Batch)) {
        let mut families = self.families.lock().unwrap_or_else(|e| e.into_inner());
        updates(&mut Batch {
            families: &mut families,
        });
        self.times.lock().unwrap_or_else(|e| e.into_inner()).updated = Some(Instant::now());
    }

    /// When it last changed and was last rendered.
    pub fn times(&self) -> Times {
        *self.times.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Marks a rendered text as handed whole to its connection.
    pub fn mark_sent(&self) {
        self.times.lock().unwrap_or_else(|e| e.into_inner()).sent = Some(Instant::now());
    }

    /// Every family in the text exposition format.
    pub fn render(&self) -> String {
        let families = self.families.lock().unwrap_or_else(|e| e.into_inner());
        {
            let mut times = self.times.lock().unwrap_or_else(|e| e.into_inner());
            times.rendered = [Some(Instant::now()), times.rendered[0]];
        }
        let mut out = String::new();
        for (name, family) in families.iter() {
            let _ = writeln!(out, "# HELP {name} {}", family.help);
            let _ = writeln!(out, "# TYPE {name} {}", family.kind.name());
            for (labels, series) in &family.series {
                match series {
                    Series::Value(v) => sample(&mut out, name, "", labels, None, *v),
                    Series::Histogram(h) => write_histogram(&mut out, name, labels, h),
                }
            }
        }
        out
    }
}

impl Batch<'_> {
    fn series(&mut self, name: &'static str, labels: &Labels) -> &mut Series {
        let family = (self.families.get_mut(name))
            .unwrap_or_else(|| panic!("metric family {name} was not declared"));
        let kind = family.kind;
        family
            .series
            .entry(labels.clone())
            .or_insert_with(|| match kind {
                Kind::Histogram => Series::Histogram(Box::default()),
                Kind::Counter | Kind::Gauge => Series::Value(0.0),
            })
    }

    /// Adds `by` to a counter.
    pub fn add(&mut self, name: &'static str, labels: &Labels, by: f64) {
        if let Series::Value(v) = self.series(name, labels) {
            *v += by;
        }
    }

    /// Sets a gauge, or a counter whose total is read elsewhere (never
    /// lowering it: a counter only rises).
    pub fn set(&mut self, name: &'static str, labels: &Labels, to: f64) {
        let counter = self.families.get(name).map(|f| f.kind) == Some(Kind::Counter);
        if let Series::Value(v) = self.series(name, labels) {
            *v = if counter { v.max(to) } else { to };
        }
    }

    /// Counts one observation, in seconds, in a histogram.
    pub fn observe(&mut self, name: &'static str, labels: &Labels, seconds: f64) {
        if let Series::Histogram(h) = self.series(name, labels) {
            h.buckets[bucket_of(seconds)] += 1;
            h.sum += seconds;
            h.count += 1;
        }
    }
}

fn write_histogram(out: &mut String, name: &str, labels: &Labels, h: &Histogram) {
    let mut cumulative = 0;
    let les = bounds().iter().map(|b| b.to_string());
    for (count, le) in h.buckets.iter().zip(les.chain(["+Inf".to_string()])) {
        cumulative += count;
        sample(out, name, "_bucket", labels, Some(&le), cumulative as f64);
    }
    sample(out, name, "_sum", labels, None, h.sum);
    sample(out, name, "_count", labels, None, h.count as f64);
}

fn sample(out: &mut String, name: &str, suffix: &str, labels: &Labels, le: Option<&str>, v: f64) {
    let mut pairs: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
        .collect();
    pairs.extend(le.map(|le| format!("le=\"{le}\"")));
    let _ = writeln!(out, "{name}{suffix}{{{}}} {}", pairs.join(","), number(v));
}

/// A sample value as the format spells it (`+Inf`, `NaN`, else Go-style).
fn number(v: f64) -> String {
    match v {
        v if v.is_nan() => "NaN".into(),
        v if v == f64::INFINITY => "+Inf".into(),
        v if v == f64::NEG_INFINITY => "-Inf".into(),
        v => v.to_string(),
    }
}

/// A label value with `\`, `"` and line feeds escaped.
fn escape(value: &str) -> String {
    value
        .replace('\\', r"\\")
        .replace('"', "\\\"")
        .replace('\n', r"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_histogram_renders_cumulative_buckets_its_sum_and_count() {
        let registry = Registry::new(&[
            ("t_seconds", Kind::Histogram, "Latency."),
            ("t_total", Kind::Counter, "Requests."),
        ]);
        let labels: Labels = vec![("scenario", "a \"b\"\\\n".into())];
        registry.update(|batch| {
            batch.observe("t_seconds", &labels, 40e-6);
            batch.observe("t_seconds", &labels, 1e3);
            batch.add("t_total", &labels, 2.0);
            batch.set("t_total", &labels, 1.0);
        });
        let text = registry.render();
        let name = r#"scenario="a \"b\"\\\n""#;
        assert!(text.contains("# TYPE t_seconds histogram\n"), "{text}");
        assert!(text.contains(&format!("t_seconds_bucket{{{name},le=\"0.00005\"}} 1\n")));
        assert!(text.contains(&format!("t_seconds_bucket{{{name},le=\"32.6\"}} 1\n")));
        assert!(text.contains(&format!("t_seconds_bucket{{{name},le=\"+Inf\"}} 2\n")));
        assert!(text.contains(&format!("t_seconds_count{{{name}}} 2\n")));
        assert!(text.contains(&format!("t_total{{{name}}} 2\n")), "{text}");
        let buckets = text.lines().filter(|l| l.starts_with("t_seconds_bucket"));
        assert_eq!(buckets.count(), BOUNDS + 1);
    }
}
