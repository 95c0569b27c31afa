//! The fixed timestamp formats and their hand-written parsers over bytes: no allocation, no
//! regex, a handful of comparisons per candidate position.

use super::{days_in_month, Civil, Stamp};

/// A timestamp layout that `--time auto` knows. [`Format::ALL`] lists them in the order
/// detection breaks ties (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// RFC 3339 / ISO 8601: `2015-10-18 18:01:47,978`, `2017-05-16T00:00:00.008Z`,
    /// `2024-03-31T02:30:00+02:00`; `T` or a space, fraction after `.` or `,`, optional `Z`
    /// or offset (`+02:00`, `+0200`, `+02`).
    Rfc3339,
    /// Apache/nginx access log: `[17/May/2015:10:05:03 +0000]`.
    ApacheAccess,
    /// Apache error log (ctime in brackets): `[Sun Dec 04 04:47:44 2005]`, also with
    /// microseconds `[Wed Oct 11 14:32:52.123456 2000]`.
    ApacheError,
    /// Syslog (RFC 3164), no year: `Jun 14 15:16:01`, `Jul  1 09:00:55`, `Nov 9 12:01:01`.
    Syslog,
    /// Spark / log4j short date, `yy/mm/dd`: `17/06/09 20:10:40`.
    Spark,
    /// HDFS, `yymmdd hhmmss`: `081109 203615`.
    Hdfs,
    /// HealthApp, `yyyymmdd-h:m:s:ms` (fields not always zero-padded):
    /// `20171223-22:15:29:606`, `20171224-0:0:0:215`.
    HealthApp,
    /// Android logcat, no year: `03-17 16:13:38.811`.
    Android,
    /// Proxifier, no year: `[10.30 16:49:06]`.
    Proxifier,
    /// Unix epoch seconds, 9 or 10 digits forming a whole whitespace-delimited field:
    /// `1117838570` (BGL, Thunderbird, HPC).
    Epoch,
}

impl Format {
    /// Every format, in tie-break order.
    pub const ALL: [Format; 10] = [
        Format::Rfc3339,
        Format::ApacheAccess,
        Format::ApacheError,
        Format::Syslog,
        Format::Spark,
        Format::Hdfs,
        Format::HealthApp,
        Format::Android,
        Format::Proxifier,
        Format::Epoch,
    ];

    /// A short name for messages and docs.
    pub fn name(self) -> &'static str {
        match self {
            Format::Rfc3339 => "rfc3339",
            Format::ApacheAccess => "apache-access",
            Format::ApacheError => "apache-error",
            Format::Syslog => "syslog",
            Format::Spark => "spark",
            Format::Hdfs => "hdfs",
            Format::HealthApp => "healthapp",
            Format::Android => "android",
            Format::Proxifier => "proxifier",
            Format::Epoch => "epoch",
        }
    }

    /// Whether this format carries no year (it comes from `--year` or the file's date).
    pub fn is_year_less(self) -> bool {
        matches!(self, Format::Syslog | Format::Android | Format::Proxifier)
    }

    /// Parses a timestamp of this format starting exactly at `at`. Returns it and the index
    /// just past it. The byte before `at` is checked too, so a timestamp is never taken from
    /// the middle of a longer number or word.
    #[inline]
    pub fn parse_at(self, line: &[u8], at: usize) -> Option<(Stamp, usize)> {
        if at >= line.len() {
            return None;
        }
        let prev = if at == 0 { None } else { Some(line[at - 1]) };
        let (stamp, end) = match self {
            Format::Rfc3339 => {
                not_digit_before(prev)?;
                rfc3339(line, at)?
            }
            Format::ApacheAccess => apache_access(line, at)?,
            Format::ApacheError => apache_error(line, at)?,
            Format::Syslog => {
                if prev.is_some_and(|b| b.is_ascii_alphanumeric()) {
                    return None;
                }
                syslog(line, at)?
            }
            Format::Spark => {
                not_digit_before(prev)?;
                spark(line, at)?
            }
            Format::Hdfs => {
                not_digit_before(prev)?;
                hdfs(line, at)?
            }
            Format::HealthApp => {
                not_digit_before(prev)?;
                healthapp(line, at)?
            }
            Format::Android => {
                not_digit_before(prev)?;
                android(line, at)?
            }
            Format::Proxifier => proxifier(line, at)?,
            Format::Epoch => return epoch(line, at, prev),
        };
        // A timestamp ending in a digit must not run on into more digits.
        if line.get(end).is_some_and(u8::is_ascii_digit) {
            return None;
        }
        Some((stamp, end))
    }

    /// The leftmost timestamp of this format in `line`: its start and value.
    #[inline]
    pub fn find(self, line: &[u8]) -> Option<(usize, Stamp)> {
        match self {
            Format::ApacheAccess | Format::ApacheError | Format::Proxifier => {
                memchr::memchr_iter(b'[', line)
                    .find_map(|i| self.parse_at(line, i).map(|(s, _)| (i, s)))
            }
            Format::Syslog => (0..line.len())
                .filter(|&i| line[i].is_ascii_uppercase())
                .find_map(|i| self.parse_at(line, i).map(|(s, _)| (i, s))),
            _ => (0..line.len())
                .filter(|&i| line[i].is_ascii_digit() && (i == 0 || !line[i - 1].is_ascii_digit()))
                .find_map(|i| self.parse_at(line, i).map(|(s, _)| (i, s))),
        }
    }
}

