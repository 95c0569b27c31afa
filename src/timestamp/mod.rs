//! Timestamps in log lines: finding and parsing them, reading them in a time zone, and
//! cutting time into buckets and windows.
//!
//! The path of one line: a [`TimeSource`] (a [`Detected`] fixed format, or a strptime
//! [`CustomFormat`]) finds the line's [`Stamp`] without allocating; a [`Resolver`] turns it
//! into an instant ([`jiff::Timestamp`]) using the zone and the year rule; a [`Bucketer`]
//! maps the instant to the start of its bucket. Resolver and bucketer cache the span they
//! last computed, so for the usual run of lines in the same hour a line costs a few integer
//! comparisons, not a time-zone lookup.
//!
//! # Known formats, in the order they are tried
//!
//! `--time auto` decides the format once per input from its first lines ([`detect`]): in each
//! sample line every known format is looked for, left to right, and the one found leftmost
//! wins the line (so when a line holds two timestamps, as BGL and Thunderbird do with an
//! epoch and a later local time, the first one counts). The format that wins the most sample
//! lines is used for the whole input; when every sample line had it at the start of the line
//! (after blanks), it is only looked for there, else it is searched for along each line.
//! Formats found at the same position, and formats winning as many lines, rank in this order:
//!
//! 1. RFC 3339 / ISO 8601: `2015-10-18 18:01:47,978`, `2017-05-16T00:00:00.008Z`,
//!    `2024-03-31T02:30:00+02:00` (`T` or a space; fraction after `.` or `,`; optional `Z` or
//!    offset `+02:00`, `+0200`, `+02`) — OpenStack, Hadoop, Zookeeper, Windows CBS.
//! 2. Apache/nginx access log: `[17/May/2015:10:05:03 +0000]`.
//! 3. Apache error log: `[Sun Dec 04 04:47:44 2005]` (microseconds allowed).
//! 4. Syslog: `Jun 14 15:16:01`, `Jul  1 09:00:55` (no year).
//! 5. Spark, `yy/mm/dd`: `17/06/09 20:10:40`.
//! 6. HDFS, `yymmdd hhmmss`: `081109 203615`.
//! 7. HealthApp: `20171223-22:15:29:606`.
//! 8. Android logcat: `03-17 16:13:38.811` (no year).
//! 9. Proxifier: `[10.30 16:49:06]` (no year).
//! 10. Epoch seconds: 9 or 10 digits as a whole whitespace-delimited field, `1117838570`
//!     (BGL, Thunderbird, HPC).
//!
//! Two-digit years follow POSIX (and Python's `%y`): 69–99 are 1969–1999, 00–68 are
//! 2000–2068. A leap second (`:60`) is read as `:59`. Month and weekday names are English,
//! in any case.
//!
//! # Zones and years
//!
//! A timestamp with an offset (or an epoch) keeps it. One without is read in the zone given
//! ([`resolve_zone`]: an IANA name looked up in the time-zone database bundled with logmill,
//! a fixed offset like `+02:00`, or by default the local zone as `date` finds it, honouring
//! `TZ` including `TZ=:/path/to/zoneinfo/Zone`); [`Zone::id`] names the zone resolved, for
//! a partial's parameters and for passing it on explicitly. A local time that occurs twice (the hour
//! repeated when clocks go back) is read as the earlier one; one that does not exist (the
//! hour skipped when clocks go forward) is moved forward by the gap. A year-less timestamp
//! (syslog, Android, Proxifier) takes its year from [`YearRule`]: a given year, or the year
//! of a reference time (the file's modification time; the current time for stdin), one
//! year earlier when the line's month is later than the reference's (a December line in a
//! January file).

mod bucket;
mod custom;
mod formats;
mod window;
mod zone;

pub use bucket::{bucket_range, bucket_start, format_bucket, Bucketer, Per, PerUnit};
pub use custom::CustomFormat;
pub use formats::Format;
pub use window::parse_time_arg;
pub use zone::{resolve_zone, Resolver, YearRule, Zone};

/// Why a time option was refused; each message names the value and what would be accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    /// `--tz` named no known zone.
    #[error("unknown time zone '{name}' (use an IANA name like Europe/Berlin, UTC, or an offset like +02:00)")]
    UnknownZone {
        /// The name as given.
        name: String,
    },
    /// The local zone could not be found (a bad `TZ`, or no `/etc/localtime`).
    #[error("cannot tell the local time zone ({reason}); give one with --tz")]
    LocalZone {
        /// What went wrong.
        reason: String,
    },
    /// A bucket duration that is not `<N><s|m|h|d|w>`.
    #[error("bad duration '{value}': {reason}")]
    BadDuration {
        /// The value as given.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A `--since`/`--until`/`--now` value that is no time.
    #[error("bad time '{value}' (use RFC 3339 like 2015-05-17T10:00:00Z, a date like 2015-05-17, or a time relative to now like -2h, -30m, -1d)")]
    BadTime {
        /// The value as given.
        value: String,
    },
    /// A `--time-format` that cannot name a time.
    #[error("bad time format '{format}': {reason}")]
    BadFormat {
        /// The format as given.
        format: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// A wall-clock date and time as written in a line, already range-checked (the day exists
/// in its month; for a year-less stamp, in a leap year).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Civil {
    /// The year; 0 in a [`Stamp::YearLess`] (the resolver supplies it).
    pub year: i16,
    /// 1–12.
    pub month: u8,
    /// 1–31.
    pub day: u8,
    /// 0–23.
    pub hour: u8,
    /// 0–59.
    pub minute: u8,
    /// 0–59.
    pub second: u8,
    /// 0–999,999,999.
    pub nanosecond: u32,
}

impl Civil {
    /// Seconds since 1970-01-01T00:00:00 of this wall-clock time, as if it were UTC.
    #[inline]
    pub fn local_seconds(&self) -> i64 {
        days_from_civil(
            i32::from(self.year),
            u32::from(self.month),
            u32::from(self.day),
        ) * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
    }

    /// The same as a jiff civil datetime (None when out of jiff's range or, for a year-less
    /// stamp given a year, on a February 29 that year lacks).
    pub fn to_jiff(&self) -> Option<jiff::civil::DateTime> {
        jiff::civil::DateTime::new(
            self.year,
            self.month as i8,
            self.day as i8,
            self.hour as i8,
            self.minute as i8,
            self.second as i8,
            self.nanosecond as i32,
        )
        .ok()
    }
}

/// A timestamp as found in a line, before a zone or year is applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stamp {
    /// A local time with no offset: read in the zone.
    Naive(Civil),
    /// A local time with no offset and no year (its `year` is 0): the year comes from the
    /// [`YearRule`], then it is read in the zone.
    YearLess(Civil),
    /// A local time with its offset from UTC in seconds (east positive).
    Offset(Civil, i32),
    /// Seconds since the Unix epoch.
    Epoch(i64),
}

