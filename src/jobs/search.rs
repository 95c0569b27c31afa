//! The search of the grep-style jobs, over lines or over multi-line records.
//!
//! Over lines it is [`LineRegex`] (matches never cross a line end). Over records
//! (`--records`, `--record-start`) the regex runs over each record alone, without its final
//! `\n`: `^` and `$` match at the starts and ends of the lines inside it (multi-line mode),
//! `\A` and `\z` at the record's edges, `.` does not cross a line end unless `(?s)`, and `\n`,
//! `\s` or `[^x]` do. `-x` then means the whole record, `-w` a whole word.

use regex::bytes::{CaptureLocations, Regex, RegexBuilder};

use super::pattern::{LineRegex, PatternOptions, DFA_SIZE_LIMIT, SIZE_LIMIT};
use crate::chunk::RecordRule;
use crate::error::{Error, Result};

/// A compiled search over lines or records.
#[derive(Debug, Clone)]
pub enum Search {
    /// Line by line (the default).
    Lines(LineRegex),
    /// Record by record.
    Records {
        /// The regex, searched over one record at a time.
        re: Regex,
        /// Where records start.
        rule: &'static RecordRule,
    },
}

impl Search {
    /// Compiles `patterns` (any of them matching selects a line or record) for lines, or for
    /// records of `rule`.
    pub fn new<S: AsRef<str>>(
        patterns: &[S],
        opts: PatternOptions,
        rule: Option<&'static RecordRule>,
    ) -> Result<Search> {
        // Syntax errors are reported as for lines (one line, with the column).
        let lines = LineRegex::new(patterns, opts)?;
        let Some(rule) = rule else {
            return Ok(Search::Lines(lines));
        };
        let alternatives: Vec<String> = patterns
            .iter()
            .map(|p| {
                let p = p.as_ref();
                if opts.fixed_strings {
                    regex::escape(p)
                } else {
                    p.to_string()
                }
            })
            .map(|p| format!("(?:{p})"))
            .collect();
        let mut source = alternatives.join("|");
        if opts.line {
            source = format!(r"\A(?:{source})\z");
        } else if opts.word {
            source = format!(r"\b{{start-half}}(?:{source})\b{{end-half}}");
        }
        let shown = patterns
            .iter()
            .map(AsRef::as_ref)
            .collect::<Vec<_>>()
            .join(" -e ");
        let re = RegexBuilder::new(&source)
            .multi_line(true)
            .case_insensitive(opts.ignore_case)
            .size_limit(SIZE_LIMIT)
            .dfa_size_limit(DFA_SIZE_LIMIT)
            .build()
            .map_err(|e| match e {
                regex::Error::CompiledTooBig(limit) => Error::RegexTooBig {
                    pattern: shown.clone(),
                    limit,
                },
                other => Error::Regex {
                    pattern: shown.clone(),
                    column: 1,
                    message: other
                        .to_string()
                        .lines()
                        .last()
                        .unwrap_or("invalid regex")
                        .trim()
                        .to_string(),
                },
            })?;
        Ok(Search::Records { re, rule })
    }

    /// The compiled regex (for its capture groups' names and count).
    pub fn regex(&self) -> &Regex {
        match self {
            Search::Lines(l) => l.regex(),
            Search::Records { re, .. } => re,
        }
    }

    /// The lines or records of `data`.
    pub fn count_units(&self, data: &[u8]) -> u64 {
        match self {
            Search::Lines(_) => super::pattern::count_lines(data),
            Search::Records { rule, .. } => rule.records(data).count() as u64,
        }
    }

    /// How many lines or records of `data` match.
    pub fn count_matching(&self, data: &[u8]) -> u64 {
        match self {
            Search::Lines(l) => l.count_matching_lines(data),
            Search::Records { re, rule } => rule
                .records(data)
                .filter(|r| re.is_match(without_newline(&data[r.clone()])))
                .count() as u64,
        }
    }

    /// Calls `visit(haystack, captures)` for the first non-empty match of each line or record
    /// of `data`, or for every non-empty match when `all` is set. Over records the haystack
    /// is the record without its final `\n`.
    pub fn for_each_match<F>(
        &self,
        data: &[u8],
        locs: &mut CaptureLocations,
        all: bool,
        mut visit: F,
    ) where
        F: FnMut(&[u8], &CaptureLocations),
    {
        match self {
            Search::Lines(l) => l.for_each_match(data, locs, all, visit),
            Search::Records { re, rule } => {
                for r in rule.records(data) {
                    let hay = without_newline(&data[r]);
                    let mut at = 0;
                    while at <= hay.len() {
                        let Some(m) = re.captures_read_at(locs, hay, at) else {
                            break;
                        };
                        if m.start() == m.end() {
                            at = m.end() + 1;
                            continue;
                        }
                        visit(hay, locs);
                        if !all {
                            break;
                        }
                        at = m.end();
                    }
                }
            }
        }
    }

    /// True when searching records.
    pub fn is_records(&self) -> bool {
        matches!(self, Search::Records { .. })
    }
}

/// A record without its final `\n` (a `\r` before it stays, as it does in a line).
pub fn without_newline(record: &[u8]) -> &[u8] {
    record.strip_suffix(b"\n").unwrap_or(record)
}

/// A record's text for a rejects file: `\` as `\\`, line ends as `\n` and `\r`, so the rejects
/// file stays one record a line.
pub fn escape_line_ends(text: &[u8], out: &mut Vec<u8>) {
    for &b in text {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            _ => out.push(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunk::{Preset, RecordSpec};

    #[test]
    fn records_match_across_their_lines() {
        let rule = RecordSpec::Preset(Preset::Indented).rule().unwrap();
        let data = b"a Exc\n  at x\nb\n  at y\nExc\n";
        let s = Search::new(&[r"Exc\n\s+at"], PatternOptions::default(), Some(rule)).unwrap();
        assert_eq!(s.count_matching(data), 1);
        assert_eq!(s.count_units(data), 3);
        let anchored = Search::new(&["^  at"], PatternOptions::default(), Some(rule)).unwrap();
        assert_eq!(anchored.count_matching(data), 2);
        let whole = PatternOptions {
            line: true,
            ..Default::default()
        };
        let x = Search::new(&["Exc"], whole, Some(rule)).unwrap();
        assert_eq!(x.count_matching(data), 1);
        let mut out = Vec::new();
        escape_line_ends(b"a\\b\r\nc", &mut out);
        assert_eq!(out, b"a\\\\b\\r\\nc");
    }
}
