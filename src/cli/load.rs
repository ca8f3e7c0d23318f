//! `imgwire bench`'s load flags: the load model, how many requests at once
//! (one value or a list, for a throughput-latency curve), how long, and the
//! warm-up that runs until the figures are stable.

use crate::encoders::EncoderKind;
use crate::run::plan::{
    available_cpus, CameraPlan, CapacityPlan, LoadModel, LoadPlan, LoadStop, DEFAULT_LOAD_SECONDS,
};
use clap::Args;
use std::time::Duration;

/// The load flags of `bench`.
#[derive(Debug, Clone, Args)]
pub struct LoadArgs {
    /// How requests are offered: bursts of --concurrency requests (the seed's), a closed loop of --concurrency workers each sending when its last reply came, or an open loop at --rate requests per second over --concurrency connections.
    #[arg(long, value_enum, default_value_t = LoadModel::Bursts)]
    pub load: LoadModel,
    /// Concurrent requests per burst, or workers (connections) under closed and open load; several values, comma-separated (e.g. 1,2,4,8), run once each and print a throughput-latency curve per scenario.
    #[arg(short = 'c', long, value_delimiter = ',', default_value = "20", value_parser = clap::value_parser!(u32).range(1..=10000))]
    pub concurrency: Vec<u32>,
    /// Counted bursts per scenario; under closed and open load, the windows the counted run is cut into.
    #[arg(short = 'n', long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=100000))]
    pub bursts: u32,
    /// Warm-up bursts (or windows) per scenario, run first and reported apart; 0 runs none and judges no stability.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(0..=1000))]
    pub warmup: u32,
    /// Warm-up goes on until its last 3 bursts (or windows) agree within this many percent of their mean, or --warmup-max is reached (the scenario is then marked unstable).
    #[arg(long, value_name = "PCT", default_value_t = 10.0, value_parser = super::values::positive_percent)]
    pub stability: f64,
    /// Warm-up bursts (or windows) run at most beyond --warmup while the last 3 disagree.
    #[arg(long, value_name = "N", default_value_t = 20, value_parser = clap::value_parser!(u32).range(0..=10000))]
    pub warmup_max: u32,
    /// How long a closed or open run lasts: seconds, or a duration (5s, 500ms, 2m; default: 10 s when --requests is not given); each warm-up window lasts it divided by --bursts.
    #[arg(long, value_name = "DURATION", conflicts_with = "requests", value_parser = super::values::positive_seconds)]
    pub duration: Option<f64>,
    /// Requests a closed or open run sends, exactly; each warm-up window sends them divided by --bursts.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    pub requests: Option<u64>,
    /// Requests per second of --load open, on a fixed schedule.
    #[arg(long, value_name = "R", required_if_eq("load", "open"), value_parser = super::values::positive_rate)]
    pub rate: Option<f64>,
    /// Cameras: N independent sources, each sending --fps frames a second for --duration, every frame made and encoded live (implies --encode live) and due at its capture time (stream s's frame k at k/fps + s/(N x fps) s): an open load whose arrivals are frames. Several values, comma-separated (e.g. 1,2,4,8), run once each, per --encoder, and find the most cameras that keep up (the capacity table).
    #[arg(long, value_name = "N", value_delimiter = ',', requires = "fps", conflicts_with_all = ["load", "rate", "requests", "concurrency"], value_parser = clap::value_parser!(u32).range(1..=10000))]
    pub streams: Vec<u32>,
    /// Frames a second each of --streams offers.
    #[arg(long, value_name = "F", requires = "streams", value_parser = super::values::positive_rate)]
    pub fps: Option<f64>,
    /// Frames a stream of --streams has unanswered at most (default 1): a frame falling due while its stream has this many in flight is dropped, not sent, and counted, as a camera drops the frames its pipeline cannot take.
    #[arg(long, value_name = "M", requires = "streams", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub max_in_flight: Option<u32>,
    /// The latency bound of --streams: cameras keep up only while the capture-to-result p99 is within this many milliseconds (besides none failed and at most 1 % dropped and 1 % late).
    #[arg(long, value_name = "MS", requires = "streams", value_parser = super::values::positive_milliseconds)]
    pub slo_ms: Option<f64>,
    /// Worker threads of the client runtime (default: the number of CPUs).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub client_threads: Option<u32>,
}

impl LoadArgs {
    /// The first (or only) concurrency: what a single run uses.
    pub fn first_concurrency(&self) -> usize {
        match self.cameras() {
            Some(cameras) => cameras.connections(),
            None => self.concurrency.first().map_or(1, |&c| c as usize),
        }
    }

    /// The largest concurrency of the list: what the servers must hold.
    pub fn most_concurrency(&self) -> usize {
        match self.cameras() {
            Some(cameras) => CameraPlan {
                streams: self.streams.iter().max().map_or(1, |&n| n as usize),
                ..cameras
            }
            .connections(),
            None => self.concurrency.iter().max().map_or(1, |&c| c as usize),
        }
    }

    /// `--streams` (its first value), `--fps` and `--max-in-flight`, when
    /// given.
    pub fn cameras(&self) -> Option<CameraPlan> {
        let (&streams, fps) = self.streams.first().zip(self.fps)?;
        Some(CameraPlan {
            streams: streams as usize,
            first_stream: 0,
            all_streams: streams as usize,
            fps,
            max_in_flight: self.max_in_flight.map_or(1, |m| m as usize),
        })
    }

    /// The camera capacity sweep the flags ask for: several --streams, several
    /// `encoders`, or a --slo-ms to judge against (None: one plain run).
    pub fn capacity(&self, encoders: &[EncoderKind]) -> Option<CapacityPlan> {
        self.cameras()?;
        let slo = self.slo_ms.map(|ms| Duration::from_secs_f64(ms / 1e3));
        if self.streams.len() < 2 && encoders.len() < 2 && slo.is_none() {
            return None;
        }
        let mut streams = crate::report::unique(self.streams.iter().map(|&n| n as usize));
        streams.sort_unstable();
        Some(CapacityPlan {
            streams,
            encoders: crate::report::unique(encoders.iter().copied()),
            slo,
        })
    }

    /// The load part of the plan; `rest_pool_given`: `--rest-pool` was set.
    pub fn plan(&self, rest_pool_given: bool) -> LoadPlan {
        let cameras = self.cameras();
        // Cameras are an open load at streams x fps frames a second.
        let model = match cameras {
            Some(_) => LoadModel::Open,
            None => self.load,
        };
        let stop = match (model, self.duration, self.requests) {
            (_, _, Some(n)) => Some(LoadStop::Requests(n as usize)),
            (_, Some(s), None) => Some(LoadStop::Duration(Duration::from_secs_f64(s))),
            (LoadModel::Bursts, None, None) => None,
            (_, None, None) => Some(LoadStop::Duration(Duration::from_secs(
                DEFAULT_LOAD_SECONDS,
            ))),
        };
        LoadPlan {
            model,
            concurrency: self.first_concurrency(),
            concurrency_levels: match cameras {
                Some(cameras) => vec![cameras.connections()],
                None => crate::report::unique(self.concurrency.iter().map(|&c| c as usize)),
            },
            bursts: self.bursts as usize,
            warmup_bursts: self.warmup as usize,
            stop,
            rate_per_s: cameras.map_or(self.rate, |c| Some(c.streams as f64 * c.fps)),
            stability_percent: self.stability,
            warmup_max: self.warmup_max as usize,
            client_threads: self
                .client_threads
                .map_or_else(available_cpus, |t| t as usize),
            rest_pool_follows: !rest_pool_given,
            cameras,
        }
    }
}
