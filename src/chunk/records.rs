//! Multi-line records (`--record-start`, `--records`): a record is a line that starts one and
//! the lines after it up to the next start (a stack trace with the log line it belongs to).
//!
//! Whether a line starts a record depends on that line and, for the `python` preset, on the
//! line before it — never on anything further away. So a record start can be recognised from
//! any place in the input, and chunks, stream blocks and shards are cut at record starts
//! without a sequential scan: a chunk ends at the first record start at or after its target
//! size, whatever the chunk size and the number of threads. The first line of an input always
//! starts a record (lines before the first start form a record of their own).
//!
//! Lines are looked at without their line end (`\n`, and the `\r` of `\r\n`).

use std::ops::Range;
use std::sync::{Mutex, PoisonError};

use regex::bytes::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};

/// Where records start, as given on the command line (and kept in partial headers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RecordSpec {
    /// `--record-start REGEX`: a line the regex matches (anywhere in it) starts a record.
    Start(String),
    /// `--records PRESET`.
    Preset(Preset),
}

/// The `--records` presets: which lines continue the record before them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Preset {
    /// A line starting with a space or a tab continues the record.
    Indented,
    /// Java stack traces: indented and blank lines, `Caused by:`, `Suppressed:`, `... N more`,
    /// and the unindented exception header printed on the line after the log message.
    Java,
    /// Python tracebacks: `Traceback (most recent call last):`, indented lines, blank lines,
    /// the chaining sentences and the final `ValueError: msg` line after an indented one.
    Python,
}

/// A compiled record rule.
#[derive(Debug)]
pub struct RecordRule {
    spec: RecordSpec,
    start: Option<Regex>,
}

impl PartialEq for RecordRule {
    fn eq(&self, other: &Self) -> bool {
        self.spec == other.spec
    }
}

impl Eq for RecordRule {}

/// Rules compiled so far, kept for the life of the process so that [`super::Framing`] can
/// stay `Copy` (a run compiles one rule; tests compile a few).
static RULES: Mutex<Vec<&'static RecordRule>> = Mutex::new(Vec::new());

impl RecordSpec {
    /// The compiled rule (the same one for equal specs). Errors are one line for the user.
    pub fn rule(&self) -> Result<&'static RecordRule, String> {
        let mut rules = RULES.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(r) = rules.iter().find(|r| r.spec == *self) {
            return Ok(r);
        }
        let start = match self {
            RecordSpec::Start(re) => Some(
                RegexBuilder::new(re)
                    .unicode(true)
                    .size_limit(16 << 20)
                    .build()
                    .map_err(|e| {
                        let msg = e.to_string();
                        let last = msg.lines().last().unwrap_or("invalid regex").trim();
                        last.trim_start_matches("error: ").to_string()
                    })?,
            ),
            RecordSpec::Preset(_) => None,
        };
        let rule: &'static RecordRule = Box::leak(Box::new(RecordRule {
            spec: self.clone(),
            start,
        }));
        rules.push(rule);
        Ok(rule)
    }
}

