//! Time zones and years: from a line's [`Stamp`] to an instant.

use std::sync::OnceLock;

use jiff::tz::{Offset, TimeZone, TimeZoneDatabase};
use jiff::Timestamp;

use super::{Civil, Stamp, TimeError};

/// The zone for `--tz`: an IANA name (looked up in the database bundled with logmill, so the
/// machine's tzdata cannot change a result), `UTC`/`Z`, or a fixed offset `+02:00`, `+0200`,
/// `-07`, `UTC+2`. With `None`, the local zone as `date` finds it: `TZ` when set (an IANA
/// name, a POSIX rule like `EST5EDT`, or `:/path/to/zoneinfo/Zone`), else `/etc/localtime`.
pub fn resolve_zone(spec: Option<&str>) -> Result<TimeZone, TimeError> {
    let Some(spec) = spec else {
        return TimeZone::try_system().map_err(|e| TimeError::LocalZone {
            reason: e.to_string(),
        });
    };
    let unknown = || TimeError::UnknownZone { name: spec.into() };
    let s = spec.trim();
    if s.eq_ignore_ascii_case("z") || s.eq_ignore_ascii_case("utc") {
        return Ok(TimeZone::UTC);
    }
    let offset_part = s
        .strip_prefix("UTC")
        .or_else(|| s.strip_prefix("GMT"))
        .filter(|r| r.starts_with(['+', '-']))
        .unwrap_or(s);
    if offset_part.starts_with(['+', '-']) {
        let seconds = parse_offset(offset_part).ok_or_else(unknown)?;
        let offset = Offset::from_seconds(seconds).map_err(|_| unknown())?;
        return Ok(TimeZone::fixed(offset));
    }
    bundled().get(s).map_err(|_| unknown())
}

/// The time-zone database compiled into logmill.
fn bundled() -> &'static TimeZoneDatabase {
    static DB: OnceLock<TimeZoneDatabase> = OnceLock::new();
    DB.get_or_init(TimeZoneDatabase::bundled)
}

/// `+HH`, `+H`, `+HH:MM`, `+HHMM` (or `-`): seconds east of UTC.
fn parse_offset(s: &str) -> Option<i32> {
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let (h, m) = match rest.split_once(':') {
        Some((h, m)) => (h, m),
        None if rest.len() == 4 => rest.split_at(2),
        None => (rest, "0"),
    };
    let all_digits =
        |x: &str| !x.is_empty() && x.len() <= 2 && x.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(h) || !all_digits(m) {
        return None;
    }
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    (h <= 25 && m <= 59).then_some(sign * (h * 3600 + m * 60))
}

/// Where the year of a year-less timestamp (syslog, Android, Proxifier) comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum YearRule {
    /// `--year`: this year, always.
    Fixed(i16),
    /// A reference time's year and month in the zone (the file's modification time, or now
    /// for stdin): a line whose month is later than `month` is from the year before.
    Reference {
        /// The reference year.
        year: i16,
        /// The reference month, 1–12.
        month: u8,
    },
}

impl YearRule {
    /// The rule for a reference time (a file's modification time), seen in `zone`.
    pub fn from_reference(reference: Timestamp, zone: &TimeZone) -> YearRule {
        let dt = zone.to_datetime(reference);
        YearRule::Reference {
            year: dt.year(),
            month: dt.month() as u8,
        }
    }

    /// The year of a year-less stamp in `month`.
    #[inline]
    pub fn year_for(&self, month: u8) -> i16 {
        match *self {
            YearRule::Fixed(y) => y,
            YearRule::Reference { year, month: m } if month > m => year - 1,
            YearRule::Reference { year, .. } => year,
        }
    }
}

/// Turns stamps into instants for one input. It remembers a span of local time over which
/// the zone's offset is constant and unambiguous, so a naive stamp in that span costs
/// integer arithmetic only; outside it, jiff resolves the zone.
#[derive(Clone, Debug)]
pub struct Resolver {
    zone: TimeZone,
    years: YearRule,
    /// Local seconds `[lo, hi)` (as [`Civil::local_seconds`]) read with offset `offset`.
    lo: i64,
    hi: i64,
    offset: i64,
}

/// Offsets never change by more than this much (Samoa skipped a whole day in 2011): the
/// margin kept around a transition so a cached local span cannot hold a repeated time.
const MARGIN: i64 = 2 * 86_400;

impl Resolver {
    /// A resolver reading naive stamps in `zone` and year-less ones with `years`.
    pub fn new(zone: TimeZone, years: YearRule) -> Resolver {
        Resolver {
            zone,
            years,
            lo: 0,
            hi: 0,
            offset: 0,
        }
    }

    /// The zone naive stamps are read in.
    pub fn zone(&self) -> &TimeZone {
        &self.zone
    }

    /// The year rule.
    pub fn years(&self) -> YearRule {
        self.years
    }

    /// The instant of `stamp`; None when it does not exist (February 29 of a year-less stamp
    /// in a common year) or is out of range.
    #[inline]
    pub fn instant(&mut self, stamp: Stamp) -> Option<Timestamp> {
        match stamp {
            Stamp::Epoch(s) => Timestamp::from_second(s).ok(),
            Stamp::Offset(c, off) => {
                Timestamp::new(c.local_seconds() - i64::from(off), c.nanosecond as i32).ok()
            }
            Stamp::Naive(c) => self.naive(c),
            Stamp::YearLess(mut c) => {
                c.year = self.years.year_for(c.month);
                if c.day > super::days_in_month(i32::from(c.year), u32::from(c.month)) as u8 {
                    return None;
                }
                self.naive(c)
            }
        }
    }

    #[inline]
    fn naive(&mut self, c: Civil) -> Option<Timestamp> {
        let local = c.local_seconds();
        if self.lo <= local && local < self.hi {
            return Timestamp::new(local - self.offset, c.nanosecond as i32).ok();
        }
        self.naive_slow(c)
    }

    #[cold]
    fn naive_slow(&mut self, c: Civil) -> Option<Timestamp> {
        let ts = self
            .zone
            .to_ambiguous_timestamp(c.to_jiff()?)
            .compatible()
            .ok()?;
        let t = ts.as_second();
        // Both look-ups see a transition at exactly `ts` (they are strict otherwise).
        let one = jiff::SignedDuration::from_secs(1);
        let prev = self
            .zone
            .preceding(ts.saturating_add(one).ok()?)
            .next()
            .map_or(i64::MIN / 4, |tr| tr.timestamp().as_second());
        let next = self
            .zone
            .following(ts.saturating_sub(one).ok()?)
            .next()
            .map_or(i64::MAX / 4, |tr| tr.timestamp().as_second());
        let (safe_lo, safe_hi) = (prev.saturating_add(MARGIN), next.saturating_sub(MARGIN));
        if safe_lo <= t && t < safe_hi {
            let offset = i64::from(self.zone.to_offset(ts).seconds());
            self.offset = offset;
            self.lo = safe_lo.saturating_add(offset);
            self.hi = safe_hi.saturating_add(offset);
        }
        Some(ts)
    }
}
