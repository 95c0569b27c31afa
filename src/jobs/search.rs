//! The search of the grep-style jobs, over lines or over multi-line records.
//!
//! Over lines it is [`LineRegex`] (matches never cross a line end). Over records
//! (`--records`, `--record-start`) the regex runs over each record alone, without its final
//! `\n`: `^` and `$` match at the starts and ends of the lines inside it (multi-line mode),
//! `\A` and `\z` at the record's edges, `.` does not cross a line end unless `(?s)`, and `\n`,
//! `\s` or `[^x]` do. `-x` then means the whole record, `-w` a whole word.

use regex::bytes::{Regex, RegexBuilder};
use regex_syntax::hir::Look;

use super::onepass::{Groups, MatchScratch};
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
        /// The regex may first run over the whole chunk to find the records worth searching
        /// (see [`Search::candidates`]): false for patterns with `\A`, `\z` or CRLF anchors.
        prefilter: bool,
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
        let prefilter = regex_syntax::ParserBuilder::new()
            .multi_line(true)
            .case_insensitive(opts.ignore_case)
            .utf8(false)
            .build()
            .parse(&source)
            .is_ok_and(|hir| {
                let looks = hir.properties().look_set();
                !(looks.contains(Look::Start)
                    || looks.contains(Look::End)
                    || looks.contains(Look::StartCRLF)
                    || looks.contains(Look::EndCRLF))
            });
        Ok(Search::Records {
            re,
            rule,
            prefilter,
        })
    }

    /// Scratch space for [`Search::for_each_match`].
    pub fn scratch(&self) -> MatchScratch {
        match self {
            Search::Lines(l) => l.scratch(),
            Search::Records { re, .. } => MatchScratch::new(re, None),
        }
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
            Search::Records { .. } => {
                let mut n = 0;
                self.matching_units(data, |_| n += 1);
                n
            }
        }
    }

    /// Calls `visit` with the start of each matching line or record of `data`, in order.
    pub fn matching_units(&self, data: &[u8], mut visit: impl FnMut(usize)) {
        match self {
            Search::Lines(l) => l.matching_lines(data, visit),
            Search::Records {
                re,
                rule,
                prefilter: true,
            } => matching_records(re, rule, data, visit),
            Search::Records { re, .. } => self.candidates(data, |r| {
                if re.is_match(without_newline(&data[r.clone()])) {
                    visit(r.start)
                }
            }),
        }
    }

    /// Calls `visit(haystack, captures)` for the first non-empty match of each line or record
    /// of `data`, or for every non-empty match when `all` is set. Over records the haystack
    /// is the record without its final `\n`.
    pub fn for_each_match<F>(
        &self,
        data: &[u8],
        scratch: &mut MatchScratch,
        all: bool,
        mut visit: F,
    ) where
        F: FnMut(&[u8], &Groups<'_>),
    {
        match self {
            Search::Lines(l) => l.for_each_match(data, scratch, all, visit),
            Search::Records { re, .. } => {
                let locs = &mut scratch.locs;
                self.candidates(data, |r| {
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
                        visit(hay, &Groups::Locs(locs));
                        if !all {
                            break;
                        }
                        at = m.end();
                    }
                });
            }
        }
    }

    /// Calls `visit` with the byte range of each record of `data` that may match. With the
    /// prefilter, the regex first runs over the chunk: a record's own match is a match of the
    /// chunk at the same place (the bytes around a record, `\n` or the chunk's edges, look
    /// the same to `^`, `$` and `\b`), so records that end before the chunk's leftmost match
    /// from their start cannot match and are skipped at the regex's speed.
    fn candidates(&self, data: &[u8], mut visit: impl FnMut(std::ops::Range<usize>)) {
        let Search::Records {
            re,
            rule,
            prefilter,
        } = self
        else {
            return;
        };
        // The leftmost match of the chunk at or after `from`, and where that search began.
        let mut next: Option<(usize, usize)> = None;
        for r in rule.records(data) {
            if *prefilter {
                let at = match next {
                    Some((from, at)) if from <= r.start && (at >= r.start) => at,
                    _ => {
                        let at = re.find_at(data, r.start).map_or(usize::MAX, |m| m.start());
                        next = Some((r.start, at));
                        at
                    }
                };
                if at == usize::MAX {
                    return;
                }
                if at >= r.end {
                    continue;
                }
            }
            visit(r);
        }
    }

    /// True when searching records.
    pub fn is_records(&self) -> bool {
        matches!(self, Search::Records { .. })
    }
}

