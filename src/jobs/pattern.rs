//! User patterns compiled into one line-confined regex (`regex::bytes`, so any bytes can be
//! searched, valid UTF-8 or not), and the two searches the grep-style jobs need: counting the
//! lines that match, and visiting the matches of each line.
//!
//! # Line semantics
//!
//! A line is the bytes between two `\n` (a `\r` before the `\n` belongs to the line, as in GNU
//! grep); a last line without `\n` is a line; the empty position after a final `\n` is not. A
//! line matches when the regex matches somewhere inside it, with `^` and `$` at the line's
//! edges — what grep decides line by line.
//!
//! For speed the regex runs over a whole chunk at once (the literal prefilters then skip
//! non-matching text at memory speed) instead of line by line. That only gives the per-line
//! answer if no match can cross a line end, so before compiling, the pattern's syntax tree is
//! rewritten (after ripgrep's treatment of the line terminator):
//!
//! - `\n` is removed from every character class: `\s`, `[^"]` and `(?s:.)` stop at line ends;
//! - a literal `\n` can never match inside a line, so it becomes "never matches" (a pattern
//!   *argument* containing a newline is split into several patterns first, as grep does);
//! - `\A` and `\z` become `^` and `$`: every line is its own haystack, as in grep, so "start
//!   of text" is the start of the line. (Left alone they would mean "start of the chunk", and
//!   results would depend on `--chunk-size`.)
//!
//! `^`/`$` are multi-line, and `\b` at a line edge sees the `\n` (not a word character) just as
//! it would see the edge of the line. The one look-around whose meaning differs between
//! "inside a buffer" and "at the end of the haystack" is CRLF mode (`(?R)`): `$` does not match
//! between `\r` and `\n`, but does at the end of a line `abc\r` searched alone. Patterns that
//! use it are searched line by line, each line alone — slower, still exact.

use std::ops::Range;
use std::sync::OnceLock;

use regex::bytes::{Regex, RegexBuilder};
use regex_syntax::hir::{self, Class, ClassBytes, ClassUnicode, Hir, HirKind, Look};

use super::onepass::{Groups, MatchScratch, OnePass};
use crate::error::{Error, Result};

/// Largest compiled program (NFA) accepted. The regex crate refuses to build beyond it, so a
/// pattern like `\w{1000}{1000}` is an error message, not an out-of-memory.
pub const SIZE_LIMIT: usize = 16 << 20;

/// Largest lazy-DFA cache per searching thread. Bigger than the regex crate's default (2 MiB)
/// so that Unicode classes and alternations of many literals rarely thrash it.
pub const DFA_SIZE_LIMIT: usize = 32 << 20;

/// How user patterns are turned into a regex.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PatternOptions {
    /// Case-insensitive (Unicode simple case folding), like `grep -i`.
    pub ignore_case: bool,
    /// Patterns are literal strings, not regexes, like `grep -F`.
    pub fixed_strings: bool,
    /// A match must be a whole word, like `grep -w`: preceded by the line start or a non-word
    /// character and followed by the line end or a non-word character.
    pub word: bool,
    /// A match must be the whole line, like `grep -x`.
    pub line: bool,
}

/// A compiled pattern set whose matches never cross a line end.
#[derive(Debug, Clone)]
pub struct LineRegex {
    re: Regex,
    plan: Plan,
    /// The one-pass capture path of [`LineRegex::for_each_match`], when the pattern allows.
    fast: Option<Box<OnePass>>,
}

/// How a chunk is searched.
#[derive(Debug, Clone)]
enum Plan {
    /// The regex runs over the whole chunk; its own prefilter (if any) skips ahead.
    Buffer,
    /// A regex of literals that every match contains finds candidate lines; the full regex
    /// then runs on each candidate line alone. For patterns the regex engine cannot accelerate
    /// well, such as `[0-9]+\.[0-9]+.*Firefox` (ripgrep's "inner literal" trick).
    Candidates(Regex),
    /// Every line is searched alone (for CRLF-mode anchors).
    PerLine,
}

