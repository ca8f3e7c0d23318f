//! What `imgwire tune` may turn: each transport knob, the values it tries,
//! which end of the connection a knob lives on, how a setting is written
//! into a plan, and the bench flags that reproduce it.

use crate::protocol::Protocol;
use crate::run::plan::{connection_window, BenchPlan, TransportKnob};
use serde::Serialize;

/// One transport knob.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Knob {
    /// HTTP/2 initial stream window (the connection window is 4 times it).
    Window,
    /// HTTP/2 maximum frame size.
    Frame,
    /// HTTP/2 window growth from measured bandwidth-delay (BDP probing).
    AdaptiveWindow,
    /// gRPC channels (HTTP/2 connections).
    Channels,
    /// HTTP/1.1 connections.
    Pool,
}

impl Knob {
    pub fn name(self) -> &'static str {
        match self {
            Knob::Window => "window",
            Knob::Frame => "frame",
            Knob::AdaptiveWindow => "adaptive-window",
            Knob::Channels => "channels",
            Knob::Pool => "pool",
        }
    }

    /// Whether the server has this knob too: HTTP/2 settings are each end's
    /// own, so a remote server keeps its values whatever the client sets.
    pub fn on_server_too(self) -> bool {
        matches!(self, Knob::Window | Knob::Frame | Knob::AdaptiveWindow)
    }

    /// The values tried, the library's default first.
    pub fn values(self, concurrency: usize) -> Vec<Setting> {
        let counts = |most: usize| {
            let mut counts: Vec<u32> = [1, 2, 4, 8]
                .into_iter()
                .filter(|&n| n < most as u32)
                .collect();
            counts.push(most.max(1) as u32);
            counts
        };
        match self {
            Knob::Window => std::iter::once(None)
                .chain([256 << 10, 1 << 20, 4 << 20, 16 << 20].map(Some))
                .map(Setting::Window)
                .collect(),
            Knob::Frame => std::iter::once(None)
                .chain([64 << 10, 256 << 10, 1 << 20].map(Some))
                .map(Setting::Frame)
                .collect(),
            Knob::AdaptiveWindow => vec![Setting::Adaptive(false), Setting::Adaptive(true)],
            Knob::Channels => counts(concurrency)
                .into_iter()
                .map(Setting::Channels)
                .collect(),
            Knob::Pool => counts(concurrency)
                .into_iter()
                .rev()
                .map(Setting::Pool)
                .collect(),
        }
    }
}

/// The knobs a protocol has, in the order the search turns them: the one
/// with the largest effect in our measurements first.
pub fn knobs(protocol: Protocol) -> &'static [Knob] {
    match protocol {
        Protocol::Grpc => &[
            Knob::Channels,
            Knob::Window,
            Knob::Frame,
            Knob::AdaptiveWindow,
        ],
        Protocol::RestH2 => &[Knob::Window, Knob::Frame, Knob::AdaptiveWindow],
        Protocol::Rest => &[Knob::Pool],
        Protocol::Tcp => &[],
    }
}

/// HTTP/2's initial stream window where none is set: 65,535 bytes.
const DEFAULT_WINDOW: u32 = 65_535;

/// One knob at one value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setting {
    /// Stream window in bytes (None: the library's 64 KiB).
    Window(Option<u32>),
    /// Largest frame in bytes (None: the library's 16 KiB).
    Frame(Option<u32>),
    Adaptive(bool),
    Channels(u32),
    Pool(u32),
}

impl Setting {
    pub fn knob(self) -> Knob {
        match self {
            Setting::Window(_) => Knob::Window,
            Setting::Frame(_) => Knob::Frame,
            Setting::Adaptive(_) => Knob::AdaptiveWindow,
            Setting::Channels(_) => Knob::Channels,
            Setting::Pool(_) => Knob::Pool,
        }
    }

    /// How tables name the value: `default`, `4 MiB`, `on`, `8`.
    pub fn label(self) -> String {
        let bytes =
            |b: Option<u32>| b.map_or("default".into(), |b| crate::report::format_bytes(b.into()));
        match self {
            Setting::Window(b) | Setting::Frame(b) => bytes(b),
            Setting::Adaptive(on) => if on { "on" } else { "off" }.into(),
            Setting::Channels(n) | Setting::Pool(n) => n.to_string(),
        }
    }

    /// The bench flags that set it (empty for a library default).
    pub fn flags(self) -> Vec<String> {
        match self {
            Setting::Window(Some(b)) => vec![
                format!("--h2-stream-window {b}"),
                format!(
                    "--h2-connection-window {}",
                    connection_window(Some(b)).unwrap_or(b)
                ),
            ],
            Setting::Frame(Some(b)) => vec![format!("--h2-max-frame {b}")],
            Setting::Adaptive(true) => vec!["--h2-adaptive-window".into()],
            Setting::Channels(n) if n != 1 => vec![format!("--grpc-channels {n}")],
            Setting::Pool(n) => vec![format!("--rest-pool {n}")],
            _ => Vec::new(),
        }
    }

    /// The transport knob it sets (`BenchPlan::set_knob` writes it: the
    /// client always, the built-in servers too where both ends have it).
    pub fn transport_knob(self) -> TransportKnob {
        match self {
            Setting::Window(bytes) => TransportKnob::StreamWindow(bytes),
            Setting::Frame(bytes) => TransportKnob::MaxFrame(bytes),
            Setting::Adaptive(on) => TransportKnob::AdaptiveWindow(on),
            Setting::Channels(n) => TransportKnob::GrpcChannels(n as usize),
            Setting::Pool(n) => TransportKnob::RestPool(n as usize),
        }
    }
}

/// The setting of every knob of a protocol: where the search stands.
#[derive(Clone, Debug, PartialEq)]
pub struct Configuration {
    pub settings: Vec<Setting>,
}

