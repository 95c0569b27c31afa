//! Time zones and years: from a line's [`Stamp`] to an instant.

use std::sync::OnceLock;

use jiff::tz::{Offset, TimeZone, TimeZoneDatabase};
use jiff::Timestamp;

use super::{Civil, Stamp, TimeError};

/// A resolved time zone with the text that names it again: [`Zone::id`] given back to
/// [`resolve_zone`] gives the same zone, so a run can record the zone it resolved from its
/// surroundings (`TZ`, `/etc/localtime`) and pass it to another process explicitly.
#[derive(Clone, Debug)]
pub struct Zone {
    tz: TimeZone,
    id: String,
}

impl Zone {
    /// UTC.
    pub fn utc() -> Zone {
        Zone {
            tz: TimeZone::UTC,
            id: "UTC".into(),
        }
    }

    /// The jiff zone.
    pub fn tz(&self) -> &TimeZone {
        &self.tz
    }

    /// Its name for `--tz` and for a partial's parameters: the IANA name (`Europe/Berlin`),
    /// `UTC`, an offset (`+05:30`), a POSIX rule after a `:` (`:EST5EDT,M3.2.0,M11.1.0`), or
    /// `:/path/to/tzif`.
    pub fn id(&self) -> &str {
        &self.id
    }
}

/// The zone for `--tz` (`Some`), or the local zone (`None`).
///
/// `--tz` takes an IANA name, looked up without regard to case in the time-zone database
/// bundled with logmill (so the machine's tzdata cannot change a result); `UTC` or `Z`; a
/// fixed offset `+02:00`, `+0200` or `-07`; a POSIX rule such as `EST5EDT,M3.2.0,M11.1.0`;
/// or a TZif file as `:/path/to/file`. `UTC+3` is refused: POSIX reads it as three hours
/// *behind* UTC, people as ahead (`:UTC+3` gives the POSIX reading, as `TZ` does).
///
/// The local zone is the one `date` uses: `TZ` when set (an IANA name, with or without a
/// leading `:`; a POSIX rule, where `UTC+3` means three hours *behind* UTC as POSIX says;
/// `:/path/to/zoneinfo/Area/City`, read by its name from the bundled database when the path
/// holds `zoneinfo/`, else from the file; empty means UTC), else `/etc/localtime`.
pub fn resolve_zone(spec: Option<&str>) -> Result<Zone, TimeError> {
    let Some(spec) = spec else {
        return local_zone();
    };
    let unknown = || TimeError::UnknownZone { name: spec.into() };
    let s = spec.trim();
    if s.eq_ignore_ascii_case("z") || s.eq_ignore_ascii_case("utc") {
        return Ok(Zone::utc());
    }
    let upper = s.get(..3).map(str::to_ascii_uppercase);
    if matches!(upper.as_deref(), Some("UTC" | "GMT")) && s[3..].starts_with(['+', '-']) {
        // POSIX reads UTC+3 as three hours behind UTC, people as ahead: refuse to guess
        // (`:UTC+3` is the POSIX reading, as in `TZ`).
        return Err(unknown());
    }
    if s.starts_with(['+', '-']) {
        let seconds = parse_offset(s).ok_or_else(unknown)?;
        let offset = Offset::from_seconds(seconds).map_err(|_| unknown())?;
        return Ok(fixed(offset));
    }
    from_tz_text(s).ok_or_else(unknown)
}

/// A zone from the text of `TZ` (or `--tz` other than an offset): a name, a path, a POSIX
/// rule.
fn from_tz_text(s: &str) -> Option<Zone> {
    let bare = s.strip_prefix(':').unwrap_or(s);
    if bare.is_empty() {
        return None;
    }
    if bare.starts_with('/') || bare.starts_with("./") || bare.starts_with("../") {
        if let Some((_, name)) = bare.rsplit_once("zoneinfo/") {
            if let Ok(tz) = bundled().get(name) {
                return Some(named(tz));
            }
        }
        let data = std::fs::read(bare).ok()?;
        let tz = TimeZone::tzif(bare, &data).ok()?;
        return Some(Zone {
            tz,
            id: format!(":{bare}"),
        });
    }
    if let Ok(tz) = bundled().get(bare) {
        return Some(named(tz));
    }
    let tz = TimeZone::posix(bare).ok()?;
    Some(Zone {
        tz,
        id: format!(":{bare}"),
    })
}

fn named(tz: TimeZone) -> Zone {
    if tz == TimeZone::UTC {
        return Zone::utc();
    }
    let id = tz.iana_name().unwrap_or("UTC").to_string();
    Zone { tz, id }
}

fn fixed(offset: Offset) -> Zone {
    let secs = offset.seconds();
    let (sign, a) = if secs < 0 { ('-', -secs) } else { ('+', secs) };
    Zone {
        tz: TimeZone::fixed(offset),
        id: format!("{sign}{:02}:{:02}", a / 3600, a % 3600 / 60),
    }
}

fn local_zone() -> Result<Zone, TimeError> {
    if let Some(tz) = std::env::var_os("TZ") {
        let text = tz.to_string_lossy();
        if text.trim().is_empty() {
            return Ok(Zone::utc());
        }
        return from_tz_text(text.trim()).ok_or_else(|| TimeError::LocalZone {
            reason: format!("TZ={text} names no time zone"),
        });
    }
    let tz = TimeZone::try_system().map_err(|e| TimeError::LocalZone {
        reason: e.to_string(),
    })?;
    if tz.iana_name().is_some() {
        return Ok(named(tz));
    }
    if let Ok(offset) = tz.to_fixed_offset() {
        return Ok(fixed(offset));
    }
    Ok(Zone {
        tz,
        id: ":/etc/localtime".into(),
    })
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
    /// Whether a year-less stamp was given a year by the rule.
    year_used: bool,
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
            year_used: false,
        }
    }

    /// Whether the year rule dated a year-less stamp (so the run depends on it).
    pub fn year_used(&self) -> bool {
        self.year_used
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
                self.year_used = true;
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
