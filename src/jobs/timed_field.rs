//! `--time-field FIELD` of `fields --format jsonl|csv`: a record's timestamp is the value of
//! one of its fields, found as `fields` finds fields ([`super::fields::record`]: a JSON key
//! path, a CSV column by header name or 1-based number) and read as a whole value:
//! `--time-format FMT` at its start, else the known formats at its start, in their order
//! (RFC 3339 first), else a number (`1700000000`, `1700000000.25`, as JSON numbers and CSV
//! cells hold epochs) as seconds since the epoch.

use super::fields::record::{self, jsonl::JsonParser, Format, Locator, Span};
use super::fields::FieldsParams;
use crate::error::{Error, Result};
use crate::timestamp::{CustomFormat, Format as TimeFormat, Stamp};

/// Where a record's timestamp is, when it is a field of a structured record.
#[derive(Debug)]
pub enum TimeField {
    /// A JSON lines field.
    Json(JsonParser),
    /// A CSV column.
    Csv {
        /// The field delimiter.
        delimiter: u8,
        /// Whether the first record of each input names the columns.
        headers: bool,
        /// The column.
        locator: Locator,
    },
}

impl TimeField {
    /// The time field `field` of a `fields` run with `params`: `None` for the line formats and
    /// presets, whose timestamps the known formats find in the line.
    pub fn of(params: &FieldsParams, field: &str) -> Result<Option<TimeField>> {
        let format = super::fields::params::record_format(params)?;
        let bad = |reason: String| Error::InvalidArgument {
            flag: "--time-field",
            value: field.to_string(),
            reason,
        };
        let locator = record::locate(&format, field).map_err(bad)?;
        Ok(match format {
            Format::Jsonl => Some(TimeField::Json(JsonParser::new(&[locator]))),
            Format::Csv { delimiter, headers } => Some(TimeField::Csv {
                delimiter,
                headers,
                locator,
            }),
            _ => None,
        })
    }
}

/// Reads a JSON line's time field into `scratch`: None when the line is not a JSON object,
/// the field is missing or `null` (then the record has no timestamp).
pub fn json_value<'s>(
    parser: &JsonParser,
    line: &[u8],
    scratch: &'s mut Vec<u8>,
) -> Option<&'s [u8]> {
    let mut spans: [Span; 1] = [None];
    scratch.clear();
    parser.parse(line, &mut spans, scratch).ok()?;
    let r = spans[0].clone()?;
    Some(&scratch[r])
}

/// The timestamp a field's value holds (see the module docs).
pub fn value_stamp(value: &[u8], custom: Option<&CustomFormat>) -> Option<Stamp> {
    if let Some(f) = custom {
        return f.find(value);
    }
    let v = value.trim_ascii();
    if let Some(s) = epoch_number(v) {
        return Some(s);
    }
    TimeFormat::ALL
        .iter()
        .find_map(|f| f.parse_at(v, 0).map(|(s, _)| s))
}

/// A decimal number as seconds since the epoch (a fraction is dropped toward the past).
fn epoch_number(v: &[u8]) -> Option<Stamp> {
    let (neg, digits) = match v.first()? {
        b'-' => (true, &v[1..]),
        _ => (false, v),
    };
    let (int, frac) = match digits.iter().position(|&b| b == b'.') {
        Some(i) => (&digits[..i], &digits[i + 1..]),
        None => (digits, &b""[..]),
    };
    let all_digits = |d: &[u8]| d.iter().all(u8::is_ascii_digit);
    if int.is_empty() || int.len() > 12 || !all_digits(int) || !all_digits(frac) {
        return None;
    }
    let n: i64 = std::str::from_utf8(int).ok()?.parse().ok()?;
    let fractional = frac.iter().any(|&b| b != b'0');
    Some(Stamp::Epoch(match (neg, fractional) {
        (false, _) => n,
        (true, false) => -n,
        (true, true) => -n - 1,
    }))
}

/// The column of a CSV time field in an input with `header` (its first record, when the
/// input has headers).
pub fn csv_column(locator: &Locator, header: Option<&csv::ByteRecord>) -> Result<usize, String> {
    record::csv::resolve(std::slice::from_ref(locator), header).map(|v| v[0].0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_read_whole() {
        let e = |s: &str| value_stamp(s.as_bytes(), None);
        assert_eq!(e("1700000000"), Some(Stamp::Epoch(1_700_000_000)));
        assert_eq!(e(" 1700000000.75 "), Some(Stamp::Epoch(1_700_000_000)));
        assert_eq!(e("-1.5"), Some(Stamp::Epoch(-2)));
        assert_eq!(e("12a"), None);
        assert_eq!(e(""), None);
        assert!(matches!(
            e("2024-01-01T10:00:00Z"),
            Some(Stamp::Offset(_, 0))
        ));
        assert!(matches!(e("2024-01-01 10:00:00"), Some(Stamp::Naive(_))));
        let f = CustomFormat::new("%d.%m.%Y %H:%M").unwrap();
        assert!(matches!(
            value_stamp(b"01.02.2024 10:00", Some(&f)),
            Some(Stamp::Naive(_))
        ));
    }
}
