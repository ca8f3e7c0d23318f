//! `--start-at TIME`: the moment every shard starts its schedule, given as
//! RFC 3339 (`2026-12-06T10:00:00Z`, an offset, or fractional seconds) or
//! as Unix seconds, turned into a `SystemTime`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A start time that is neither RFC 3339 nor Unix seconds.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "--start-at {0:?} is neither RFC 3339 (e.g. 2026-12-06T10:00:00Z) nor Unix seconds \
     (e.g. 1796551200)"
)]
pub struct StartAtError(pub String);

/// Parses `--start-at`.
pub fn parse_start_at(text: &str) -> Result<SystemTime, StartAtError> {
    let wrong = || StartAtError(text.to_string());
    let text = text.trim();
    if let Ok(seconds) = text.parse::<f64>() {
        if !seconds.is_finite() || seconds < 0.0 {
            return Err(wrong());
        }
        return Ok(UNIX_EPOCH + Duration::from_secs_f64(seconds));
    }
    let seconds = rfc3339_unix_nanos(text).ok_or_else(wrong)?;
    let nanos = u64::try_from(seconds).map_err(|_| wrong())?;
    Ok(UNIX_EPOCH + Duration::from_nanos(nanos))
}

/// Nanoseconds since the Unix epoch of an RFC 3339 date-time.
fn rfc3339_unix_nanos(text: &str) -> Option<i128> {
    let (date, rest) = text.split_once(['T', 't', ' '])?;
    let [year, month, day] = fields::<3>(date, '-')?;
    let zone_at = rest.find(['Z', 'z', '+', '-'])?;
    let (clock, zone) = rest.split_at(zone_at);
    let (whole, fraction) = clock.split_once('.').unwrap_or((clock, ""));
    let [hour, minute, second] = fields::<3>(whole, ':')?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    if second > 60 || !fraction.bytes().all(|b| b.is_ascii_digit()) || fraction.len() > 9 {
        return None;
    }
    let offset_s = zone_offset_s(zone)?;
    let days = days_from_civil(year as i64, month as i64, day as i64);
    let seconds = days * 86_400 + hour as i64 * 3600 + minute as i64 * 60 + second as i64;
    let nanos = format!("{fraction:0<9}").parse::<i128>().ok()?;
    Some((seconds - offset_s) as i128 * 1_000_000_000 + nanos)
}

/// `Z`, or `+HH:MM` / `-HH:MM`, as seconds east of UTC.
fn zone_offset_s(zone: &str) -> Option<i64> {
    if zone.eq_ignore_ascii_case("z") {
        return Some(0);
    }
    let sign = match zone.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let [hours, minutes] = fields::<2>(&zone[1..], ':')?;
    (hours <= 23 && minutes <= 59).then_some(sign * (hours as i64 * 3600 + minutes as i64 * 60))
}

/// Exactly `N` fields of digits split by `separator`.
fn fields<const N: usize>(text: &str, separator: char) -> Option<[u32; N]> {
    let mut out = [0; N];
    let mut parts = text.split(separator);
    for slot in &mut out {
        let part = parts.next()?;
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *slot = part.parse().ok()?;
    }
    parts.next().is_none().then_some(out)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
/// civil-calendar arithmetic).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}