impl LineRegex {
    /// Compiles `patterns` (a line matches if any of them matches). Each argument is first
    /// split at newlines, as grep does. Errors are one line and name the pattern.
    pub fn new<S: AsRef<str>>(patterns: &[S], opts: PatternOptions) -> Result<LineRegex> {
        let pieces: Vec<&str> = patterns
            .iter()
            .flat_map(|p| p.as_ref().split('\n'))
            .collect();
        let mut parser = regex_syntax::ParserBuilder::new();
        parser
            .utf8(false)
            .multi_line(true)
            .case_insensitive(opts.ignore_case);
        let mut alternatives = Vec::with_capacity(pieces.len());
        for piece in &pieces {
            let source = if opts.fixed_strings {
                regex_syntax::escape(piece)
            } else {
                (*piece).to_string()
            };
            let hir = parser
                .build()
                .parse(&source)
                .map_err(|e| syntax_error(piece, &e))?;
            alternatives.push(hir);
        }
        let mut hir = Hir::alternation(alternatives);
        if opts.line {
            hir = Hir::concat(vec![Hir::look(Look::StartLF), hir, Hir::look(Look::EndLF)]);
        } else if opts.word {
            hir = Hir::concat(vec![
                Hir::look(Look::WordStartHalfUnicode),
                hir,
                Hir::look(Look::WordEndHalfUnicode),
            ]);
        }
        let explicit_groups = hir.properties().explicit_captures_len();
        let hir = confine_to_line(hir);
        let looks = hir.properties().look_set();
        let shown = || display_patterns(&pieces);
        let re = compile(&hir).map_err(|e| match e {
            regex::Error::CompiledTooBig(limit) => Error::RegexTooBig {
                pattern: shown(),
                limit,
            },
            other => Error::Regex {
                pattern: shown(),
                column: 1,
                message: first_line(&other.to_string()),
            },
        })?;
        if re.captures_len() != explicit_groups + 1 {
            // The rewrite keeps every group; if it ever did not, group numbers would be off.
            return Err(Error::Regex {
                pattern: shown(),
                column: 1,
                message: "internal error: capture groups changed while compiling".into(),
            });
        }
        let plan = if looks.contains(Look::StartCRLF) || looks.contains(Look::EndCRLF) {
            Plan::PerLine
        } else {
            match required_literals(&hir, looks.contains_word_unicode()) {
                None => Plan::Buffer,
                Some(literals) => {
                    let alternation =
                        Hir::alternation(literals.into_iter().map(Hir::literal).collect());
                    match compile(&alternation) {
                        Ok(fast) => Plan::Candidates(fast),
                        // Cannot happen for a few short literals; the plain search is exact too.
                        Err(_) => Plan::Buffer,
                    }
                }
            }
        };
        let fast = OnePass::new(&hir, re.captures_len()).map(Box::new);
        Ok(LineRegex { re, plan, fast })
    }

    /// The compiled regex (for its capture groups' names and count).
    pub fn regex(&self) -> &Regex {
        &self.re
    }

    /// Scratch space for [`LineRegex::for_each_match`].
    pub fn scratch(&self) -> MatchScratch {
        MatchScratch::new(&self.re, self.fast.as_deref())
    }

    /// The same, without the one-pass path: every search goes through the regex crate (for
    /// tests that compare the two).
    #[cfg(test)]
    pub(crate) fn without_onepass(mut self) -> LineRegex {
        self.fast = None;
        self
    }

    /// True when matches are found by the one-pass path.
    #[cfg(test)]
    pub(crate) fn has_onepass(&self) -> bool {
        self.fast.is_some()
    }

    /// Where the one-pass path takes the one group's span from, relative to the match's.
    #[cfg(test)]
    pub(crate) fn onepass_group_at(&self) -> Option<(usize, usize)> {
        self.fast.as_ref().and_then(|f| f.group_at())
    }

    /// How many lines of `data` (whole lines, the last possibly without `\n`) match.
    pub fn count_matching_lines(&self, data: &[u8]) -> u64 {
        let mut count = 0;
        match &self.plan {
            // Without finding where the matching lines start.
            Plan::Buffer => self.in_buffer(data, |_, _| count += 1),
            _ => self.matching_lines(data, |_| count += 1),
        }
        count
    }