/// `line` without the `\r` of a CRLF line end.
#[inline]
fn bare(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

#[inline]
fn indented(line: &[u8]) -> bool {
    matches!(line.first(), Some(b' ' | b'\t'))
}

/// `... 12 more` (as printed without its tab by some formatters).
fn java_more(line: &[u8]) -> bool {
    let Some(rest) = line.strip_prefix(b"... ") else {
        return false;
    };
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    digits > 0 && rest[digits..].starts_with(b" more")
}

/// A Java identifier byte (ASCII letters, digits, `_`, `$`; non-ASCII counts as a letter).
#[inline]
fn java_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

/// `java.lang.IllegalStateException: msg`, `com.acme.Oops$Inner`, ...: a qualified class name
/// (at least one dot) whose simple name ends in `Exception`, `Error` or `Throwable`, then `:`
/// or the end of the line.
fn java_exception_header(line: &[u8]) -> bool {
    let name_len = line
        .iter()
        .take_while(|&&b| java_ident(b) || b == b'.')
        .count();
    let name = &line[..name_len];
    let after = &line[name_len..];
    if !(after.is_empty() || after.starts_with(b":")) {
        return false;
    }
    if name.is_empty() || name[0].is_ascii_digit() || name[0] == b'.' || !name.contains(&b'.') {
        return false;
    }
    if name.ends_with(b".") || name.windows(2).any(|w| w == b"..") {
        return false;
    }
    let simple = &name[name.iter().rposition(|&b| b == b'.').map_or(0, |i| i + 1)..];
    let simple = simple
        .iter()
        .rposition(|&b| b == b'$')
        .map_or(simple, |i| &simple[i + 1..]);
    simple.ends_with(b"Exception") || simple.ends_with(b"Error") || simple.ends_with(b"Throwable")
}

/// A blank line continues too: java.util.logging's `SimpleFormatter` ends a stack trace with
/// one.
fn java_continues(line: &[u8]) -> bool {
    line.is_empty()
        || indented(line)
        || line.starts_with(b"Caused by:")
        || line.starts_with(b"Suppressed:")
        || line.starts_with(b"Exception in thread \"")
        || java_more(line)
        || java_exception_header(line)
}

/// `ValueError: msg`, `mod.CustomError`, `KeyboardInterrupt`: a dotted name, then `: ` or
/// `:` at the end, or nothing.
fn python_exception_line(line: &[u8]) -> bool {
    let n = line
        .iter()
        .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b >= 0x80)
        .count();
    if n == 0 || line[0].is_ascii_digit() || line[0] == b'.' {
        return false;
    }
    let after = &line[n..];
    after.is_empty() || after == b":" || after.starts_with(b": ")
}

fn python_continues(prev: &[u8], line: &[u8]) -> bool {
    line.is_empty()
        || indented(line)
        || line.starts_with(b"Traceback (most recent call last):")
        || line.starts_with(b"During handling of the above exception")
        || line.starts_with(b"The above exception was the direct cause")
        || (indented(prev) && python_exception_line(line))
}

impl RecordRule {
    /// The spec this rule was compiled from.
    pub fn spec(&self) -> &RecordSpec {
        &self.spec
    }

    /// Whether `line` starts a record when `prev` is the line before it (both without their
    /// `\n`; a `\r` before it is ignored).
    pub fn starts(&self, prev: &[u8], line: &[u8]) -> bool {
        let line = bare(line);
        match (&self.spec, &self.start) {
            (_, Some(re)) => re.is_match(line),
            (RecordSpec::Preset(Preset::Indented), _) => !indented(line),
            (RecordSpec::Preset(Preset::Java), _) => !java_continues(line),
            (RecordSpec::Preset(Preset::Python), _) => !python_continues(bare(prev), line),
            (RecordSpec::Start(_), None) => true,
        }
    }

    /// Whether the line starting at `s` (0 < s < data.len(), just after a `\n`) starts a
    /// record. The line ends at the next `\n` or at the end of `data`.
    fn starts_at(&self, data: &[u8], s: usize) -> bool {
        let end = memchr::memchr(b'\n', &data[s..]).map_or(data.len(), |i| s + i);
        let prev_start = memchr::memrchr(b'\n', &data[..s - 1]).map_or(0, |i| i + 1);
        self.starts(&data[prev_start..s - 1], &data[s..end])
    }

    /// The first record start at or after `pos` (0 stays 0); `data.len()` if none. Every line
    /// of `data` counts as complete (the end of `data` is the end of the input or of a cut).
    pub fn start_at_or_after(&self, data: &[u8], pos: usize) -> usize {
        if pos == 0 {
            return 0;
        }
        // The first line start at or after `pos`.
        let mut s = match memchr::memchr(b'\n', &data[pos - 1..]) {
            Some(i) => pos + i,
            None => return data.len(),
        };
        while s < data.len() {
            if self.starts_at(data, s) {
                return s;
            }
            s = match memchr::memchr(b'\n', &data[s..]) {
                Some(i) => s + i + 1,
                None => return data.len(),
            };
        }
        data.len()
    }

