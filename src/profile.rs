//! CPU profiles of a scenario (`--flamegraph DIR`): sampled with pprof's
//! framehop unwinder (it keeps samples inside libc and libjpeg-turbo's SIMD
//! code), split by thread into the client side (`client-*`) and the server
//! side (`server-*`), written as flamegraph SVGs and pprof protobufs
//! (`.pb.gz`, for `go tool pprof`, speedscope, Pyroscope). Off by default:
//! nothing is sampled unless asked for.

use crate::stage::{Side, Stage};
use anyhow::{anyhow, Context, Result};
use flate2::write::GzEncoder;
use pprof::protos::Message;
use pprof::{ProfilerGuard, ProfilerGuardBuilder, Report};
use serde::Serialize;
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

/// Below this many samples on a side, its profile is noise.
const FEW_SAMPLES: isize = 50;

/// A running sampler.
pub struct Sampler {
    guard: ProfilerGuard<'static>,
}

impl Sampler {
    /// Starts sampling every thread of the process at `hz`.
    pub fn start(hz: i32) -> Result<Self> {
        let guard = ProfilerGuardBuilder::default()
            .frequency(hz)
            .build()
            .map_err(|e| anyhow!("could not start the CPU profiler: {e}"))?;
        Ok(Sampler { guard })
    }

    /// Stops sampling and symbolises what was caught.
    pub fn stop(self) -> Result<Report> {
        self.guard
            .report()
            .build()
            .map_err(|e| anyhow!("could not build the CPU profile: {e}"))
    }
}

/// Which side a sampled thread belongs to: the runtimes name their threads
/// `client-*` and `server-*`.
fn owns(side: Side, thread: &str) -> bool {
    thread.starts_with(side.name())
}

/// A function and its share of a side's samples (self time).
#[derive(Clone, Debug, Serialize)]
pub struct HotFunction {
    pub function: String,
    pub self_share: f64,
}

/// What `--flamegraph` wrote for a scenario, and what it found.
#[derive(Clone, Debug, Serialize)]
pub struct ProfileSummary {
    pub files: Vec<String>,
    pub sampling_hz: i32,
    pub client_samples: isize,
    pub server_samples: isize,
    /// The side of the scenario's dominant stage, and its hottest functions.
    pub hottest_side: Side,
    pub hottest: Vec<HotFunction>,
    pub warnings: Vec<String>,
}

impl ProfileSummary {
    /// Adds what a remote server's `/debug/pprof/profile` gave: a file, or
    /// a warning that says why there is none.
    pub fn add_remote(&mut self, dir: &Path, stem: &str, fetched: Result<Vec<u8>>) {
        let path = dir.join(format!("{stem}-server-remote.pb.gz"));
        let written = fetched.and_then(|bytes| {
            std::fs::write(&path, bytes)
                .with_context(|| format!("could not write '{}'", path.display()))
        });
        match written {
            Ok(()) => self.files.push(path.display().to_string()),
            Err(e) => self
                .warnings
                .push(format!("no remote server profile: {e:#}")),
        }
    }
}

/// Asks a remote `imgwire serve --profiling` for `seconds` of CPU profile,
/// giving up `slack` after the profile should have come back.
pub async fn fetch_remote(base_url: &str, seconds: u64, slack: Duration) -> Result<Vec<u8>> {
    let limit = Duration::from_secs(seconds) + slack;
    match tokio::time::timeout(limit, fetch_profile(base_url, seconds)).await {
        Ok(result) => result,
        Err(_) => anyhow::bail!(
            "the server at --rest-url sent no profile within {:.0} s ({seconds} s of profile \
             plus --timeout-s); is it still up?",
            limit.as_secs_f64()
        ),
    }
}