    /// Calls `visit` with the start of each matching line of `data`, in order.
    pub fn matching_lines(&self, data: &[u8], mut visit: impl FnMut(usize)) {
        // Lines are subslices of `data`: their start is their distance from its start.
        let start = |line: &[u8]| line.as_ptr() as usize - data.as_ptr() as usize;
        match &self.plan {
            Plan::Buffer => self.in_buffer(data, |at, end| {
                visit(memchr::memrchr(b'\n', &data[at..end]).map_or(at, |i| at + i + 1))
            }),
            Plan::PerLine => lines(data)
                .filter(|l| self.re.is_match(l))
                .for_each(|l| visit(start(l))),
            Plan::Candidates(fast) => candidate_lines(fast, data, |line| {
                if self.re.is_match(line) {
                    visit(start(line))
                }
            }),
        }
    }

    /// Calls `visit(at, end)` for each matching line: the line holds `end`, and starts after
    /// the last `\n` of `data[at..end]` (at `at` when there is none).
    fn in_buffer(&self, data: &[u8], mut visit: impl FnMut(usize, usize)) {
        let len = data.len();
        let mut at = 0;
        while at < len {
            // The end of the earliest match: no match crosses a line end, so the line holding
            // `end` (which may be the line's `\n` position itself) is the first matching line
            // at or after `at`, and the lines in between do not match.
            let Some(end) = self.re.shortest_match_at(data, at) else {
                break;
            };
            if end == len && data[len - 1] == b'\n' {
                // An empty match after the final newline: that position is not a line.
                break;
            }
            visit(at, end);
            match memchr::memchr(b'\n', &data[end..]) {
                Some(i) => at = end + i + 1,
                None => break,
            }
        }
    }