    /// The start of the record holding the line that starts at `line` in `data` (which starts
    /// at a record start), found by looking back with the rule's one line of look-back. `known`
    /// is a line start at or before `line` and the start of its record: the look-back stops
    /// there (a caller that placed an earlier line need not look past it). Lines whose first
    /// byte always continues a record (a stack frame's tab) are skipped many at a time.
    pub fn record_start(&self, data: &[u8], line: usize, known: (usize, usize)) -> usize {
        let (floor, floor_record) = known;
        debug_assert!(floor <= line && floor_record <= floor);
        let continues = self.continuing_bytes();
        let mut s = line;
        loop {
            if s == floor {
                return floor_record;
            }
            if s == 0 {
                return 0;
            }
            let end = memchr::memchr(b'\n', &data[s..]).map_or(data.len(), |i| s + i);
            let prev = memchr::memrchr(b'\n', &data[..s - 1]).map_or(0, |i| i + 1);
            if self.starts(&data[prev..s - 1], &data[s..end]) {
                return s;
            }
            s = match continues {
                None => prev,
                // No line between `floor` and `s` may start a record: `s` is in floor's.
                Some(bytes) => match last_maybe_start(data, floor, s, bytes) {
                    Some(t) => t,
                    None => return floor_record,
                },
            };
        }
    }

    /// Where the record holding the line that starts at `line` ends: the next record start,
    /// or `data.len()`. Lines whose first byte always continues a record are skipped many at
    /// a time.
    pub fn record_end(&self, data: &[u8], line: usize) -> usize {
        let Some(continues) = self.continuing_bytes() else {
            return self.start_at_or_after(data, line + 1);
        };
        let mut from = line;
        while let Some(t) = first_maybe_start(data, from, continues) {
            if self.starts_at(data, t) {
                return t;
            }
            from = t;
        }
        data.len()
    }

    /// Bytes that, first on a line, make it continue the record before it whatever follows
    /// (`\n` there: an empty line), when the rule has such bytes.
    fn continuing_bytes(&self) -> Option<[u8; 3]> {
        match (&self.spec, &self.start) {
            (_, Some(_)) | (RecordSpec::Start(_), None) => None,
            (RecordSpec::Preset(Preset::Indented), _) => Some([b' ', b'\t', b'\t']),
            (RecordSpec::Preset(Preset::Java | Preset::Python), _) => Some([b' ', b'\t', b'\n']),
        }
    }

    /// The last record start in `data` after `floor` (and after 0) whose line is complete
    /// (ends with `\n` inside `data`); 0 if there is none. Lines starting at or before
    /// `floor` are not looked at (a stream reader knows them already).
    pub fn last_complete_start(&self, data: &[u8], floor: usize) -> usize {
        // `end` is one past the `\n` of the line being looked at.
        let Some(last_nl) = memchr::memrchr(b'\n', data) else {
            return 0;
        };
        let mut end = last_nl + 1;
        loop {
            let s = memchr::memrchr(b'\n', &data[..end - 1]).map_or(0, |i| i + 1);
            if s == 0 || s <= floor {
                return 0;
            }
            if self.starts_at(data, s) {
                return s;
            }
            end = s;
        }
    }

    /// The records of `data`, which starts at a record start, as byte ranges (each with its
    /// final `\n`, the last possibly without).
    pub fn records<'a>(&'a self, data: &'a [u8]) -> Records<'a> {
        Records {
            rule: self,
            data,
            pos: 0,
        }
    }
}

/// The last line start `t` of `data` with `lo < t < hi` whose first byte is none of
/// `continues`: the last line in between that may start a record.
fn last_maybe_start(data: &[u8], lo: usize, hi: usize, continues: [u8; 3]) -> Option<usize> {
    // `i` runs over the candidates' `\n`, in `lo..end`, from the top.
    let mut end = hi.saturating_sub(1);
    #[cfg(target_arch = "x86_64")]
    {
        while end >= lo + 16 {
            let b = end - 16;
            let mask = maybe_start_mask(data, b, continues);
            if mask != 0 {
                return Some(b + (31 - mask.leading_zeros()) as usize + 1);
            }
            end = b;
        }
    }
    (lo..end)
        .rev()
        .find(|&i| data[i] == b'\n' && !continues.contains(&data[i + 1]))
        .map(|i| i + 1)
}

