//! A symbolised profile as pprof protobuf (the form `go tool pprof`,
//! speedscope and Pyroscope read). pprof-rs's own encoder keys functions by
//! name alone, so every inlined `{closure#0}`, `run` or `poll<..>` of every
//! crate became one function with the first one's source file; here a
//! function is its name and its file, so each keeps its own.

use pprof::protos::{Function, Label, Line, Location, Profile, Sample, ValueType};
use pprof::Report;
use std::collections::HashMap;
use std::time::SystemTime;

/// The string table under construction: index 0 is the empty string.
#[derive(Default)]
struct Strings {
    table: Vec<String>,
    index: HashMap<String, i64>,
}

impl Strings {
    fn new() -> Strings {
        let mut strings = Strings::default();
        strings.id("");
        strings
    }

    fn id(&mut self, text: &str) -> i64 {
        if let Some(&id) = self.index.get(text) {
            return id;
        }
        let id = self.table.len() as i64;
        self.table.push(text.to_string());
        self.index.insert(text.to_string(), id);
        id
    }
}

/// The report as a pprof profile: a location per distinct function (name
/// and file), samples with a `thread` label, values in samples and CPU
/// nanoseconds.
pub fn to_pprof(report: &Report) -> Profile {
    let mut strings = Strings::new();
    let mut functions: Vec<Function> = Vec::new();
    let mut locations: Vec<Location> = Vec::new();
    let mut ids: HashMap<(String, String), u64> = HashMap::new();
    let hz = i64::from(report.timing.frequency.max(1));
    let mut samples = Vec::with_capacity(report.data.len());
    for (frames, &count) in &report.data {
        let mut location_id = Vec::new();
        for symbol in frames.frames.iter().flatten() {
            let key = (symbol.name(), symbol.filename().into_owned());
            let id = *ids.entry(key.clone()).or_insert_with(|| {
                let id = functions.len() as u64 + 1;
                functions.push(Function {
                    id,
                    name: strings.id(&key.0),
                    system_name: strings.id(&symbol.sys_name()),
                    filename: strings.id(&key.1),
                    ..Function::default()
                });
                locations.push(Location {
                    id,
                    line: vec![Line {
                        function_id: id,
                        line: i64::from(symbol.lineno()),
                    }],
                    ..Location::default()
                });
                id
            });
            location_id.push(id);
        }
        let count = count as i64;
        samples.push(Sample {
            location_id,
            value: vec![count, count * 1_000_000_000 / hz],
            label: vec![Label {
                key: strings.id("thread"),
                str: strings.id(&frames.thread_name_or_id()),
                ..Label::default()
            }],
        });
    }
    let mut value_type = |ty: &str, unit: &str| ValueType {
        ty: strings.id(ty),
        unit: strings.id(unit),
    };
    let sample_type = vec![
        value_type("samples", "count"),
        value_type("cpu", "nanoseconds"),
    ];
    let period_type = value_type("cpu", "nanoseconds");
    Profile {
        sample_type,
        sample: samples,
        location: locations,
        function: functions,
        time_nanos: report
            .timing
            .start_time
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos() as i64,
        duration_nanos: report.timing.duration.as_nanos() as i64,
        period_type: Some(period_type),
        period: 1_000_000_000 / hz,
        string_table: strings.table,
        ..Profile::default()
    }
}