    /// Calls `visit(haystack, captures)` for the first non-empty match on each line of `data`,
    /// or for every non-empty match when `all` is set. Empty matches are skipped, as `grep -o`
    /// does. The capture locations are offsets into the `haystack` passed along (the chunk, or
    /// a single line when the pattern is searched line by line).
    pub fn for_each_match<F>(
        &self,
        data: &[u8],
        scratch: &mut MatchScratch,
        all: bool,
        mut visit: F,
    ) where
        F: FnMut(&[u8], &Groups<'_>),
    {
        match &self.plan {
            Plan::Buffer => self.scan(data, scratch, all, &mut visit),
            Plan::PerLine => {
                for line in lines(data) {
                    self.scan(line, scratch, all, &mut visit);
                }
            }
            Plan::Candidates(fast) => {
                candidate_lines(fast, data, |line| self.scan(line, scratch, all, &mut visit));
            }
        }
    }

    fn scan<F>(&self, data: &[u8], scratch: &mut MatchScratch, all: bool, visit: &mut F)
    where
        F: FnMut(&[u8], &Groups<'_>),
    {
        if let Some(fast) = &self.fast {
            return fast.scan(&self.re, data, scratch, all, visit);
        }
        let locs = &mut scratch.locs;
        let len = data.len();
        let mut at = 0;
        while at < len {
            let Some(m) = self.re.captures_read_at(locs, data, at) else {
                break;
            };
            let Range { start, end } = m.range();
            if start == end {
                at = end + 1;
                continue;
            }
            visit(data, &Groups::Locs(locs));
            if all {
                at = end;
            } else {
                match memchr::memchr(b'\n', &data[end..]) {
                    Some(i) => at = end + i + 1,
                    None => break,
                }
            }
        }
    }
}

/// A value cloned once per worker thread. The regex crate keeps its scratch space in a pool
/// that is lock-free only for the first thread that uses a `Regex`; every other thread takes
/// a lock per search. Searches run once per matching line, so each worker gets its own clone
/// (sharing the compiled program) and owns that clone's pool.
#[derive(Debug)]
pub(crate) struct PerThread<T> {
    shared: T,
    copies: Box<[OnceLock<T>]>,
}

/// Workers beyond this many share the original (correct, just slower).
const MAX_THREAD_COPIES: usize = 256;

impl<T: Clone> PerThread<T> {
    pub(crate) fn new(value: T) -> Self {
        PerThread {
            shared: value,
            copies: (0..MAX_THREAD_COPIES).map(|_| OnceLock::new()).collect(),
        }
    }

    /// The calling rayon worker's copy (or the original outside the pool).
    #[inline]
    pub(crate) fn get(&self) -> &T {
        match rayon::current_thread_index().and_then(|i| self.copies.get(i)) {
            Some(slot) => slot.get_or_init(|| self.shared.clone()),
            None => &self.shared,
        }
    }

    /// The original.
    pub(crate) fn shared(&self) -> &T {
        &self.shared
    }
}

impl<T: Clone> Clone for PerThread<T> {
    fn clone(&self) -> Self {
        PerThread::new(self.shared.clone())
    }
}

/// Calls `visit` with each line of `data` (without its `\n`) that contains a match of `fast`,
/// a regex of non-empty literals without `\n`.
fn candidate_lines<F: FnMut(&[u8])>(fast: &Regex, data: &[u8], mut visit: F) {
    let len = data.len();
    let mut at = 0;
    while at < len {
        let Some(end) = fast.shortest_match_at(data, at) else {
            break;
        };
        // The literal is non-empty, so its last byte `end - 1` lies inside the line.
        let inside = end.saturating_sub(1).max(at);
        let start = memchr::memrchr(b'\n', &data[at..inside]).map_or(at, |i| at + i + 1);
        let stop = memchr::memchr(b'\n', &data[inside..]).map_or(len, |i| inside + i);
        visit(&data[start..stop]);
        at = stop + 1;
    }
}

/// Compiles a (rewritten) syntax tree with the crate's limits.
fn compile(hir: &Hir) -> Result<Regex, regex::Error> {
    RegexBuilder::new(&hir.to_string())
        .size_limit(SIZE_LIMIT)
        .dfa_size_limit(DFA_SIZE_LIMIT)
        // The printed tree nests a little deeper than the source; the source was already
        // checked against the parser's default limit.
        .nest_limit(1000)
        .build()
}

/// Literals that every match contains, when they promise a faster search than the regex
/// engine's own: `None` when the regex starts with good literals already (the engine then
/// skips ahead by itself), unless it has Unicode word boundaries, which make the engine's DFA
/// give up on non-ASCII text — then confining the regex to candidate lines limits the damage.
fn required_literals(hir: &Hir, unicode_words: bool) -> Option<Vec<Vec<u8>>> {
    use regex_syntax::hir::literal::{ExtractKind, Extractor, Seq};
    let prefixes = |h: &Hir| -> Seq {
        let mut seq = Extractor::new().kind(ExtractKind::Prefix).extract(h);
        seq.dedup();
        seq
    };
    // Every match of `h` starts with one of the literals of a finite prefix set, so a line
    // without any of them cannot match. Longer literals are rarer: rank by the shortest.
    let quality = |seq: &Seq| -> Option<(usize, std::cmp::Reverse<usize>)> {
        let n = seq.len()?;
        let min = seq.min_literal_len()?;
        (n > 0 && n <= 32 && min >= 3).then_some((min, std::cmp::Reverse(n)))
    };
    let whole = prefixes(hir);
    if quality(&whole).is_some() && !unicode_words {
        return None;
    }
    let mut top = hir;
    while let HirKind::Capture(c) = top.kind() {
        top = &c.sub;
    }
    let inner: Vec<Seq> = match top.kind() {
        HirKind::Concat(subs) => subs.iter().skip(1).map(prefixes).collect(),
        _ => Vec::new(),
    };
    let best = std::iter::once(whole)
        .chain(inner)
        .filter_map(|seq| quality(&seq).map(|q| (q, seq)))
        .max_by_key(|(q, _)| *q)?
        .1;
    let literals: Vec<Vec<u8>> = best
        .literals()?
        .iter()
        .map(|l| l.as_bytes().to_vec())
        .collect();
    // Defensive: the search for candidates relies on these.
    if literals.iter().any(|l| l.is_empty() || l.contains(&b'\n')) {
        return None;
    }
    Some(literals)
}

/// The lines of `data`, without their `\n`; nothing for empty data, and no empty line after a
/// final `\n`.
pub(crate) fn lines(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let body = data.strip_suffix(b"\n").unwrap_or(data);
    body.split(|&b| b == b'\n')
        .take(if data.is_empty() { 0 } else { usize::MAX })
}

/// How many lines `data` holds: its newlines, plus one for a last line without `\n`.
pub(crate) fn count_lines(data: &[u8]) -> u64 {
    // Count in blocks of at most 255 bytes so the per-byte counters can be u8: the compiler
    // turns this into wide compares and byte adds.
    let mut n = 0u64;
    for block in data.chunks(255) {
        let mut c = 0u8;
        for &b in block {
            c += u8::from(b == b'\n');
        }
        n += u64::from(c);
    }
    n + u64::from(data.last().is_some_and(|&b| b != b'\n'))
}

/// Rewrites a pattern so that it cannot match across a line end (see the module docs).
fn confine_to_line(hir: Hir) -> Hir {
    match hir.into_kind() {
        HirKind::Empty => Hir::empty(),
        HirKind::Literal(hir::Literal(bytes)) => {
            if bytes.contains(&b'\n') {
                Hir::fail()
            } else {
                Hir::literal(bytes)
            }
        }
        HirKind::Class(Class::Unicode(mut class)) => {
            class.difference(&ClassUnicode::new([hir::ClassUnicodeRange::new(
                '\n', '\n',
            )]));
            Hir::class(Class::Unicode(class))
        }
        HirKind::Class(Class::Bytes(mut class)) => {
            class.difference(&ClassBytes::new([hir::ClassBytesRange::new(b'\n', b'\n')]));
            Hir::class(Class::Bytes(class))
        }
        HirKind::Look(Look::Start) => Hir::look(Look::StartLF),
        HirKind::Look(Look::End) => Hir::look(Look::EndLF),
        HirKind::Look(look) => Hir::look(look),
        HirKind::Repetition(mut rep) => {
            rep.sub = Box::new(confine_to_line(*rep.sub));
            Hir::repetition(rep)
        }
        HirKind::Capture(mut cap) => {
            cap.sub = Box::new(confine_to_line(*cap.sub));
            Hir::capture(cap)
        }
        HirKind::Concat(subs) => Hir::concat(subs.into_iter().map(confine_to_line).collect()),
        HirKind::Alternation(subs) => {
            Hir::alternation(subs.into_iter().map(confine_to_line).collect())
        }
    }
}

/// A parse error as one line: the pattern, the column where it fails, and why.
fn syntax_error(pattern: &str, e: &regex_syntax::Error) -> Error {
    let (span, message) = match e {
        regex_syntax::Error::Parse(e) => (*e.span(), e.kind().to_string()),
        regex_syntax::Error::Translate(e) => (*e.span(), e.kind().to_string()),
        other => (
            regex_syntax::ast::Span::splat(regex_syntax::ast::Position::new(0, 1, 1)),
            first_line(&other.to_string()),
        ),
    };
    Error::Regex {
        pattern: pattern.to_string(),
        column: span.start.column,
        message,
    }
}

/// The patterns as the user wrote them, for messages: one, or several joined by ` -e `.
fn display_patterns(pieces: &[&str]) -> String {
    const MAX: usize = 200;
    let all = pieces.join(" -e ");
    if all.chars().count() <= MAX {
        return all;
    }
    let mut cut: String = all.chars().take(MAX).collect();
    cut.push('…');
    cut
}

/// The regex crate's messages span several lines; keep the one that says what is wrong.
fn first_line(message: &str) -> String {
    message
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or(message)
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn re(p: &str) -> LineRegex {
        LineRegex::new(&[p], PatternOptions::default()).unwrap()
    }

    /// The oracle: each line searched alone with the user's pattern, compiled by the regex
    /// crate directly (multi-line so `^`/`$` mean the line's edges; `\A`/`\z` are the line's
    /// edges anyway when the line is the whole haystack).
    fn per_line_oracle(p: &str, data: &[u8]) -> u64 {
        let r = RegexBuilder::new(p).multi_line(true).build().unwrap();
        lines(data).filter(|l| r.is_match(l)).count() as u64
    }

    #[test]
    fn lines_and_line_counts() {
        let cases: [(&[u8], &[&[u8]]); 5] = [
            (b"", &[]),
            (b"\n", &[b""]),
            (b"a\nb", &[b"a", b"b"]),
            (b"a\n\nb\n", &[b"a", b"", b"b"]),
            (b"x\r\n", &[b"x\r"]),
        ];
        for (data, want) in cases {
            assert_eq!(lines(data).collect::<Vec<_>>(), want.to_vec());
            assert_eq!(count_lines(data), want.len() as u64);
        }
        let long: Vec<u8> = b"ab\n".repeat(1000);
        assert_eq!(count_lines(&long), 1000);
    }

    #[test]
    fn matches_do_not_cross_lines() {
        let data = b"a\nb\n\"open\nclose\" 200\n";
        assert_eq!(re(r"a\sb").count_matching_lines(data), 0);
        assert_eq!(re(r"a\nb").count_matching_lines(data), 0);
        assert_eq!(re(r#""[^"]*" 200"#).count_matching_lines(data), 0);
        assert_eq!(re(r"(?s)a.b").count_matching_lines(data), 0);
        assert_eq!(re(r#"" 200"#).count_matching_lines(data), 1);
    }

    #[test]
    fn empty_matches_and_the_position_after_the_last_newline() {
        assert_eq!(re("").count_matching_lines(b"a\n\nb\n"), 3);
        assert_eq!(re("^$").count_matching_lines(b"a\n\nb\n"), 1);
        assert_eq!(re("^$").count_matching_lines(b"a\n"), 0);
        assert_eq!(re("$").count_matching_lines(b"a\nb"), 2);
        assert_eq!(re("x*").count_matching_lines(b""), 0);
    }

    #[test]
    fn text_anchors_mean_line_edges() {
        let data = b"ab\nab\nba\n";
        assert_eq!(re(r"\Aa").count_matching_lines(data), 2);
        assert_eq!(re(r"a\z").count_matching_lines(data), 1);
        assert_eq!(re(r"(?-m)^b").count_matching_lines(data), 1);
    }

    #[test]
    fn crlf_mode_is_searched_line_by_line() {
        let data = b"foo\r\nbar\r\nfoo";
        let r = re(r"(?Rm)o\r$");
        assert!(matches!(r.plan, Plan::PerLine));
        assert_eq!(
            r.count_matching_lines(data),
            per_line_oracle(r"(?Rm)o\r$", data)
        );
        assert_eq!(re(r"(?R)o$").count_matching_lines(data), 2);
    }

    #[test]
    fn plans() {
        let plan = |p: &str| re(p).plan;
        assert!(matches!(plan("GET /index"), Plan::Buffer));
        assert!(matches!(
            plan(r"[0-9]+\.[0-9]+.*Firefox"),
            Plan::Candidates(_)
        ));
        assert!(matches!(plan(r"\bGET\b"), Plan::Candidates(_)));
        assert!(matches!(plan(r"\s+x"), Plan::Buffer));
        assert!(matches!(plan(r"(?R)x$"), Plan::PerLine));
    }

    #[test]
    fn newline_in_argument_splits_patterns_like_grep() {
        let r = LineRegex::new(&["foo\nbar"], PatternOptions::default()).unwrap();
        assert_eq!(r.count_matching_lines(b"foo\nbar\nbaz\n"), 2);
        let r = LineRegex::new(&["foo\n"], PatternOptions::default()).unwrap();
        assert_eq!(r.count_matching_lines(b"foo\nbar\nbaz\n"), 3);
    }

    #[test]
    fn options() {
        let data = b"Foo bar\nfoobar\na.b\naxb\n";
        let with = |p: &str, o: PatternOptions| {
            LineRegex::new(&[p], o).unwrap().count_matching_lines(data)
        };
        let o = PatternOptions::default();
        assert_eq!(with("foo", o), 1);
        assert_eq!(
            with(
                "foo",
                PatternOptions {
                    ignore_case: true,
                    ..o
                }
            ),
            2
        );
        assert_eq!(with("a.b", o), 2);
        assert_eq!(
            with(
                "a.b",
                PatternOptions {
                    fixed_strings: true,
                    ..o
                }
            ),
            1
        );
        assert_eq!(with("bar", PatternOptions { word: true, ..o }), 1);
        assert_eq!(with("foo|bar", PatternOptions { word: true, ..o }), 1);
        assert_eq!(with("a.b", PatternOptions { line: true, ..o }), 2);
        assert_eq!(with("a", PatternOptions { line: true, ..o }), 0);
    }

    #[test]
    fn word_tries_other_matches_on_the_line() {
        let r = LineRegex::new(
            &["ab"],
            PatternOptions {
                word: true,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(r.count_matching_lines(b"xab ab\nabx\n"), 1);
        // The preferred match "foo" is followed by a word character; "foobar" is whole.
        let r = LineRegex::new(
            &["foo|foobar"],
            PatternOptions {
                word: true,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(r.count_matching_lines(b"foobar\nfoobarx\n"), 1);
    }

    #[test]
    fn errors_are_one_line_and_show_the_pattern() {
        let e = LineRegex::new(&["ab(c"], PatternOptions::default())
            .unwrap_err()
            .to_string();
        assert_eq!(e, "invalid regex 'ab(c' at column 3: unclosed group");
        let e = LineRegex::new(&["x", "[z-a]"], PatternOptions::default())
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("invalid regex '[z-a]' at column 2"), "{e}");
        let e = LineRegex::new(&[r"\w{1000}{1000}"], PatternOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("too big") && e.contains(r"\w{1000}{1000}"),
            "{e}"
        );
        assert!(!e.contains('\n'), "{e}");
    }

    #[test]
    fn visits_first_or_all_non_empty_matches() {
        let r = re(r"\d+");
        let mut locs = r.scratch();
        let data = b"a1 22\nno\n333 4";
        let mut seen = Vec::new();
        r.for_each_match(data, &mut locs, false, |h, l| {
            let (s, e) = l.get(0).unwrap();
            seen.push(String::from_utf8_lossy(&h[s..e]).into_owned());
        });
        assert_eq!(seen, ["1", "333"]);
        seen.clear();
        r.for_each_match(data, &mut locs, true, |h, l| {
            let (s, e) = l.get(0).unwrap();
            seen.push(String::from_utf8_lossy(&h[s..e]).into_owned());
        });
        assert_eq!(seen, ["1", "22", "333", "4"]);
        let r = re(r"x*");
        let mut locs = r.scratch();
        let mut n = 0;
        r.for_each_match(b"axxb\nx\n", &mut locs, true, |_, _| n += 1);
        assert_eq!(n, 2);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]
        /// Whole-buffer counting equals the per-line oracle, for patterns that like to cross
        /// lines, anchor, or match empty.
        #[test]
        fn whole_buffer_count_equals_per_line(
            data in proptest::collection::vec(
                proptest::sample::select(vec![b'a', b'b', b' ', b'\n', b'\r', b'"', b'1']), 0..60),
            pat in proptest::sample::select(vec![
                "a", "ab", r"a\s*b", r#""[^"]*""#, "^a", "b$", "^$", "", "a*", r"\ba\b",
                r"(?s)a.*b", r"1\r?$", "^", r"\Ab", r"a\z", r"[^a]+", r"a|b\s", r"(?R)b$",
                r"(?Rm)^\r", r"\B", r"\s$", r#"[^1]*"ab"#, r"1\s*\bab1$", r"\bab1\b",
            ]),
        ) {
            let got = re(pat).count_matching_lines(&data);
            prop_assert_eq!(got, per_line_oracle(pat, &data), "pattern {:?} data {:?}", pat,
                String::from_utf8_lossy(&data));
        }
    }
}
