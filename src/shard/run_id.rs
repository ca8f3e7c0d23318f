//! Run ids: the one a run makes of its start, and the one every shard of
//! a launch makes alike, so `imgwire merge` can tell shards of one run
//! from shards of another.

use std::time::SystemTime;

/// The run id every shard of one launch makes alike: `slurm-JOB.STEP`
/// under Slurm, else `start-<--start-at in UTC>`; None where neither is
/// known (the shards then need `--run-id`).
pub fn launch_run_id(
    get: impl Fn(&str) -> Option<String>,
    start_at: Option<SystemTime>,
) -> Option<String> {
    if let Some(job) = get("SLURM_JOB_ID") {
        let step = get("SLURM_STEP_ID").unwrap_or_else(|| "0".into());
        return Some(format!("slurm-{job}.{step}"));
    }
    start_at.map(|at| format!("start-{}", utc(at)))
}

/// `2026-11-25T15:45:12Z`: a time in UTC, to the second.
pub fn utc(at: SystemTime) -> String {
    let secs = at
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn shards_of_one_launch_name_the_run_alike() {
        let slurm = |name: &str| match name {
            "SLURM_JOB_ID" => Some("4242".to_string()),
            "SLURM_STEP_ID" => Some("3".to_string()),
            _ => None,
        };
        assert_eq!(launch_run_id(slurm, None).as_deref(), Some("slurm-4242.3"));
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_764_978_312);
        let none = |_: &str| None;
        assert_eq!(
            launch_run_id(none, Some(at)).as_deref(),
            Some("start-2025-12-05T23:45:12Z")
        );
        assert_eq!(launch_run_id(none, None), None);
    }

    #[test]
    fn utc_text_crosses_leap_days_and_years() {
        let at = |s: u64| utc(SystemTime::UNIX_EPOCH + Duration::from_secs(s));
        assert_eq!(at(0), "1970-01-01T00:00:00Z");
        assert_eq!(at(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(at(1_735_689_599), "2024-12-31T23:59:59Z");
    }
}
