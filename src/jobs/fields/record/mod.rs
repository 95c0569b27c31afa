//! Records and their fields for the `fields` job: the input formats (`--format`), how a field
//! named on the command line is found in a record, and the parsers that pull out only the
//! fields a run needs.
//!
//! Every parser works on one line (CSV on whole records, see `csv.rs`) and fills a span table:
//! for each needed field, the byte range of its value in a base buffer (the line itself, or a
//! scratch buffer for values that had to be unescaped), or `None` when the record has no such
//! field (a null). A line that does not have the format's shape is a [`Bad`] record.

pub mod combined;
pub mod csv;
pub mod jsonl;
pub mod syslog;
pub mod ws;

use std::ops::Range;

/// The record formats of `--format`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Format {
    /// Fields split on runs of spaces and tabs, leading and trailing ones ignored (awk).
    Ws,
    /// Fields split on every occurrence of one byte (cut).
    Delimited(u8),
    /// RFC 4180 CSV read by the csv crate.
    Csv {
        /// The field delimiter.
        delimiter: u8,
        /// The first record of each input names the fields.
        headers: bool,
    },
    /// One JSON object a line.
    Jsonl,
    /// Apache/nginx combined access log.
    Combined,
    /// Apache common log format (combined without referer and agent).
    Common,
    /// RFC 3164 style syslog lines.
    Syslog,
}

impl Format {
    /// The format's name on the command line.
    pub fn name(&self) -> &'static str {
        match self {
            Format::Ws => "ws",
            Format::Delimited(_) => "ws -d",
            Format::Csv { .. } => "csv",
            Format::Jsonl => "jsonl",
            Format::Combined => "combined",
            Format::Common => "common",
            Format::Syslog => "syslog",
        }
    }

    /// The field names of a preset, in order (empty for formats without fixed names).
    pub fn preset_names(&self) -> &'static [&'static str] {
        match self {
            Format::Combined => combined::COMBINED_FIELDS,
            Format::Common => &combined::COMBINED_FIELDS[..9],
            Format::Syslog => syslog::SYSLOG_FIELDS,
            _ => &[],
        }
    }
}

/// How a needed field is found in a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Locator {
    /// By 0-based position (split formats, presets, CSV without a header).
    Index(usize),
    /// A CSV column: by header name when a column has that name, else by the 1-based
    /// position `index` when the name is a number.
    CsvName {
        /// The name as given.
        name: String,
        /// The position a numeric name falls back to.
        index: Option<usize>,
    },
    /// A JSON key path (`req.status` is `["req", "status"]`).
    Path(Vec<String>),
}

/// A field name that is one double-quoted JSON string (`"a.b"`, `""`, `"say \"hi\""`): its
/// content. None when `field` is not exactly that.
fn quoted_name(field: &str) -> Option<String> {
    (quoted_len(field) == Some(field.len()))
        .then(|| serde_json::from_str(field).ok())
        .flatten()
}

/// The length of the double-quoted string that `s` starts with (quotes included; a backslash
/// escapes the next character), or None when it is not closed.
fn quoted_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// Splits `s` at each `sep` outside double-quoted names. Errors on an unclosed quote.
pub fn split_outside_quotes(s: &str, sep: char) -> Result<Vec<&str>, String> {
    let mut parts = Vec::new();
    let (mut start, mut i) = (0, 0);
    while i < s.len() {
        let c = s[i..].chars().next().unwrap_or(sep);
        if c == '"' {
            i += quoted_len(&s[i..]).ok_or("a double-quoted field name is not closed")?;
        } else if c == sep {
            parts.push(&s[start..i]);
            i += c.len_utf8();
            start = i;
        } else {
            i += c.len_utf8();
        }
    }
    parts.push(&s[start..]);
    Ok(parts)
}