/// A timestamp starting with a digit must not be the tail of a word, number, date or path
/// (`12015-01-01 …`, `2017-03-17 …` seen from `03-17`).
#[inline]
fn not_digit_before(prev: Option<u8>) -> Option<()> {
    match prev {
        Some(b) if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'/') => None,
        _ => Some(()),
    }
}

/// `n` ASCII digits at `at` as a number.
#[inline]
fn num(b: &[u8], at: usize, n: usize) -> Option<u32> {
    let s = b.get(at..at + n)?;
    let mut v = 0u32;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(c - b'0');
    }
    Some(v)
}

/// One or two ASCII digits at `at`: the number and the index after them.
#[inline]
fn num12(b: &[u8], at: usize) -> Option<(u32, usize)> {
    let d0 = *b.get(at)?;
    if !d0.is_ascii_digit() {
        return None;
    }
    match b.get(at + 1) {
        Some(&d1) if d1.is_ascii_digit() => {
            Some((u32::from(d0 - b'0') * 10 + u32::from(d1 - b'0'), at + 2))
        }
        _ => Some((u32::from(d0 - b'0'), at + 1)),
    }
}

#[inline]
fn byte(b: &[u8], at: usize, want: u8) -> Option<()> {
    (b.get(at) == Some(&want)).then_some(())
}

/// A fraction's digits at `at` (after the `.`/`,`), read as Python's `%f` and RFC 3339 do:
/// right-padded to nanoseconds, digits past the ninth ignored. Returns nanoseconds and the
/// index after the digits; at least one digit is required.
#[inline]
fn fraction(b: &[u8], at: usize) -> Option<(u32, usize)> {
    let mut i = at;
    let mut nanos = 0u32;
    while let Some(&c) = b.get(i) {
        if !c.is_ascii_digit() {
            break;
        }
        if i - at < 9 {
            nanos = nanos * 10 + u32::from(c - b'0');
        }
        i += 1;
    }
    let n = i - at;
    if n == 0 {
        return None;
    }
    for _ in n.min(9)..9 {
        nanos *= 10;
    }
    Some((nanos, i))
}

/// An optional fraction after a `.` (or `,` when `comma`): nanoseconds (0 when absent) and
/// the index after it.
#[inline]
fn opt_fraction(b: &[u8], at: usize, comma: bool) -> (u32, usize) {
    match b.get(at) {
        Some(b'.') => fraction(b, at + 1).unwrap_or((0, at)),
        Some(b',') if comma => fraction(b, at + 1).unwrap_or((0, at)),
        _ => (0, at),
    }
}

/// `HH:MM:SS` at `at`: hour, minute, second.
#[inline]
fn hms(b: &[u8], at: usize) -> Option<(u32, u32, u32)> {
    let h = num(b, at, 2)?;
    byte(b, at + 2, b':')?;
    let m = num(b, at + 3, 2)?;
    byte(b, at + 5, b':')?;
    let s = num(b, at + 6, 2)?;
    Some((h, m, s))
}

/// Builds a checked civil time; `year == None` leaves the year to the resolver (February 29
/// is then accepted here and checked once the year is known).
#[inline]
fn civil(
    year: Option<i32>,
    month: u32,
    day: u32,
    h: u32,
    m: u32,
    s: u32,
    ns: u32,
) -> Option<Civil> {
    if !(1..=12).contains(&month) || day == 0 || h > 23 || m > 59 || s > 60 {
        return None;
    }
    let max_day = match year {
        Some(y) => days_in_month(y, month),
        None => days_in_month(2000, month),
    };
    if day > max_day {
        return None;
    }
    Some(Civil {
        year: year.unwrap_or(0) as i16,
        month: month as u8,
        day: day as u8,
        hour: h as u8,
        minute: m as u8,
        // A leap second is read as the last second of its minute, as most tools do.
        second: s.min(59) as u8,
        nanosecond: ns,
    })
}

