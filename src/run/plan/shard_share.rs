//! A shard's share of the plan: the load split so that the shards' parts
//! add up to what the flags say, and a frame seed of its own.

use super::{BenchPlan, FrameSpec, LoadModel, LoadStop, PlanError};
use crate::shard::{shard_seed, split_count, split_rate, Shard};

impl BenchPlan {
    /// Cuts the plan down to `shard`'s share: every concurrency level (bursts'
    /// requests, closed load's workers), `--requests` and `--rate` split
    /// across the shards (whole counts with the remainder to the first
    /// shards; cameras split as whole streams), and generated frames seeded
    /// per shard. Refused where a shard
    /// would get nothing, and for the burst load, whose bursts could not
    /// start together across machines.
    pub fn take_share(&mut self, shard: Shard) -> Result<(), PlanError> {
        if shard.is_sharded() && self.load.model == LoadModel::Bursts {
            return Err(PlanError::new(
                "--load",
                format!(
                    "{shard}: a sharded run needs --load closed or open; bursts of \
                     different machines would not start together, so their figures would not add \
                     up (give --load closed --duration S)"
                ),
            ));
        }
        let split = |total: usize, flag: &'static str| {
            split_count(total as u64, &shard, flag)
                .map(|part| part as usize)
                .map_err(|e| PlanError::new(flag, e.to_string()))
        };
        if let Some(cameras) = &mut self.load.cameras {
            // Each shard runs whole streams, with their connections and rate.
            let all = cameras.streams;
            cameras.streams = split(all, "--streams")?;
            // The shards before this one hold split_count's shares: the
            // remainder went one each to the first shards.
            let (base, extra) = (all / shard.count, all % shard.count);
            cameras.first_stream = shard.index * base + shard.index.min(extra);
            cameras.all_streams = all;
            let (connections, rate) = (cameras.connections(), cameras.frames_per_s());
            self.set_concurrency(connections);
            self.load.concurrency_levels = vec![connections];
            self.load.rate_per_s = Some(rate);
        } else {
            self.set_concurrency(split(self.load.concurrency, "--concurrency")?);
            self.load.concurrency_levels = (self.load.concurrency_levels.iter())
                .map(|&level| split(level, "--concurrency"))
                .collect::<Result<_, _>>()?;
            self.load.rate_per_s = self.load.rate_per_s.map(|rate| split_rate(rate, &shard));
        }
        if let Some(LoadStop::Requests(n)) = self.load.stop {
            self.load.stop = Some(LoadStop::Requests(split(n, "--requests")?));
        }
        if let FrameSpec::Pattern { seed, .. } = &mut self.frames.source {
            *seed = shard_seed(*seed, &shard);
        }
        self.shard = shard;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::cli::test_plan;
    use crate::run::plan::LoadStop;
    use crate::shard::Shard;

    fn share(args: &[&str], shard: &str) -> Result<crate::run::plan::BenchPlan, String> {
        let mut plan = test_plan(args);
        plan.take_share(Shard::from_flag(shard).unwrap())
            .map(|()| plan)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn the_shares_add_up_to_the_flags() {
        let closed = ["--load", "closed", "-c", "10,3", "--requests", "101"];
        let parts: Vec<_> = (0..3)
            .map(|i| share(&closed, &format!("{i}/3")).unwrap())
            .collect();
        let sum = |f: &dyn Fn(&crate::run::plan::BenchPlan) -> usize| -> usize {
            parts.iter().map(f).sum()
        };
        assert_eq!(sum(&|p| p.load.concurrency), 10);
        assert_eq!(sum(&|p| p.load.concurrency_levels[1]), 3);
        assert_eq!(sum(&|p| p.client.concurrency), 10);
        let requests = |p: &crate::run::plan::BenchPlan| match p.load.stop {
            Some(LoadStop::Requests(n)) => n,
            _ => unreachable!("--requests was given"),
        };
        assert_eq!(sum(&requests), 101);
        let open = ["--load", "open", "--rate", "300", "-c", "4"];
        let rates: f64 = (0..4)
            .map(|i| {
                share(&open, &format!("{i}/4"))
                    .unwrap()
                    .load
                    .rate_per_s
                    .unwrap()
            })
            .sum();
        assert!((rates - 300.0).abs() < 1e-9);
    }

    #[test]
    fn cameras_split_as_whole_streams_with_their_connections_and_rate() {
        let cameras = ["--streams", "5", "--fps", "30", "--max-in-flight", "2"];
        let parts: Vec<_> = (0..2)
            .map(|i| share(&cameras, &format!("{i}/2")).unwrap())
            .collect();
        let streams: Vec<usize> = parts
            .iter()
            .map(|p| p.load.cameras.unwrap().streams)
            .collect();
        assert_eq!(streams, [3, 2]);
        let firsts: Vec<usize> = (parts.iter())
            .map(|p| p.load.cameras.unwrap().first_stream)
            .collect();
        assert_eq!(firsts, [0, 3], "shard 1 holds streams 3 and 4 of 5");
        // Phased as one set: shard 1's first stream is due 3/(5 x 30) s in.
        let start = std::time::Instant::now();
        let due = parts[1].load.cameras.unwrap().due(start, 0, 0) - start;
        assert_eq!(due, std::time::Duration::from_secs_f64(3.0 / 150.0));
        for (part, streams) in parts.iter().zip(streams) {
            assert_eq!(part.load.concurrency, streams * 2);
            assert_eq!(part.client.concurrency, streams * 2);
            assert_eq!(part.load.rate_per_s, Some(streams as f64 * 30.0));
        }
        let idle = share(&cameras, "5/6").unwrap_err();
        assert!(idle.contains("--streams 5 split over 6 shards"), "{idle}");
    }

    #[test]
    fn a_share_of_nothing_and_sharded_bursts_are_refused_naming_the_flag() {
        let idle = share(&["--load", "closed", "-c", "2"], "2/3").unwrap_err();
        assert!(
            idle.contains("--concurrency 2 split over 3 shards"),
            "{idle}"
        );
        let bursts = share(&["-c", "20"], "0/2").unwrap_err();
        assert!(bursts.contains("--load closed or open"), "{bursts}");
        assert!(
            share(&["-c", "20"], "0/1").is_ok(),
            "one shard is the whole run"
        );
    }
}