/// The byte offset of the first of `chars` in `s` outside double-quoted names.
pub fn find_outside_quotes(s: &str, chars: &[char]) -> Option<usize> {
    let mut i = 0;
    while i < s.len() {
        let c = s[i..].chars().next()?;
        if c == '"' {
            i += quoted_len(&s[i..])?;
        } else if chars.contains(&c) {
            return Some(i);
        } else {
            i += c.len_utf8();
        }
    }
    None
}

/// The keys of a JSON field: `req.status`, with any key written as a JSON string when it holds
/// `.`, `,`, `"` or is empty, as in jq and SQL: `"a.b"`, `req."x,y"`, `""`.
fn json_path(field: &str) -> Result<Vec<String>, String> {
    const USAGE: &str = "a JSON field is a key or a dotted path of keys (req.status); write a key \
                         holding '.' or ',', or an empty key, in double quotes (\"a.b\", \"\")";
    let mut keys = Vec::new();
    for part in split_outside_quotes(field, '.')? {
        if part.starts_with('"') {
            keys.push(quoted_name(part).ok_or(USAGE)?);
        } else if part.is_empty() || part.contains('"') {
            return Err(USAGE.into());
        } else {
            keys.push(part.to_string());
        }
    }
    Ok(keys)
}

/// Why a field name given on the command line cannot be used with a format.
pub fn locate(format: &Format, field: &str) -> Result<Locator, String> {
    let number = field
        .parse::<usize>()
        .ok()
        .filter(|&n| n >= 1 && field.bytes().all(|b| b.is_ascii_digit()));
    match format {
        Format::Ws | Format::Delimited(_) => number.map(|n| Locator::Index(n - 1)).ok_or_else(|| {
            format!(
                "--format {} names fields by 1-based number; names need --format csv, jsonl or a preset",
                format.name()
            )
        }),
        Format::Csv { headers, .. } => {
            if *headers {
                let quoted = field.starts_with('"').then(|| quoted_name(field)).flatten();
                Ok(Locator::CsvName {
                    name: quoted.unwrap_or_else(|| field.to_string()),
                    index: number.map(|n| n - 1),
                })
            } else {
                number
                    .map(|n| Locator::Index(n - 1))
                    .ok_or_else(|| "with --no-headers, CSV fields are named by 1-based number".into())
            }
        }
        Format::Jsonl => json_path(field).map(Locator::Path),
        Format::Combined | Format::Common | Format::Syslog => {
            let names = format.preset_names();
            if let Some(i) = names.iter().position(|n| *n == field) {
                return Ok(Locator::Index(i));
            }
            match number {
                Some(n) if n <= names.len() => Ok(Locator::Index(n - 1)),
                _ => Err(format!(
                    "--format {} has the fields {} (or 1 to {})",
                    format.name(),
                    names.join(", "),
                    names.len()
                )),
            }
        }
    }
}

/// The byte range of a field's value in the base buffer, or `None` for a null.
pub type Span = Option<Range<usize>>;

/// Why a record was rejected: a category for the summary, and details for `--strict`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bad {
    /// What kind of problem (`not in combined format`); records are counted by it.
    pub category: String,
    /// The specific problem, for the `--strict` error.
    pub detail: String,
}

impl Bad {
    /// A record that does not have the shape of `format`.
    pub fn shape(format: &str, detail: impl Into<String>) -> Bad {
        Bad {
            category: format!("not in {format} format"),
            detail: detail.into(),
        }
    }
}

/// Needed fields of a positional format, sorted by position: `(0-based index, slot)`.
#[derive(Debug, Clone, Default)]
pub struct Positions {
    /// `(index, slot)` pairs, by index.
    pub wanted: Vec<(usize, usize)>,
}

impl Positions {
    /// The positions of the slots whose locators are [`Locator::Index`].
    pub fn new(locators: &[Locator]) -> Positions {
        let mut wanted: Vec<(usize, usize)> = locators
            .iter()
            .enumerate()
            .filter_map(|(slot, l)| match l {
                Locator::Index(i) => Some((*i, slot)),
                _ => None,
            })
            .collect();
        wanted.sort_unstable();
        Positions { wanted }
    }