impl Configuration {
    /// Every knob at the value the run was started with (the first value
    /// each knob tries, unless the bench flags given to `tune` set it).
    pub fn starting(protocol: Protocol, plan: &BenchPlan) -> Configuration {
        let h2 = &plan.client.h2;
        let settings = knobs(protocol)
            .iter()
            .map(|knob| match knob {
                Knob::Window => Setting::Window(h2.stream_window_bytes),
                Knob::Frame => Setting::Frame(h2.max_frame_bytes),
                Knob::AdaptiveWindow => Setting::Adaptive(h2.adaptive_window),
                Knob::Channels => Setting::Channels(plan.client.grpc_channels as u32),
                Knob::Pool => Setting::Pool(plan.client.rest_pool as u32),
            })
            .collect();
        Configuration { settings }
    }

    /// The same configuration with one knob changed.
    pub fn with(&self, setting: Setting) -> Configuration {
        let settings = self
            .settings
            .iter()
            .map(|s| {
                if s.knob() == setting.knob() {
                    setting
                } else {
                    *s
                }
            })
            .collect();
        Configuration { settings }
    }

    /// The configuration a search tries for `setting`: `with` it, and
    /// where it is a frame larger than a quarter of the stream window, the
    /// window raised to four frames too (HTTP/2's default window is 64 KiB:
    /// a stream can never send a frame larger than its window, so a large
    /// frame alone would be judged by a window that hides it, and a large
    /// window by frames too small to use it).
    pub fn candidate(&self, setting: Setting) -> Configuration {
        let next = self.with(setting);
        let Setting::Frame(Some(frame)) = setting else {
            return next;
        };
        let window = next.settings.iter().find_map(|s| match s {
            Setting::Window(window) => Some(window.unwrap_or(DEFAULT_WINDOW)),
            _ => None,
        });
        match window {
            Some(window) if window < frame.saturating_mul(4) => {
                next.with(Setting::Window(Some(frame.saturating_mul(4))))
            }
            _ => next,
        }
    }

    /// The knobs it sets otherwise than `before`, as tables name them:
    /// `frame 1 MiB, window 4 MiB`.
    pub fn changes_from(&self, before: &Configuration) -> String {
        let changed: Vec<String> = self
            .settings
            .iter()
            .filter(|s| !before.settings.contains(s))
            .map(|s| format!("{} {}", s.knob().name(), s.label()))
            .collect();
        changed.join(", ")
    }

    /// `base` with every setting applied.
    pub fn plan(&self, base: &BenchPlan) -> BenchPlan {
        let mut plan = base.clone();
        for setting in &self.settings {
            plan.set_knob(setting.transport_knob());
        }
        plan
    }

    /// The bench flags that reproduce it.
    pub fn flags(&self) -> Vec<String> {
        self.settings.iter().flat_map(|s| s.flags()).collect()
    }

    /// `window 4 MiB, channels 8, ...`.
    pub fn describe(&self) -> String {
        let parts: Vec<String> = self
            .settings
            .iter()
            .map(|s| format!("{} {}", s.knob().name(), s.label()))
            .collect();
        parts.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_knob_tries_its_default_first_and_counts_end_at_the_concurrency() {
        assert_eq!(Knob::Window.values(20)[0], Setting::Window(None));
        assert_eq!(Knob::Frame.values(20)[0], Setting::Frame(None));
        let channels: Vec<_> = Knob::Channels.values(20);
        assert_eq!(channels.first(), Some(&Setting::Channels(1)));
        assert_eq!(channels.last(), Some(&Setting::Channels(20)));
        assert_eq!(Knob::Channels.values(3).len(), 3, "1, 2, then 3");
        assert_eq!(
            Knob::Pool.values(20)[0],
            Setting::Pool(20),
            "pool starts at one per request"
        );
    }

    #[test]
    fn flags_write_what_the_setting_is() {
        let window = Setting::Window(Some(1 << 20)).flags();
        assert_eq!(
            window,
            [
                "--h2-stream-window 1048576",
                "--h2-connection-window 4194304"
            ]
        );
        assert!(Setting::Window(None).flags().is_empty());
        assert!(Setting::Channels(1).flags().is_empty());
        assert_eq!(Setting::Channels(8).flags(), ["--grpc-channels 8"]);
        assert_eq!(Setting::Adaptive(true).label(), "on");
    }

    #[test]
    fn with_changes_one_knob_only() {
        let start = Configuration {
            settings: vec![Setting::Window(None), Setting::Channels(1)],
        };
        let next = start.with(Setting::Channels(4));
        assert_eq!(next.settings, [Setting::Window(None), Setting::Channels(4)]);
        assert_eq!(next.describe(), "window default, channels 4");
    }

    #[test]
    fn a_frame_larger_than_a_quarter_window_brings_a_window_of_four_frames() {
        let start = Configuration {
            settings: vec![Setting::Window(None), Setting::Frame(None)],
        };
        let large = start.candidate(Setting::Frame(Some(1 << 20)));
        let expected = [
            Setting::Window(Some(4 << 20)),
            Setting::Frame(Some(1 << 20)),
        ];
        assert_eq!(large.settings, expected);
        assert_eq!(large.changes_from(&start), "window 4 MiB, frame 1 MiB");
        let wide = start.with(Setting::Window(Some(16 << 20)));
        let kept = wide.candidate(Setting::Frame(Some(1 << 20)));
        assert_eq!(
            kept.settings[0],
            Setting::Window(Some(16 << 20)),
            "wide enough"
        );
        assert_eq!(start.candidate(Setting::Frame(None)), start);
        assert_eq!(
            start.candidate(Setting::Channels(4)),
            start.with(Setting::Channels(4))
        );
    }
}