/// Python's `%y`: 69–99 are 1969–1999, 00–68 are 2000–2068 (POSIX).
#[inline]
fn two_digit_year(yy: u32) -> i32 {
    if yy >= 69 {
        1900 + yy as i32
    } else {
        2000 + yy as i32
    }
}

/// English month abbreviation (any case) at `at`: 1–12.
#[inline]
fn month_name(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at + 3)?;
    let key = [
        s[0].to_ascii_lowercase(),
        s[1].to_ascii_lowercase(),
        s[2].to_ascii_lowercase(),
    ];
    const NAMES: [&[u8; 3]; 12] = [
        b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov",
        b"dec",
    ];
    NAMES.iter().position(|n| **n == key).map(|i| i as u32 + 1)
}

/// English weekday abbreviation (any case) at `at`.
#[inline]
fn weekday_name(b: &[u8], at: usize) -> Option<()> {
    let s = b.get(at..at + 3)?;
    let key = [
        s[0].to_ascii_lowercase(),
        s[1].to_ascii_lowercase(),
        s[2].to_ascii_lowercase(),
    ];
    const NAMES: [&[u8; 3]; 7] = [b"mon", b"tue", b"wed", b"thu", b"fri", b"sat", b"sun"];
    NAMES.iter().any(|n| **n == key).then_some(())
}