/// Bit `i` set when `data[b + i]` is `\n` and the byte after it is none of `continues`: a line
/// start, among the 16 at `b + 1..b + 17`, that may start a record.
#[cfg(target_arch = "x86_64")]
#[inline]
fn maybe_start_mask(data: &[u8], b: usize, continues: [u8; 3]) -> u32 {
    use std::arch::x86_64::{
        __m128i, _mm_andnot_si128, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8,
        _mm_or_si128, _mm_set1_epi8,
    };
    assert!(b + 17 <= data.len(), "two 16-byte loads at {b} and {b} + 1");
    // SAFETY: SSE2 is part of x86_64. Both unaligned loads read 16 bytes inside `data`
    // (`b + 1 + 16 <= data.len()`, asserted above).
    unsafe {
        let at = data.as_ptr().add(b);
        let here = _mm_loadu_si128(at.cast::<__m128i>());
        let next = _mm_loadu_si128(at.add(1).cast::<__m128i>());
        let newline = _mm_cmpeq_epi8(here, _mm_set1_epi8(b'\n' as i8));
        let cont = _mm_or_si128(
            _mm_or_si128(
                _mm_cmpeq_epi8(next, _mm_set1_epi8(continues[0] as i8)),
                _mm_cmpeq_epi8(next, _mm_set1_epi8(continues[1] as i8)),
            ),
            _mm_cmpeq_epi8(next, _mm_set1_epi8(continues[2] as i8)),
        );
        _mm_movemask_epi8(_mm_andnot_si128(cont, newline)) as u32
    }
}

/// The first line start `t` of `data` with `lo < t < data.len()` whose first byte is none of
/// `continues`: the next line that may start a record.
fn first_maybe_start(data: &[u8], lo: usize, continues: [u8; 3]) -> Option<usize> {
    // `i` runs over the candidates' `\n`, in `lo..data.len() - 1`, from the bottom.
    let end = data.len().saturating_sub(1);
    let mut b = lo;
    #[cfg(target_arch = "x86_64")]
    {
        while b + 16 <= end {
            let mask = maybe_start_mask(data, b, continues);
            if mask != 0 {
                return Some(b + mask.trailing_zeros() as usize + 1);
            }
            b += 16;
        }
    }
    (b..end)
        .find(|&i| data[i] == b'\n' && !continues.contains(&data[i + 1]))
        .map(|i| i + 1)
}

/// Iterator over the records of a chunk; see [`RecordRule::records`].
#[derive(Debug, Clone)]
pub struct Records<'a> {
    rule: &'a RecordRule,
    data: &'a [u8],
    pos: usize,
}

impl Iterator for Records<'_> {
    type Item = Range<usize>;

    fn next(&mut self) -> Option<Range<usize>> {
        let data = self.data;
        let start = self.pos;
        if start >= data.len() {
            return None;
        }
        let mut prev = start;
        let mut s = match memchr::memchr(b'\n', &data[start..]) {
            Some(i) => start + i + 1,
            None => data.len(),
        };
        while s < data.len() {
            let end = memchr::memchr(b'\n', &data[s..]).map_or(data.len(), |i| s + i);
            if self.rule.starts(&data[prev..s - 1], &data[s..end]) {
                break;
            }
            prev = s;
            s = (end + 1).min(data.len());
        }
        self.pos = s;
        Some(start..s)
    }
}

/// The first line of a record (without its line end).
pub fn first_line(record: &[u8]) -> &[u8] {
    let line = memchr::memchr(b'\n', record).map_or(record, |i| &record[..i]);
    bare(line)
}

