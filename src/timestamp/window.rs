//! `--since`, `--until` and `--now` values.

use jiff::tz::TimeZone;
use jiff::{Span, Timestamp};

use super::{Format, Resolver, Stamp, TimeError, YearRule};

/// A `--since`/`--until`/`--now` value as an instant:
///
/// - RFC 3339, `2015-05-17T10:00:00Z`, `2015-05-17 10:00:00+02:00`; without an offset
///   (`2015-05-17T10:00:00`, `2015-05-17T10:00`) it is read in `zone`;
/// - a date, `2015-05-17`: the start of that day in `zone`;
/// - relative to `now`: `-2h`, `-30m`, `-90s`, `-1d`, `-1w` (or with `+`); days and weeks
///   are calendar days in `zone` (a day across a DST change is 23 or 25 hours);
/// - `now`.
pub fn parse_time_arg(s: &str, now: Timestamp, zone: &TimeZone) -> Result<Timestamp, TimeError> {
    let bad = || TimeError::BadTime { value: s.into() };
    let t = s.trim();
    if t == "now" {
        return Ok(now);
    }
    if let Some(rel) = t.strip_prefix('-').or_else(|| t.strip_prefix('+')) {
        let sign = if t.starts_with('-') { -1 } else { 1 };
        let unit = rel.chars().last().ok_or_else(bad)?;
        let digits = &rel[..rel.len() - unit.len_utf8()];
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let n: i64 = digits.parse().map_err(|_| bad())?;
        let n = sign * n;
        let span = match unit {
            's' => Span::new().try_seconds(n),
            'm' => Span::new().try_minutes(n),
            'h' => Span::new().try_hours(n),
            'd' => Span::new().try_days(n),
            'w' => Span::new().try_weeks(n),
            _ => return Err(bad()),
        }
        .map_err(|_| bad())?;
        return now
            .to_zoned_datetime(zone.clone())
            .checked_add(span)
            .map(|z| z.timestamp())
            .map_err(|_| bad());
    }
    let b = t.as_bytes();
    if b.len() == 10 {
        let date: jiff::civil::Date = t.parse().map_err(|_| bad())?;
        return date
            .to_zoned_datetime(zone.clone())
            .and_then(|z| z.start_of_day())
            .map(|z| z.timestamp())
            .map_err(|_| bad());
    }
    // The same reading as the log lines' RFC 3339, when it covers the whole value.
    if let Some((stamp, end)) = Format::Rfc3339.parse_at(b, 0) {
        if end == b.len() {
            let mut r = Resolver::new(zone.clone(), YearRule::Fixed(0));
            return r.instant(stamp).ok_or_else(bad);
        }
    }
    if let Ok(ts) = t.parse::<Timestamp>() {
        return Ok(ts);
    }
    let dt: jiff::civil::DateTime = t.parse().map_err(|_| bad())?;
    let c = super::Civil {
        year: dt.year(),
        month: dt.month() as u8,
        day: dt.day() as u8,
        hour: dt.hour() as u8,
        minute: dt.minute() as u8,
        second: dt.second() as u8,
        nanosecond: dt.subsec_nanosecond() as u32,
    };
    Resolver::new(zone.clone(), YearRule::Fixed(0))
        .instant(Stamp::Naive(c))
        .ok_or_else(bad)
}
