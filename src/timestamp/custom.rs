//! `--time-format`: a strptime format, through jiff's `strtime`.

use jiff::fmt::strtime::BrokenDownTime;
use jiff::tz::TimeZone;
use jiff::Timestamp;

use super::{days_in_month, skip_blanks, Civil, Stamp, TimeError};

/// A strptime format (`%Y-%m-%d %H:%M:%S`, `%d/%b/%Y:%H:%M:%S %z`, `%s`, …, jiff's
/// `strtime` syntax) matched at the start of the line after leading blanks, or on a field's
/// bytes. A format without a year (`%b %d %H:%M:%S`) gives year-less stamps; one with an
/// offset (`%z`) or a zone name (`%Q`) gives stamps that keep it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomFormat {
    format: String,
}

impl CustomFormat {
    /// Checks `format`: it must be valid strptime and name at least a date (a year-less
    /// month and day will do) or epoch seconds (`%s`).
    pub fn new(format: &str) -> Result<CustomFormat, TimeError> {
        let bad = |reason: String| TimeError::BadFormat {
            format: format.into(),
            reason,
        };
        // A round trip through a known time proves the format names one.
        let sample = Timestamp::new(981_173_106, 789_000_000)
            .expect("a valid instant")
            .to_zoned_datetime(TimeZone::UTC);
        let text = jiff::fmt::strtime::format(format, &sample).map_err(|e| bad(e.to_string()))?;
        let custom = CustomFormat {
            format: format.into(),
        };
        match custom.find(text.as_bytes()) {
            Some(_) => Ok(custom),
            None => Err(bad(
                "it must name a date (like %Y-%m-%d or %b %d) or epoch seconds (%s)".into(),
            )),
        }
    }

    /// The format as given.
    pub fn as_str(&self) -> &str {
        &self.format
    }

    /// The timestamp at the start of `line`, after spaces and tabs.
    pub fn find(&self, line: &[u8]) -> Option<Stamp> {
        let (tm, _) =
            BrokenDownTime::parse_prefix(&self.format, &line[skip_blanks(line)..]).ok()?;
        if let Some(ts) = tm.timestamp() {
            return Some(Stamp::Epoch(ts.as_second()));
        }
        if tm.iana_time_zone().is_some() {
            let ts = tm.to_zoned_datetime().ok()?.timestamp();
            return Some(Stamp::Epoch(ts.as_second()));
        }
        let time = tm.to_time().ok()?;
        let (year, month, day) = match tm.year() {
            Some(_) => {
                let d = tm.to_date().ok()?;
                (d.year(), d.month() as u8, d.day() as u8)
            }
            None => {
                let (m, d) = (tm.month()? as u8, tm.day()? as u8);
                if !(1..=12).contains(&m) || d == 0 || u32::from(d) > days_in_month(2000, m.into())
                {
                    return None;
                }
                (0, m, d)
            }
        };
        let civil = Civil {
            year,
            month,
            day,
            hour: time.hour() as u8,
            minute: time.minute() as u8,
            second: time.second() as u8,
            nanosecond: time.subsec_nanosecond() as u32,
        };
        Some(match (tm.offset(), tm.year()) {
            (Some(off), Some(_)) => Stamp::Offset(civil, off.seconds()),
            (_, Some(_)) => Stamp::Naive(civil),
            (_, None) => Stamp::YearLess(civil),
        })
    }
}
