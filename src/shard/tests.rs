//! Shards from the flag and from each launcher's environment, the load
//! split so the parts add up, and `--start-at` against Python's datetime.

use super::*;
use std::collections::HashMap;
use std::time::{Duration, UNIX_EPOCH};

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name| map.get(name).cloned()
}

#[test]
fn the_flag_gives_index_and_count() {
    let shard = Shard::from_flag("3/8").unwrap();
    assert_eq!((shard.index, shard.count), (3, 8));
    assert_eq!(shard.to_string(), "shard 3 of 8 (from --shard)");
    for wrong in ["3", "a/4", "1/", "/4", "-1/4"] {
        let message = Shard::from_flag(wrong).unwrap_err().to_string();
        assert!(message.contains("--shard"), "{wrong}: {message}");
    }
    let past = Shard::from_flag("4/4").unwrap_err().to_string();
    assert!(past.contains("0 to 3"), "{past}");
    assert!(Shard::from_flag("0/0")
        .unwrap_err()
        .to_string()
        .contains("at least 1"));
}

/// A launcher's variables, the one named as the source, index and count.
type LauncherCase = (
    &'static [(&'static str, &'static str)],
    &'static str,
    usize,
    usize,
);

#[test]
fn every_launcher_is_read_and_the_flag_wins() {
    let cases: [LauncherCase; 4] = [
        (
            &[("JOB_COMPLETION_INDEX", "2"), ("IMGWIRE_SHARDS", "5")],
            "JOB_COMPLETION_INDEX",
            2,
            5,
        ),
        (
            &[("SLURM_PROCID", "1"), ("SLURM_NTASKS", "4")],
            "SLURM_PROCID",
            1,
            4,
        ),
        (
            &[("OMPI_COMM_WORLD_RANK", "0"), ("OMPI_COMM_WORLD_SIZE", "2")],
            "OMPI_COMM_WORLD_RANK",
            0,
            2,
        ),
        (&[("PMI_RANK", "6"), ("PMI_SIZE", "7")], "PMI_RANK", 6, 7),
    ];
    for (vars, source, index, count) in cases {
        let shard = Shard::resolve(None, None, env(vars)).unwrap();
        assert_eq!(shard.source, ShardSource::Env(source));
        assert_eq!((shard.index, shard.count), (index, count));
        let flagged = Shard::resolve(Some("0/3"), None, env(vars)).unwrap();
        assert_eq!(
            (flagged.index, flagged.count, flagged.source),
            (0, 3, ShardSource::Flag)
        );
    }
    assert_eq!(
        Shard::resolve(None, None, env(&[])).unwrap(),
        Shard::whole()
    );
}

#[test]
fn a_kubernetes_index_counts_only_with_a_count_and_numbers_must_be_numbers() {
    // An Indexed Job that does not say how many shards is not a sharded run.
    let no_count = Shard::resolve(None, None, env(&[("JOB_COMPLETION_INDEX", "1")]));
    assert_eq!(no_count.unwrap(), Shard::whole());
    let given = Shard::resolve(None, Some(3), env(&[("JOB_COMPLETION_INDEX", "1")])).unwrap();
    assert_eq!((given.index, given.count), (1, 3));
    let garbage = Shard::resolve(
        None,
        None,
        env(&[("SLURM_PROCID", "x"), ("SLURM_NTASKS", "2")]),
    );
    assert!(garbage
        .unwrap_err()
        .to_string()
        .contains("SLURM_PROCID=\"x\""));
    let past = Shard::resolve(None, None, env(&[("PMI_RANK", "2"), ("PMI_SIZE", "2")]));
    assert!(past.unwrap_err().to_string().contains("from PMI_RANK"));
}

#[test]
fn counts_split_exactly_with_the_remainder_first() {
    for count in 1..=9usize {
        for total in count as u64..40 {
            let parts: Vec<u64> = (0..count)
                .map(|index| {
                    let shard = Shard {
                        index,
                        count,
                        source: ShardSource::Flag,
                    };
                    split_count(total, &shard, "--concurrency").unwrap()
                })
                .collect();
            assert_eq!(parts.iter().sum::<u64>(), total, "{total} over {count}");
            assert!(
                parts.windows(2).all(|w| w[0] >= w[1] && w[0] - w[1] <= 1),
                "{parts:?}"
            );
        }
    }
    let shard = Shard {
        index: 0,
        count: 4,
        source: ShardSource::Flag,
    };
    let refused = split_count(3, &shard, "--concurrency")
        .unwrap_err()
        .to_string();
    assert!(
        refused.contains("--concurrency 3 split over 4 shards"),
        "{refused}"
    );
    assert!(refused.contains("shards 3 to 3"), "{refused}");
}

#[test]
fn rates_split_evenly_and_seeds_differ_per_shard_but_reproduce() {
    let shards: Vec<Shard> = (0..4)
        .map(|index| Shard {
            index,
            count: 4,
            source: ShardSource::Flag,
        })
        .collect();
    let total: f64 = shards.iter().map(|s| split_rate(1000.0, s)).sum();
    assert!((total - 1000.0).abs() < 1e-9);
    let seeds: Vec<u64> = shards.iter().map(|s| shard_seed(7, s)).collect();
    let mut distinct = seeds.clone();
    distinct.dedup();
    assert_eq!(distinct.len(), 4, "{seeds:?}");
    assert_eq!(
        seeds,
        shards.iter().map(|s| shard_seed(7, s)).collect::<Vec<_>>()
    );
    assert_eq!(shard_seed(7, &Shard::whole()), 7);
}

#[test]
fn start_times_agree_with_python_datetime() {
    // Expected values from Python's datetime.fromisoformat(...).timestamp().
    let cases = [
        ("2026-12-06T10:00:00Z", 1_796_551_200.0),
        ("2000-02-29T23:59:59.5+01:30", 951_863_399.5),
        ("1970-01-01T00:00:00Z", 0.0),
        ("2024-03-01T00:00:00-05:00", 1_709_269_200.0),
        ("1796551200", 1_796_551_200.0),
        ("1796551200.25", 1_796_551_200.25),
    ];
    for (text, unix_s) in cases {
        let at = parse_start_at(text).unwrap();
        assert_eq!(at, UNIX_EPOCH + Duration::from_secs_f64(unix_s), "{text}");
    }
    for wrong in [
        "tomorrow",
        "2026-13-01T00:00:00Z",
        "2026-12-06T10:00:00",
        "2026-12-06",
        "-5",
    ] {
        let message = parse_start_at(wrong).unwrap_err().to_string();
        assert!(message.contains("--start-at"), "{wrong}: {message}");
    }
}