/// `+HH:MM`, `+HHMM`, `+HH` (or `-`), or `Z`, at `at`: seconds east of UTC and the end.
#[inline]
fn offset(b: &[u8], at: usize) -> Option<(i32, usize)> {
    let sign = match b.get(at)? {
        b'Z' | b'z' => return Some((0, at + 1)),
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let h = num(b, at + 1, 2)?;
    let mut end = at + 3;
    let mut m = 0;
    if b.get(end) == Some(&b':') {
        m = num(b, end + 1, 2)?;
        end += 3;
    } else if let Some(mm) = num(b, end, 2) {
        m = mm;
        end += 2;
    }
    if h > 23 || m > 59 {
        return None;
    }
    Some((sign * (h * 3600 + m * 60) as i32, end))
}

fn rfc3339(b: &[u8], at: usize) -> Option<(Stamp, usize)> {
    let y = num(b, at, 4)?;
    byte(b, at + 4, b'-')?;
    let mo = num(b, at + 5, 2)?;
    byte(b, at + 7, b'-')?;
    let d = num(b, at + 8, 2)?;
    if !matches!(b.get(at + 10), Some(b'T' | b't' | b' ')) {
        return None;
    }
    let (h, mi, s) = hms(b, at + 11)?;
    let (ns, end) = opt_fraction(b, at + 19, true);
    let c = civil(Some(y as i32), mo, d, h, mi, s, ns)?;
    match offset(b, end) {
        Some((off, end)) => Some((Stamp::Offset(c, off), end)),
        None => Some((Stamp::Naive(c), end)),
    }
}

fn apache_access(b: &[u8], at: usize) -> Option<(Stamp, usize)> {
    byte(b, at, b'[')?;
    let d = num(b, at + 1, 2)?;
    byte(b, at + 3, b'/')?;
    let mo = month_name(b, at + 4)?;
    byte(b, at + 7, b'/')?;
    let y = num(b, at + 8, 4)?;
    byte(b, at + 12, b':')?;
    let (h, mi, s) = hms(b, at + 13)?;
    let (ns, i) = opt_fraction(b, at + 21, false);
    let c = civil(Some(y as i32), mo, d, h, mi, s, ns)?;
    if b.get(i) == Some(&b']') {
        return Some((Stamp::Naive(c), i + 1));
    }
    byte(b, i, b' ')?;
    let (off, i) = offset(b, i + 1)?;
    byte(b, i, b']')?;
    Some((Stamp::Offset(c, off), i + 1))
}

fn apache_error(b: &[u8], at: usize) -> Option<(Stamp, usize)> {
    byte(b, at, b'[')?;
    weekday_name(b, at + 1)?;
    byte(b, at + 4, b' ')?;
    let mo = month_name(b, at + 5)?;
    byte(b, at + 8, b' ')?;
    // ctime pads the day with a space; Apache with a zero.
    let i = if b.get(at + 9) == Some(&b' ') {
        at + 10
    } else {
        at + 9
    };
    let (d, i) = num12(b, i)?;
    byte(b, i, b' ')?;
    let (h, mi, s) = hms(b, i + 1)?;
    let (ns, i) = opt_fraction(b, i + 9, false);
    byte(b, i, b' ')?;
    let y = num(b, i + 1, 4)?;
    byte(b, i + 5, b']')?;
    Some((
        Stamp::Naive(civil(Some(y as i32), mo, d, h, mi, s, ns)?),
        i + 6,
    ))
}

fn syslog(b: &[u8], at: usize) -> Option<(Stamp, usize)> {
    let mo = month_name(b, at)?;
    byte(b, at + 3, b' ')?;
    let i = if b.get(at + 4) == Some(&b' ') {
        at + 5
    } else {
        at + 4
    };
    let (d, i) = num12(b, i)?;
    byte(b, i, b' ')?;
    let (h, mi, s) = hms(b, i + 1)?;
    let (ns, end) = opt_fraction(b, i + 9, false);
    Some((Stamp::YearLess(civil(None, mo, d, h, mi, s, ns)?), end))
}

fn spark(b: &[u8], at: usize) -> Option<(Stamp, usize)> {
    let yy = num(b, at, 2)?;
    byte(b, at + 2, b'/')?;
    let mo = num(b, at + 3, 2)?;
    byte(b, at + 5, b'/')?;
    let d = num(b, at + 6, 2)?;
    byte(b, at + 8, b' ')?;
    let (h, mi, s) = hms(b, at + 9)?;
    let (ns, end) = opt_fraction(b, at + 17, true);
    let c = civil(Some(two_digit_year(yy)), mo, d, h, mi, s, ns)?;
    Some((Stamp::Naive(c), end))
}

fn hdfs(b: &[u8], at: usize) -> Option<(Stamp, usize)> {
    let yy = num(b, at, 2)?;
    let mo = num(b, at + 2, 2)?;
    let d = num(b, at + 4, 2)?;
    byte(b, at + 6, b' ')?;
    let h = num(b, at + 7, 2)?;
    let mi = num(b, at + 9, 2)?;
    let s = num(b, at + 11, 2)?;
    let c = civil(Some(two_digit_year(yy)), mo, d, h, mi, s, 0)?;
    Some((Stamp::Naive(c), at + 13))
}

fn healthapp(b: &[u8], at: usize) -> Option<(Stamp, usize)> {
    let y = num(b, at, 4)?;
    let mo = num(b, at + 4, 2)?;
    let d = num(b, at + 6, 2)?;
    byte(b, at + 8, b'-')?;
    let (h, i) = num12(b, at + 9)?;
    byte(b, i, b':')?;
    let (mi, i) = num12(b, i + 1)?;
    byte(b, i, b':')?;
    let (s, mut end) = num12(b, i + 1)?;
    let mut ns = 0;
    if b.get(end) == Some(&b':') {
        if let Some((n, e)) = fraction(b, end + 1) {
            (ns, end) = (n, e);
        }
    }
    Some((
        Stamp::Naive(civil(Some(y as i32), mo, d, h, mi, s, ns)?),
        end,
    ))
}

fn android(b: &[u8], at: usize) -> Option<(Stamp, usize)> {
    let mo = num(b, at, 2)?;
    byte(b, at + 2, b'-')?;
    let d = num(b, at + 3, 2)?;
    byte(b, at + 5, b' ')?;
    let (h, mi, s) = hms(b, at + 6)?;
    let (ns, end) = opt_fraction(b, at + 14, false);
    Some((Stamp::YearLess(civil(None, mo, d, h, mi, s, ns)?), end))
}

fn proxifier(b: &[u8], at: usize) -> Option<(Stamp, usize)> {
    byte(b, at, b'[')?;
    let mo = num(b, at + 1, 2)?;
    byte(b, at + 3, b'.')?;
    let d = num(b, at + 4, 2)?;
    byte(b, at + 6, b' ')?;
    let (h, mi, s) = hms(b, at + 7)?;
    byte(b, at + 15, b']')?;
    Some((Stamp::YearLess(civil(None, mo, d, h, mi, s, 0)?), at + 16))
}

/// Epoch seconds: 9 or 10 digits, a whole whitespace-delimited field.
fn epoch(b: &[u8], at: usize, prev: Option<u8>) -> Option<(Stamp, usize)> {
    if prev.is_some_and(|p| !p.is_ascii_whitespace()) {
        return None;
    }
    let mut end = at;
    let mut v: i64 = 0;
    while let Some(&c) = b.get(end) {
        if !c.is_ascii_digit() {
            break;
        }
        v = v * 10 + i64::from(c - b'0');
        end += 1;
        if end - at > 10 {
            return None;
        }
    }
    if end - at < 9 || b.get(end).is_some_and(|c| !c.is_ascii_whitespace()) {
        return None;
    }
    Some((Stamp::Epoch(v), end))
}
