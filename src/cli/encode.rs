//! How `imgwire encode`'s flags resolve into the comparison's plan, and the
//! flags of its encode decision on a link: the server decoders, the links
//! and the Markdown file.

use super::EncodeArgs;
use crate::encode::projection::DEFAULT_SPEEDS;
use crate::frame::{BadImages, ImageFolder};
use crate::link::LinkSpec;
use crate::output::OutputPath;
use crate::run::plan::available_cpus;
use crate::server::ServerDecoder;
use clap::Args;
use std::path::PathBuf;
use std::time::Duration;

/// `imgwire encode`'s flags for the server's side and the link.
#[derive(Args, Clone, Debug)]
pub struct EncodeDecisionArgs {
    /// Server decoders each encoder's output is decoded with, as `imgwire serve` decodes it, comma-separated (nvjpeg where a GPU is found; otherwise a line says why it is absent).
    #[arg(
        long = "server-decoder",
        value_name = "DECODERS",
        value_enum,
        value_delimiter = ',',
        default_value = "turbojpeg,nvjpeg"
    )]
    pub server_decoders: Vec<ServerDecoder>,
    /// A link to project each frame's cost end to end over, as bench spells it (bw=1gbit,rtt=2ms); repeat the flag for several. Default: the --link-speeds.
    #[arg(long, value_name = "SPEC")]
    pub link: Vec<LinkSpec>,
    /// Link bandwidths, comma-separated (100mbit,1gbit,10gbit,25gbit), each a link with the first --link's rtt (or none). Default: those four when no --link is given, none beside a --link.
    #[arg(long, value_delimiter = ',', value_name = "RATES", value_parser = link_speed)]
    pub link_speeds: Option<Vec<LinkSpeed>>,
    /// Write the tables, the crossover included, as Markdown (`-`: stdout).
    #[arg(
        long = "export-markdown",
        visible_alias = "markdown",
        value_name = "PATH"
    )]
    pub markdown: Option<PathBuf>,
    /// Write the tables and, per size, a chart of each setting's cost of a frame by link speed, as one self-contained HTML page (`-`: stdout).
    #[arg(long = "export-html", visible_alias = "html", value_name = "PATH")]
    pub html: Option<PathBuf>,
}

/// One `--link-speeds` bandwidth in bits per second (`None`: unlimited).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LinkSpeed(pub Option<f64>);

fn link_speed(text: &str) -> Result<LinkSpeed, String> {
    crate::spellings::bit_rate(text).map(LinkSpeed)
}

impl EncodeDecisionArgs {
    /// Every `--link`, then every `--link-speeds` bandwidth at the first
    /// `--link`'s rtt; the four default speeds where neither is given. A
    /// link given twice is kept once.
    pub fn links(&self) -> Vec<LinkSpec> {
        let rtt = self.link.first().map_or(Duration::ZERO, |l| l.rtt);
        let speeds = match (&self.link_speeds, self.link.is_empty()) {
            (Some(speeds), _) => speeds.iter().map(|s| s.0).collect(),
            (None, true) => DEFAULT_SPEEDS.iter().map(|&bps| Some(bps)).collect(),
            (None, false) => Vec::new(),
        };
        let at_rtt = speeds.into_iter().map(|bits_per_second| LinkSpec {
            bits_per_second,
            rtt,
        });
        let mut links: Vec<LinkSpec> = Vec::new();
        for link in self.link.iter().copied().chain(at_rtt) {
            if !links.contains(&link) {
                links.push(link);
            }
        }
        links
    }
}

impl EncodeArgs {
    /// Resolves the flags into the comparison's plan: lists without
    /// repeats, threads in rising order, defaults from the machine.
    pub fn plan(&self) -> crate::encode::EncodePlan {
        let mut threads: Vec<usize> = match &self.threads {
            Some(list) => list.iter().map(|&t| t as usize).collect(),
            None => crate::encode::machine::default_threads(available_cpus()),
        };
        threads.sort_unstable();
        threads.dedup();
        let distinct = |items: &[u8]| crate::report::unique(items.iter().copied());
        let output = |path: &Option<PathBuf>, flag| path.as_ref().map(|p| OutputPath::new(p, flag));
        crate::encode::EncodePlan {
            sizes: crate::report::unique(self.sizes.iter().copied()),
            source: match &self.images {
                Some(dir) => crate::encode::FrameSource::Files(ImageFolder {
                    dir: dir.clone(),
                    bad: BadImages::skip_if(self.skip_bad_images),
                }),
                None => crate::encode::FrameSource::Pattern {
                    content: self.content,
                    seed: self.seed,
                },
            },
            qualities: distinct(&self.quality),
            subsampling: self.subsampling,
            encoders: crate::report::unique(self.encoders.iter().copied()),
            threads,
            frames: self.frames as usize,
            server_decoders: crate::report::unique(self.decision.server_decoders.iter().copied()),
            links: self.decision.links(),
            wide: self.wide,
            json: output(&self.json, "--export-json"),
            csv: output(&self.csv, "--export-csv"),
            markdown: output(&self.decision.markdown, "--export-markdown"),
            html: output(&self.decision.html, "--export-html"),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::cli::{Cli, Command};
    use crate::link::LinkSpec;
    use clap::Parser;

    fn links(args: &[&str]) -> Vec<String> {
        let argv = ["imgwire", "encode"].iter().chain(args);
        let Command::Encode(encode) = Cli::try_parse_from(argv).unwrap().command else {
            panic!("not encode");
        };
        encode
            .plan()
            .links
            .iter()
            .map(LinkSpec::to_string)
            .collect()
    }

    #[test]
    fn links_default_to_four_speeds_and_follow_the_flags() {
        let four = [
            "bw=100000kbit,rtt=0us",
            "bw=1000000kbit,rtt=0us",
            "bw=10000000kbit,rtt=0us",
            "bw=25000000kbit,rtt=0us",
        ];
        assert_eq!(links(&[]), four);
        assert_eq!(
            links(&["--link", "bw=1gbit,rtt=2ms"]),
            ["bw=1000000kbit,rtt=2000us"]
        );
        assert_eq!(
            links(&[
                "--link",
                "bw=1gbit,rtt=2ms",
                "--link-speeds",
                "100mbit,1gbit,inf"
            ]),
            [
                "bw=1000000kbit,rtt=2000us",
                "bw=100000kbit,rtt=2000us",
                "bw=inf,rtt=2000us"
            ]
        );
        assert_eq!(
            links(&["--link-speeds", "25gbit"]),
            ["bw=25000000kbit,rtt=0us"]
        );
        let argv = ["imgwire", "encode", "--link-speeds", "fast"];
        let error = Cli::try_parse_from(argv).unwrap_err().to_string();
        assert!(
            error.contains("--link-speeds") && error.contains("100mbit"),
            "{error}"
        );
    }
}
