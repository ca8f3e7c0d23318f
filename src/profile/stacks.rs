//! A profile as folded stacks (thread;root;...;leaf and a count), read from
//! gzip'd pprof protobuf, so that this process's samples and a remote
//! server's are drawn and summarised by the same code. The threads of one
//! pool (`server-0`, `server-1`...) run the same code, so by default their
//! stacks merge under the pool's name and the flamegraph shows one tower;
//! and by default each run of runtime frames (`runtime_frames`) is folded
//! into one.

use super::runtime_frames;
use super::{FrameView, HotFunction, ThreadView};
use anyhow::{anyhow, Context, Result};
use flate2::read::GzDecoder;
use pprof::protos::{Message, Profile};
use std::collections::{BTreeMap, HashMap};
use std::io::Read;

/// Folded stacks: frames from the thread down to the leaf, and a count.
pub struct Stacks {
    stacks: Vec<(Vec<String>, i64)>,
}

impl Stacks {
    /// Reads a gzip'd pprof profile (as pprof-rs writes it: one line per
    /// location, locations leaf first, the thread in a `thread` label),
    /// with the runtime's frames folded or kept as `view` asks.
    pub fn from_pprof_gz(bytes: &[u8], view: FrameView) -> Result<Stacks> {
        let mut raw = Vec::new();
        GzDecoder::new(bytes)
            .read_to_end(&mut raw)
            .context("the profile is not gzip'd pprof")?;
        let profile = Profile::decode(raw.as_slice())
            .map_err(|e| anyhow!("the profile is not pprof protobuf: {e}"))?;
        let text = |index: i64| {
            usize::try_from(index)
                .ok()
                .and_then(|i| profile.string_table.get(i))
                .cloned()
                .unwrap_or_default()
        };
        // Each function's name, and whether it is runtime machinery.
        let functions: HashMap<u64, (String, bool)> = profile
            .function
            .iter()
            .map(|f| {
                let name = text(f.name);
                let runtime = runtime_frames::is_runtime(&name, &text(f.filename));
                (f.id, (name, runtime))
            })
            .collect();
        let locations: HashMap<u64, Vec<(String, bool)>> = profile
            .location
            .iter()
            .map(|l| {
                let names = l.line.iter().rev().map(|line| {
                    functions
                        .get(&line.function_id)
                        .cloned()
                        .unwrap_or_else(|| ("[unknown]".into(), false))
                });
                (l.id, names.collect())
            })
            .collect();
        let thread_key = profile.string_table.iter().position(|s| s == "thread");
        let stacks = profile
            .sample
            .iter()
            .map(|sample| {
                let thread = sample
                    .label
                    .iter()
                    .find(|l| usize::try_from(l.key).ok() == thread_key)
                    .map(|l| (text(l.str), false));
                let frames = thread.into_iter().chain(
                    sample
                        .location_id
                        .iter()
                        .rev()
                        .flat_map(|id| locations.get(id).cloned().unwrap_or_default()),
                );
                let frames: Vec<(String, bool)> = frames.collect();
                let frames = match view {
                    FrameView::Folded => runtime_frames::fold(frames),
                    FrameView::Full => frames.into_iter().map(|(name, _)| name).collect(),
                };
                (frames, sample.value.first().copied().unwrap_or(0))
            })
            .collect();
        Ok(Stacks { stacks })
    }

    /// The stacks rooted as `view` asks: per thread as sampled, or each
    /// pool's threads merged under the pool's name (identical stacks summed).
    pub fn rooted(self, view: ThreadView) -> Stacks {
        if view == ThreadView::PerThread {
            return self;
        }
        let mut merged: BTreeMap<Vec<String>, i64> = BTreeMap::new();
        for (mut frames, count) in self.stacks {
            if let Some(root) = frames.first_mut() {
                *root = pool_name(root).to_string();
            }
            *merged.entry(frames).or_default() += count;
        }
        Stacks {
            stacks: merged.into_iter().collect(),
        }
    }

    pub fn samples(&self) -> i64 {
        self.stacks.iter().map(|(_, count)| count).sum()
    }