/// Where a detected format is looked for in a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Position {
    /// At the start of the line, after spaces and tabs.
    Start,
    /// Anywhere: the leftmost match.
    Scan,
}

/// A format chosen by [`detect`] for one input, with where to look for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Detected {
    /// The format.
    pub format: Format,
    /// Where it sits in a line.
    pub position: Position,
}

impl Detected {
    /// The timestamp of `line`, if it holds one in the detected format and place.
    #[inline]
    pub fn find(&self, line: &[u8]) -> Option<Stamp> {
        match self.position {
            Position::Start => self
                .format
                .parse_at(line, skip_blanks(line))
                .map(|(s, _)| s),
            Position::Scan => self.format.find(line).map(|(_, s)| s),
        }
    }
}

/// The last bracketed timestamp text (`[17/May/2015:10:05:03 +0000]`) that
/// [`Detected::find_memo`] parsed, with its stamp: consecutive log lines mostly share their
/// second, and comparing some 30 bytes is cheaper than parsing them.
#[derive(Default)]
pub struct StampMemo {
    text: [u8; 32],
    len: usize,
    stamp: Option<Stamp>,
}

impl Detected {
    /// As [`Detected::find`], reusing `memo`'s stamp when the line holds the same text. Only
    /// the bracketed formats go through the memo: their stamp is a function of the bytes from
    /// `[` to `]` alone (no byte before or after them is looked at).
    #[inline]
    pub fn find_memo(&self, line: &[u8], memo: &mut StampMemo) -> Option<Stamp> {
        let bracketed = matches!(self.format, Format::ApacheAccess | Format::ApacheError);
        if !bracketed || self.position != Position::Scan {
            return self.find(line);
        }
        for at in memchr::memchr_iter(b'[', line) {
            let rest = &line[at..];
            if memo.len > 0 && rest.starts_with(&memo.text[..memo.len]) {
                return memo.stamp;
            }
            if let Some((stamp, end)) = self.format.parse_at(line, at) {
                let text = &line[at..end];
                if let Some(slot) = memo.text.get_mut(..text.len()) {
                    slot.copy_from_slice(text);
                    (memo.len, memo.stamp) = (text.len(), Some(stamp));
                }
                return Some(stamp);
            }
        }
        None
    }
}

/// How many first lines [`detect`] wants to see (it takes what it is given).
pub const DETECT_LINES: usize = 64;

/// Decides the timestamp format of an input from its first lines (see the module docs for
/// the rule). None when no sample line holds a known timestamp.
pub fn detect<'a>(first_lines: impl IntoIterator<Item = &'a [u8]>) -> Option<Detected> {
    let mut wins = [0usize; Format::ALL.len()];
    let mut all_at_start = [true; Format::ALL.len()];
    for line in first_lines {
        let start = skip_blanks(line);
        let mut best: Option<(usize, usize)> = None; // (position, index in ALL)
        for (k, f) in Format::ALL.iter().enumerate() {
            if let Some((pos, _)) = f.find(line) {
                if best.is_none_or(|(p, _)| pos < p) {
                    best = Some((pos, k));
                }
            }
        }
        if let Some((pos, k)) = best {
            wins[k] += 1;
            all_at_start[k] &= pos == start;
        }
    }
    let (k, &n) = wins
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(&a.0)))?;
    (n > 0).then(|| Detected {
        format: Format::ALL[k],
        position: if all_at_start[k] {
            Position::Start
        } else {
            Position::Scan
        },
    })
}

/// Finds a line's timestamp: a detected fixed format or a `--time-format`.
#[derive(Clone, Debug)]
pub enum TimeSource {
    /// A fixed format chosen by [`detect`].
    Detected(Detected),
    /// A strptime format given by the user.
    Custom(CustomFormat),
}

impl TimeSource {
    /// The timestamp of `line` (or of a field's bytes), if any.
    #[inline]
    pub fn find(&self, line: &[u8]) -> Option<Stamp> {
        match self {
            TimeSource::Detected(d) => d.find(line),
            TimeSource::Custom(c) => c.find(line),
        }
    }
}

/// Index of the first byte that is not a space or tab.
#[inline]
fn skip_blanks(line: &[u8]) -> usize {
    line.iter()
        .position(|&b| b != b' ' && b != b'\t')
        .unwrap_or(line.len())
}

fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// Days in `month` (1–12) of `year`.
pub(crate) fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to the given proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`): the per-line fast path; checked against jiff in the tests.
#[inline]
pub(crate) fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    let y = i64::from(y) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests;