async fn fetch_profile(base_url: &str, seconds: u64) -> Result<Vec<u8>> {
    use http_body_util::{BodyExt, Empty};
    let uri: http::Uri = format!(
        "{}/debug/pprof/profile?seconds={seconds}",
        base_url.trim_end_matches('/')
    )
    .parse()
    .context("--rest-url is not a URL")?;
    let authority = uri.authority().map(|a| a.to_string()).unwrap_or_default();
    let stream = tokio::net::TcpStream::connect(&authority)
        .await
        .with_context(|| format!("could not connect to {authority} for its profile"))?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let request = http::Request::get(uri.path_and_query().map_or("/", |p| p.as_str()))
        .header(http::header::HOST, &authority)
        .body(Empty::<bytes::Bytes>::new())?;
    let response = sender.send_request(request).await?;
    let status = response.status();
    let body = response.into_body().collect().await?.to_bytes();
    if status == http::StatusCode::NOT_FOUND {
        anyhow::bail!("the server at --rest-url serves no /debug/pprof/profile (start it with `imgwire serve --profiling`)");
    }
    if !status.is_success() {
        anyhow::bail!(
            "the server's profile endpoint answered {status}: {}",
            String::from_utf8_lossy(&body).trim()
        );
    }
    Ok(body.to_vec())
}

/// Splits `report` by side, writes `DIR/STEM-{client,server}.{svg,pb.gz}`,
/// and names the three hottest functions on the side of `dominant_stage`.
pub fn write_profiles(
    report: &Report,
    dir: &Path,
    stem: &str,
    hz: i32,
    dominant_stage: Option<Stage>,
) -> Result<ProfileSummary> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("could not create --flamegraph folder '{}'", dir.display()))?;
    let hottest_side = dominant_stage.map_or(Side::Client, Stage::side);
    let mut summary = ProfileSummary {
        files: Vec::new(),
        sampling_hz: hz,
        client_samples: 0,
        server_samples: 0,
        hottest_side,
        hottest: Vec::new(),
        warnings: Vec::new(),
    };
    for side in [Side::Client, Side::Server] {
        let part = Report {
            data: report
                .data
                .iter()
                .filter(|(frames, _)| owns(side, &frames.thread_name))
                .map(|(frames, count)| (frames.clone(), *count))
                .collect(),
            timing: report.timing.clone(),
        };
        let samples: isize = part.data.values().sum();
        match side {
            Side::Client => summary.client_samples = samples,
            Side::Server => summary.server_samples = samples,
        }
        if samples < FEW_SAMPLES {
            summary.warnings.push(format!(
                "only {samples} {} samples: too few to mean much (run more --bursts)",
                side.name()
            ));
        }
        if side == hottest_side {
            summary.hottest = hottest_functions(&part, 3);
        }
        let svg = dir.join(format!("{stem}-{}.svg", side.name()));
        let file = std::fs::File::create(&svg)
            .with_context(|| format!("could not write '{}'", svg.display()))?;
        if samples > 0 {
            part.flamegraph(file)
                .map_err(|e| anyhow!("could not draw '{}': {e}", svg.display()))?;
        }
        let pb = dir.join(format!("{stem}-{}.pb.gz", side.name()));
        std::fs::write(&pb, pprof_gz(&part)?)
            .with_context(|| format!("could not write '{}'", pb.display()))?;
        summary
            .files
            .extend([svg, pb].iter().map(|p| p.display().to_string()));
    }
    Ok(summary)
}

/// A profile as gzip-compressed pprof protobuf, the form `go tool pprof` reads.
pub fn pprof_gz(report: &Report) -> Result<Vec<u8>> {
    let profile = report
        .pprof()
        .map_err(|e| anyhow!("could not encode the pprof profile: {e}"))?;
    let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&profile.encode_to_vec())?;
    Ok(gz.finish()?)
}

/// The functions with the most samples at the top of the stack.
fn hottest_functions(report: &Report, count: usize) -> Vec<HotFunction> {
    let mut self_samples: HashMap<String, isize> = HashMap::new();
    let mut total = 0;
    for (frames, samples) in &report.data {
        total += samples;
        let leaf = frames
            .frames
            .first()
            .and_then(|inlined| inlined.first())
            .map_or_else(|| "[unknown]".to_string(), |symbol| symbol.name());
        *self_samples.entry(leaf).or_default() += samples;
    }
    let mut ranked: Vec<(String, isize)> = self_samples.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    ranked
        .into_iter()
        .take(count)
        .map(|(function, samples)| HotFunction {
            function,
            self_share: samples as f64 / total.max(1) as f64,
        })
        .collect()
}