    /// The functions with the most samples at the top of the stack.
    pub fn hottest(&self, count: usize) -> Vec<HotFunction> {
        let mut self_samples: HashMap<&str, i64> = HashMap::new();
        for (frames, samples) in &self.stacks {
            let leaf = frames.last().map_or("[unknown]", String::as_str);
            *self_samples.entry(leaf).or_default() += samples;
        }
        let total = self.samples().max(1);
        let mut ranked: Vec<(&str, i64)> = self_samples.into_iter().collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        ranked
            .into_iter()
            .take(count)
            .map(|(function, samples)| HotFunction {
                function: function.to_string(),
                self_share: samples as f64 / total as f64,
            })
            .collect()
    }

    /// The flamegraph as SVG, or None when there are no samples to draw.
    pub fn flamegraph_svg(&self, title: &str) -> Result<Option<Vec<u8>>> {
        let lines: Vec<String> = self
            .stacks
            .iter()
            .filter(|(_, count)| *count > 0)
            .map(|(frames, count)| format!("{} {count}", frames.join(";")))
            .collect();
        if lines.is_empty() {
            return Ok(None);
        }
        let mut options = inferno::flamegraph::Options::default();
        options.title = title.to_string();
        let mut svg = Vec::new();
        inferno::flamegraph::from_lines(&mut options, lines.iter().map(String::as_str), &mut svg)
            .map_err(|e| anyhow!("could not draw the flamegraph '{title}': {e}"))?;
        Ok(Some(svg))
    }
}

/// The pool a thread belongs to: its name less a trailing `-N` index
/// (`server-3` -> `server`); a name without one is its own pool.
pub fn pool_name(thread: &str) -> &str {
    match thread.rsplit_once('-') {
        Some((pool, index))
            if !pool.is_empty()
                && !index.is_empty()
                && index.bytes().all(|b| b.is_ascii_digit()) =>
        {
            pool
        }
        _ => thread,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Stacks from folded lines: `frame;frame;... count`.
    fn folded(lines: &[&str]) -> Stacks {
        let stacks = lines
            .iter()
            .map(|line| {
                let (frames, count) = line.rsplit_once(' ').unwrap();
                let frames = frames.split(';').map(String::from).collect();
                (frames, count.parse().unwrap())
            })
            .collect();
        Stacks { stacks }
    }

    fn lines(stacks: &Stacks) -> Vec<String> {
        let mut lines: Vec<String> = stacks
            .stacks
            .iter()
            .map(|(frames, count)| format!("{} {count}", frames.join(";")))
            .collect();
        lines.sort();
        lines
    }

    #[test]
    fn a_pools_threads_merge_under_one_root() {
        let stacks = folded(&[
            "server-0;run;decode;idct 3",
            "server-1;run;decode;idct 2",
            "server-5;run;respond 1",
            "client-0;send;memcpy 4",
            "client-1;send;memcpy 1",
            "main;wait 2",
        ]);
        let merged = stacks.rooted(ThreadView::PerPool);
        assert_eq!(
            lines(&merged),
            [
                "client;send;memcpy 5",
                "main;wait 2",
                "server;run;decode;idct 5",
                "server;run;respond 1",
            ]
        );
        assert_eq!(merged.samples(), 13);
        let svg = merged.flamegraph_svg("merged").unwrap().unwrap();
        let svg = String::from_utf8(svg).unwrap();
        assert!(
            svg.contains(">server<") || svg.contains("server ("),
            "{svg}"
        );
        assert!(!svg.contains("server-0"));
    }

    #[test]
    fn the_per_thread_view_keeps_every_thread() {
        let stacks = folded(&["server-0;decode 3", "server-1;decode 2"]);
        let kept = stacks.rooted(ThreadView::PerThread);
        assert_eq!(lines(&kept), ["server-0;decode 3", "server-1;decode 2"]);
    }

    #[test]
    fn only_a_trailing_index_is_stripped() {
        assert_eq!(pool_name("server-12"), "server");
        assert_eq!(pool_name("client-0"), "client");
        assert_eq!(pool_name("tokio-runtime-worker"), "tokio-runtime-worker");
        assert_eq!(pool_name("main"), "main");
        assert_eq!(pool_name("-3"), "-3");
        assert_eq!(pool_name("server-"), "server-");
        assert_eq!(pool_name("relay-io-2"), "relay-io");
    }
}
