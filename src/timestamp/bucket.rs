//! Time buckets (`--per`): durations, their alignment in a zone, and their labels.

use std::fmt;
use std::str::FromStr;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp};

use super::TimeError;

/// The unit of a [`Per`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PerUnit {
    /// `s`
    Second,
    /// `m`
    Minute,
    /// `h`
    Hour,
    /// `d`: local calendar days.
    Day,
    /// `w`: weeks from Monday.
    Week,
}

/// A bucket duration: `1s`, `5m`, `15m`, `1h`, `6h`, `1d`, `1w`.
///
/// Durations in seconds, minutes or hours are at most a day and are counted from local
/// midnight: buckets start at midnight plus multiples of the duration in elapsed time, the
/// last one of a day ending at the next midnight (so a day of 23 or 25 hours has 23 or 25
/// hourly buckets). `Nd` buckets are local calendar days, `N` at a time counted from
/// 1970-01-01; `Nw` are weeks starting Monday at local midnight, `N` at a time counted from
/// Monday 1970-01-05.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Per {
    count: u32,
    unit: PerUnit,
}

impl Per {
    /// A duration of `count` units; `count` must be at least 1, and at most a day's worth for
    /// seconds, minutes and hours.
    pub fn new(count: u32, unit: PerUnit) -> Result<Per, TimeError> {
        let bad = |reason| TimeError::BadDuration {
            value: format!("{count}{}", unit_char(unit)),
            reason,
        };
        if count == 0 {
            return Err(bad("it must be at least 1"));
        }
        let per = Per { count, unit };
        if matches!(unit, PerUnit::Second | PerUnit::Minute | PerUnit::Hour)
            && per.seconds() > 86_400
        {
            return Err(bad("durations in s, m or h are at most a day; use d or w"));
        }
        if count > 100_000 {
            return Err(bad("too long"));
        }
        Ok(per)
    }

    /// How many units.
    pub fn count(&self) -> u32 {
        self.count
    }

    /// The unit.
    pub fn unit(&self) -> PerUnit {
        self.unit
    }

    /// The length in seconds (nominal for days and weeks).
    pub fn seconds(&self) -> i64 {
        let unit = match self.unit {
            PerUnit::Second => 1,
            PerUnit::Minute => 60,
            PerUnit::Hour => 3600,
            PerUnit::Day => 86_400,
            PerUnit::Week => 7 * 86_400,
        };
        i64::from(self.count) * unit
    }
}

fn unit_char(u: PerUnit) -> char {
    match u {
        PerUnit::Second => 's',
        PerUnit::Minute => 'm',
        PerUnit::Hour => 'h',
        PerUnit::Day => 'd',
        PerUnit::Week => 'w',
    }
}

impl fmt::Display for Per {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.count, unit_char(self.unit))
    }
}

impl FromStr for Per {
    type Err = TimeError;

    /// `<N><unit>` with unit `s`, `m`, `h`, `d` or `w`; a bare unit means 1 of it.
    fn from_str(s: &str) -> Result<Per, TimeError> {
        let bad = |reason| TimeError::BadDuration {
            value: s.into(),
            reason,
        };
        let Some(last) = s.chars().last() else {
            return Err(bad("expected a number and a unit, like 1h, 5m or 1d"));
        };
        let unit = match last {
            's' => PerUnit::Second,
            'm' => PerUnit::Minute,
            'h' => PerUnit::Hour,
            'd' => PerUnit::Day,
            'w' => PerUnit::Week,
            _ => return Err(bad("the unit must be s, m, h, d or w, like 1h, 5m or 1d")),
        };
        let digits = &s[..s.len() - 1];
        let count = if digits.is_empty() {
            1
        } else if digits.bytes().all(|b| b.is_ascii_digit()) {
            digits.parse().map_err(|_| bad("too long"))?
        } else {
            return Err(bad("expected a number and a unit, like 1h, 5m or 1d"));
        };
        Per::new(count, unit).map_err(|e| match e {
            TimeError::BadDuration { reason, .. } => bad(reason),
            e => e,
        })
    }
}