/// Calls `visit` with the start of each record of `data` that `re` matches, in order, cutting
/// records only around the matches of the chunk: the regex runs over the whole chunk (as
/// line grep does), each match is placed in its record by looking back to the record's start
/// and forward to its end, and the search goes on after that record. A record's own match is
/// a match of the chunk at the same place (see [`Search::candidates`]; `re` has no `\A`, `\z`
/// or CRLF anchors), so the leftmost match of the chunk after the records already placed lies
/// in the first record that can match; a match without a line end inside it lies within its
/// record's text and so is the record's own. A match that spans lines may run past its
/// record's end: that record is then searched alone.
fn matching_records(re: &Regex, rule: &RecordRule, data: &[u8], mut visit: impl FnMut(usize)) {
    let len = data.len();
    // Searches start here, at a record start after every record placed.
    let mut pos = 0;
    while let Some(m) = re.find_at(data, pos) {
        let (start, end) = (m.start(), m.end());
        if start == len && data.last().is_none_or(|&b| b == b'\n') {
            // An empty match after the final line end: that position is in no record.
            break;
        }
        let line = memchr::memrchr(b'\n', &data[..start]).map_or(0, |i| i + 1);
        let record = rule.record_start(data, line, (pos, pos));
        let next = rule.record_end(data, line);
        if memchr::memchr(b'\n', &data[start..end]).is_none()
            || re.is_match(without_newline(&data[record..next]))
        {
            visit(record);
        }
        if next >= len {
            break;
        }
        pos = next;
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

    /// The chunk-wide prefilter never changes an answer: every pattern counts as a plain
    /// record-by-record search does.
    #[test]
    fn prefilter_agrees_with_searching_every_record() {
        let rule = RecordSpec::Preset(Preset::Java).rule().unwrap();
        let data =
            b"2024 a Exc\n\tat x\r\n2024 b\nfoo.BarException: y\n\tat z\n\n2024 at\nat\n2024 x";
        for p in [
            r"",
            r"\bat\b",
            r"^\s+at",
            r"x$",
            r"\Aat",
            r"Exc\n\s+at",
            r"(?R)x$",
            r"(?s)a.*z",
            r"[^\n]*\n\s+at (\w)",
            r"^2024",
            r"y\n\tat z\z",
            r"at$",
            r"\n\n",
        ] {
            let s = Search::new(&[p], PatternOptions::default(), Some(rule)).unwrap();
            let Search::Records { re, .. } = &s else {
                panic!()
            };
            let naive = rule
                .records(data)
                .filter(|r| re.is_match(without_newline(&data[r.clone()])))
                .count() as u64;
            assert_eq!(s.count_matching(data), naive, "{p:?}");
            let mut scratch = s.scratch();
            let mut seen = 0;
            s.for_each_match(data, &mut scratch, false, |_, _| seen += 1);
            assert!(seen <= naive, "{p:?}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(400))]
        /// The match-first search visits exactly the record starts that cutting every record
        /// and searching it alone finds, for every preset and a start regex, on text made of
        /// log lines, continuation lines, blank lines and CRLF ends.
        #[test]
        fn match_first_visits_the_records_a_record_by_record_search_does(
            pieces in proptest::collection::vec(proptest::sample::select(vec![
                "2024 INFO a\n", "2024 x Exc\n", "java.io.IOException: y\n", "\tat Exc.m\n",
                "  at x\n", "Caused by: E\n", "\t... 3 more\n", "\n", "\r\n", "Exc",
                "Traceback (most recent call last):\n", "ValueError: Exc\n", "at$\n", "x",
            ]), 0..30),
            rule in proptest::sample::select(vec![
                RecordSpec::Preset(Preset::Java), RecordSpec::Preset(Preset::Python),
                RecordSpec::Preset(Preset::Indented), RecordSpec::Start("^2024".into()),
                RecordSpec::Start("$".into()),
            ]),
            pattern in proptest::sample::select(vec![
                "Exc", "", "x$", "^\\s+at", "Exc\\n\\s+at", "(?s)a.*E", "\\n\\n", "\\bat\\b",
                "[^\\n]*\\n\\tat", "^$", "y\\r?\\n", "\\r$", "c\\n+C",
            ]),
        ) {
            // tests/records_search.rs forces the record-by-record search with `(?:\z)?`.
            let forced = Search::new(&[format!(r"(?:{pattern})(?:\z)?")], PatternOptions::default(), Some(rule.rule().unwrap())).unwrap();
            let forced_prefilter = matches!(forced, Search::Records { prefilter: true, .. });
            proptest::prop_assert!(!forced_prefilter);
            let data = pieces.concat().into_bytes();
            let rule = rule.rule().unwrap();
            let s = Search::new(&[pattern], PatternOptions::default(), Some(rule)).unwrap();
            let Search::Records { re, prefilter, .. } = &s else {
                panic!()
            };
            proptest::prop_assert!(*prefilter);
            let naive: Vec<usize> = rule
                .records(&data)
                .filter(|r| re.is_match(without_newline(&data[r.clone()])))
                .map(|r| r.start)
                .collect();
            let mut got = Vec::new();
            s.matching_units(&data, |at| got.push(at));
            proptest::prop_assert_eq!(&got, &naive);
            proptest::prop_assert_eq!(s.count_matching(&data), naive.len() as u64);
        }
    }
}