    /// The highest needed index plus one (0 when nothing is needed).
    pub fn limit(&self) -> usize {
        self.wanted.last().map_or(0, |w| w.0 + 1)
    }

    /// Records field `index` spanning `range` into `spans`.
    #[inline]
    pub fn put(&self, index: usize, range: Range<usize>, spans: &mut [Span]) {
        for &(i, slot) in &self.wanted {
            if i == index {
                spans[slot] = Some(range.clone());
            } else if i > index {
                break;
            }
        }
    }
}

/// A line parser for the line-based formats, set up for the fields a run needs.
#[derive(Debug)]
pub enum LineParser {
    /// Whitespace or one-byte delimited.
    Split(ws::SplitParser),
    /// Apache combined or common.
    Access(combined::AccessParser),
    /// Syslog.
    Syslog(syslog::SyslogParser),
    /// JSON lines.
    Json(jsonl::JsonParser),
}

impl LineParser {
    /// A parser for `format` filling the slots of `locators`; `None` for CSV, which is not
    /// read line by line.
    pub fn new(format: &Format, locators: &[Locator]) -> Option<LineParser> {
        let pos = Positions::new(locators);
        Some(match format {
            Format::Ws => LineParser::Split(ws::SplitParser::new(None, pos)),
            Format::Delimited(d) => LineParser::Split(ws::SplitParser::new(Some(*d), pos)),
            Format::Combined => LineParser::Access(combined::AccessParser::new(true, pos)),
            Format::Common => LineParser::Access(combined::AccessParser::new(false, pos)),
            Format::Syslog => LineParser::Syslog(syslog::SyslogParser::new(pos)),
            Format::Jsonl => LineParser::Json(jsonl::JsonParser::new(locators)),
            Format::Csv { .. } => return None,
        })
    }

    /// Parses one line (without its line end) into `spans` (cleared first). Returns the base
    /// buffer the spans index: the line, or `scratch` for JSON.
    #[inline]
    pub fn parse<'s>(
        &self,
        line: &'s [u8],
        spans: &mut [Span],
        scratch: &'s mut Vec<u8>,
    ) -> Result<&'s [u8], Bad> {
        for s in spans.iter_mut() {
            *s = None;
        }
        match self {
            LineParser::Split(p) => {
                p.parse(line, spans);
                Ok(line)
            }
            LineParser::Access(p) => p.parse(line, spans).map(|()| line),
            LineParser::Syslog(p) => p.parse(line, spans).map(|()| line),
            LineParser::Json(p) => {
                scratch.clear();
                p.parse(line, spans, scratch)?;
                Ok(&scratch[..])
            }
        }
    }

    /// True for JSON lines, where a blank line is not a record.
    pub fn skips_blank_lines(&self) -> bool {
        matches!(self, LineParser::Json(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_located_by_number_or_name() {
        assert_eq!(locate(&Format::Ws, "3"), Ok(Locator::Index(2)));
        assert!(locate(&Format::Ws, "0").is_err());
        assert!(locate(&Format::Ws, "status").is_err());
        assert!(locate(&Format::Ws, "+3").is_err());
        assert_eq!(locate(&Format::Combined, "status"), Ok(Locator::Index(7)));
        assert_eq!(locate(&Format::Combined, "11"), Ok(Locator::Index(10)));
        assert!(locate(&Format::Combined, "12").is_err());
        assert!(locate(&Format::Common, "agent").is_err());
        assert_eq!(locate(&Format::Syslog, "program"), Ok(Locator::Index(2)));
        assert_eq!(
            locate(&Format::Jsonl, "req.status"),
            Ok(Locator::Path(vec!["req".into(), "status".into()]))
        );
        assert!(locate(&Format::Jsonl, "req..status").is_err());
        let csv = Format::Csv {
            delimiter: b',',
            headers: true,
        };
        assert_eq!(
            locate(&csv, "2"),
            Ok(Locator::CsvName {
                name: "2".into(),
                index: Some(1)
            })
        );
    }
}
