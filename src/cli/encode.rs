//! How `imgwire encode`'s flags resolve into the comparison's plan.

use super::EncodeArgs;
use crate::frame::{BadImages, ImageFolder};
use crate::output::OutputPath;
use crate::run::plan::available_cpus;

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
            wide: self.wide,
            json: self
                .json
                .as_ref()
                .map(|p| OutputPath::new(p, "--export-json")),
            csv: self
                .csv
                .as_ref()
                .map(|p| OutputPath::new(p, "--export-csv")),
        }
    }
}