/// A record without its final line end (`\n` or `\r\n`).
pub fn trim_end(record: &[u8]) -> &[u8] {
    let r = record.strip_suffix(b"\n").unwrap_or(record);
    r.strip_suffix(b"\r").unwrap_or(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(spec: RecordSpec, data: &[u8]) -> Vec<&[u8]> {
        let rule = spec.rule().unwrap();
        rule.records(data).map(|r| &data[r]).collect()
    }

    #[test]
    fn java_preset_keeps_traces_with_their_message() {
        let log = b"2024 INFO a\n2024 SEVERE boom\njava.lang.IllegalStateException: x\n\
\tat A.b(A.java:1)\nCaused by: java.io.IOException: y\n\t... 3 more\n2024 INFO c\n\
Exception in thread \"main\" java.lang.Error\n\tat M.main(M.java:2)\n";
        let got = split(RecordSpec::Preset(Preset::Java), log);
        assert_eq!(got.len(), 3, "{got:?}");
        assert!(got[1].starts_with(b"2024 SEVERE") && got[1].ends_with(b"3 more\n"));
        assert!(java_exception_header(b"com.acme.Outer$InnerError"));
        assert!(!java_exception_header(b"main.go:12: oops"));
        assert!(!java_exception_header(b"2024-01-01 java.lang.Error"));
    }

    #[test]
    fn python_preset_keeps_chained_tracebacks() {
        let log = b"INFO:root:ok\nERROR:root:failed\nTraceback (most recent call last):\n  \
File \"x.py\", line 1, in <module>\nValueError: bad\n\nDuring handling of the above \
exception, another exception occurred:\n\nTraceback (most recent call last):\n  File \"x\"\n\
KeyError: 'k'\nINFO:root:next\nValueError: not after an indented line\n";
        let got = split(RecordSpec::Preset(Preset::Python), log);
        assert_eq!(got.len(), 4, "{got:?}");
        assert!(got[1].ends_with(b"KeyError: 'k'\n"));
    }

    #[test]
    fn start_regex_and_crlf() {
        let log = b"x\r\n2024 a\r\n b\r\n2024 c\r\n";
        let got = split(RecordSpec::Start("^2024".into()), log);
        assert_eq!(got, vec![&b"x\r\n"[..], b"2024 a\r\n b\r\n", b"2024 c\r\n"]);
        let every = split(RecordSpec::Start("$".into()), log);
        assert_eq!(every.len(), 4);
        assert_eq!(first_line(got[1]), b"2024 a");
        assert_eq!(trim_end(got[1]), b"2024 a\r\n b");
    }

    proptest::proptest! {
        /// The skip over continuing lines finds what looking at every line start finds.
        #[test]
        fn maybe_starts_are_the_line_starts_not_continuing(
            data in proptest::collection::vec(
                proptest::sample::select(vec![b'\n', b'\t', b' ', b'a', b'\r']), 0..300),
            lo in 0usize..300,
            hi in 0usize..300,
        ) {
            let (lo, hi) = (lo.min(data.len()), hi.min(data.len()));
            for continues in [[b' ', b'\t', b'\n'], [b' ', b'\t', b'\t']] {
                let naive = (lo + 1..hi)
                    .rev()
                    .find(|&t| data[t - 1] == b'\n' && !continues.contains(&data[t]));
                proptest::prop_assert_eq!(last_maybe_start(&data, lo, hi, continues), naive);
                let naive = (lo + 1..data.len())
                    .find(|&t| data[t - 1] == b'\n' && !continues.contains(&data[t]));
                proptest::prop_assert_eq!(first_maybe_start(&data, lo, continues), naive);
            }
        }
    }

    #[test]
    fn boundaries_are_record_starts() {
        let rule = RecordSpec::Preset(Preset::Indented).rule().unwrap();
        let d = b"a\n b\n c\nd\n e\n";
        assert_eq!(rule.start_at_or_after(d, 1), 8);
        assert_eq!(rule.start_at_or_after(d, 9), d.len());
        assert_eq!(rule.last_complete_start(d, 0), 8);
        assert_eq!(rule.last_complete_start(b"a\n b\nc", 0), 0);
        assert_eq!(rule.last_complete_start(d, 8), 0);
    }
}