/// The start of the bucket holding `ts`.
pub fn bucket_start(ts: Timestamp, per: Per, zone: &TimeZone) -> Timestamp {
    bucket_range(ts, per, zone).0
}

/// The bucket holding `ts`: `[start, end)`.
pub fn bucket_range(ts: Timestamp, per: Per, zone: &TimeZone) -> (Timestamp, Timestamp) {
    let date = zone.to_datetime(ts).date();
    let epoch = jiff::civil::date(1970, 1, 1);
    let days = super::days_from_civil(
        i32::from(date.year()),
        date.month() as u32,
        date.day() as u32,
    );
    match per.unit {
        PerUnit::Day | PerUnit::Week => {
            let (first, n) = if per.unit == PerUnit::Day {
                (
                    days - days.rem_euclid(i64::from(per.count)),
                    i64::from(per.count),
                )
            } else {
                // 1970-01-05 is a Monday: day 4.
                let n = 7 * i64::from(per.count);
                (days - (days - 4).rem_euclid(n), n)
            };
            let start = midnight(epoch, first, zone);
            let end = midnight(epoch, first + n, zone);
            (start, end)
        }
        _ => {
            let day_start = midnight(epoch, days, zone);
            let day_end = midnight(epoch, days + 1, zone);
            let len = per.seconds();
            let elapsed = ts.as_second() - day_start.as_second();
            let start = day_start.as_second() + elapsed.div_euclid(len) * len;
            let end = (start + len).min(day_end.as_second());
            (sec(start), sec(end))
        }
    }
}

/// The first instant of local day number `days` (since `epoch`) in `zone`.
fn midnight(epoch: Date, days: i64, zone: &TimeZone) -> Timestamp {
    epoch
        .checked_add(Span::new().days(days))
        .and_then(|d| d.to_zoned_datetime(zone.clone()))
        .and_then(|z| z.start_of_day())
        .map(|z| z.timestamp())
        .unwrap_or(Timestamp::MAX)
}

fn sec(s: i64) -> Timestamp {
    Timestamp::from_second(s).unwrap_or(Timestamp::MAX)
}

/// A bucket's label: its start in RFC 3339 with the zone's offset at that instant, like
/// `2015-05-17T10:00:00+00:00`.
pub fn format_bucket(start: Timestamp, zone: &TimeZone) -> String {
    let dt = zone.to_datetime(start);
    let off = zone.to_offset(start).seconds();
    let (sign, a) = if off < 0 { ('-', -off) } else { ('+', off) };
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        a / 3600,
        a % 3600 / 60
    )
}

/// Maps instants to bucket starts, remembering the last bucket: consecutive lines in the same
/// bucket cost two comparisons.
#[derive(Clone, Debug)]
pub struct Bucketer {
    per: Per,
    zone: TimeZone,
    start: i64,
    end: i64,
}

impl Bucketer {
    /// Buckets of `per` aligned in `zone`.
    pub fn new(per: Per, zone: TimeZone) -> Bucketer {
        Bucketer {
            per,
            zone,
            start: 0,
            end: 0,
        }
    }

    /// The start of `ts`'s bucket, in seconds since the Unix epoch (the key to store: it
    /// sorts in time order; [`format_bucket`] labels it).
    #[inline]
    pub fn bucket(&mut self, ts: Timestamp) -> i64 {
        let t = ts.as_second();
        if self.start <= t && t < self.end {
            return self.start;
        }
        self.miss(ts)
    }

    #[cold]
    fn miss(&mut self, ts: Timestamp) -> i64 {
        let (start, end) = bucket_range(ts, self.per, &self.zone);
        (self.start, self.end) = (start.as_second(), end.as_second());
        self.start
    }

    /// The label of a bucket start returned by [`Bucketer::bucket`].
    pub fn label(&self, start: i64) -> String {
        format_bucket(sec(start), &self.zone)
    }

    /// The bucket after the one starting at `start` (for `--fill`).
    pub fn next_start(&self, start: i64) -> i64 {
        bucket_range(sec(start), self.per, &self.zone).1.as_second()
    }
}
