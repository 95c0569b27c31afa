//! A faster capture path for `match`: one anchored pass of a one-pass DFA per candidate start,
//! instead of the regex crate's three passes per match (a forward lazy DFA to find where the
//! match ends, a reverse one to find where it starts, then a capture engine over the match).
//!
//! It applies when the pattern is one-pass (at each byte, at most one way to go on: `" (\d{3})
//! `, `^(\S+)`, `user=(\w+)`) and where a match can start is known without a regex search:
//!
//! - every match starts at a line start (`^...`): each line start is tried, once;
//! - every match starts with one of a few literals (`" (\d{3}) ` starts with `" `): a literal
//!   prefilter finds the candidates.
//!
//! The candidates are tried in order; the first one where an anchored match exists is the
//! leftmost match, and the one-pass DFA's anchored match there is the one the regex crate
//! reports (leftmost-first, same priorities), captures included. A candidate without a match
//! hands the rest of its line to the general search, so a pattern that fails often after its
//! literal (`a[^b]*b` on `aaaa…`) never rescans a line more than once.

use regex::bytes::{CaptureLocations, Regex};
use regex_automata::dfa::onepass;
use regex_automata::nfa::thompson;
use regex_automata::util::prefilter::Prefilter;
use regex_automata::util::primitives::NonMaxUsize;
use regex_automata::{Anchored, Input, MatchKind, Span};
use regex_syntax::hir::literal::{ExtractKind, Extractor};
use regex_syntax::hir::{Hir, Look};

/// The groups of one match, as offsets into the haystack passed along with them.
#[derive(Debug)]
pub enum Groups<'a> {
    /// From the regex crate's general search.
    Locs(&'a CaptureLocations),
    /// From the one-pass DFA: start and end slots, two per group.
    Slots(&'a [Option<NonMaxUsize>]),
}

impl Groups<'_> {
    /// The span of group `i` (0 is the whole match), or `None` if it did not take part.
    #[inline]
    pub fn get(&self, i: usize) -> Option<(usize, usize)> {
        match self {
            Groups::Locs(l) => l.get(i),
            Groups::Slots(s) => match (s.get(2 * i), s.get(2 * i + 1)) {
                (Some(Some(a)), Some(Some(b))) => Some((a.get(), b.get())),
                _ => None,
            },
        }
    }
}

/// Per-search scratch space: the general search's capture locations and the one-pass DFA's
/// cache and slots. Made once per chunk.
#[derive(Debug)]
pub struct MatchScratch {
    pub(crate) locs: CaptureLocations,
    onepass: Option<(onepass::Cache, Vec<Option<NonMaxUsize>>)>,
}

impl MatchScratch {
    pub(crate) fn new(re: &Regex, fast: Option<&OnePass>) -> MatchScratch {
        MatchScratch {
            locs: re.capture_locations(),
            onepass: fast.map(|f| {
                (
                    f.dfa.create_cache(),
                    vec![None; f.dfa.get_nfa().group_info().slot_len()],
                )
            }),
        }
    }
}

/// A one-pass DFA of the (line-confined) pattern and where its matches can start.
#[derive(Debug, Clone)]
pub(crate) struct OnePass {
    dfa: onepass::DFA,
    starts: Starts,
    /// The one group lies at fixed distances (bytes) from the match's start and end (`^(\S+)`:
    /// 0 and 0; `" (\d{3}) `: 2 and 1): the search asks for the match's span alone and the
    /// group's follows. Asked for group slots, the DFA clears them before every search and
    /// copies them out at every byte that could end the match (each byte of `\S+`), a call into
    /// `memset` or `memmove` each.
    group_at: Option<(usize, usize)>,
}

/// When `hir` is one capture group (holding none) beside parts of fixed length only, the
/// group's distances in bytes from the match's start and from its end.
fn group_offsets(hir: &Hir) -> Option<(usize, usize)> {
    use regex_syntax::hir::HirKind;
    match hir.kind() {
        HirKind::Capture(c) if c.index == 1 && c.sub.properties().explicit_captures_len() == 0 => {
            Some((0, 0))
        }
        HirKind::Concat(parts) => {
            let k = parts
                .iter()
                .position(|p| p.properties().explicit_captures_len() > 0)?;
            let fixed = |parts: &[Hir]| {
                parts.iter().try_fold(0usize, |n, p| {
                    let props = p.properties();
                    match (props.minimum_len(), props.maximum_len()) {
                        (Some(a), Some(b)) if a == b && props.explicit_captures_len() == 0 => {
                            Some(n + a)
                        }
                        _ => None,
                    }
                })
            };
            let (before, after) = (fixed(&parts[..k])?, fixed(&parts[k + 1..])?);
            let (inner_before, inner_after) = group_offsets(&parts[k])?;
            Some((before + inner_before, after + inner_after))
        }
        _ => None,
    }
}

#[derive(Debug, Clone)]
enum Starts {
    /// Every match starts at a line start.
    LineStarts,
    /// Every match starts with one of the prefilter's literals.
    Prefix(Prefilter),
}

/// Most literals a prefix set may have to be worth a prefilter.
const MAX_PREFIXES: usize = 64;

impl OnePass {
    /// The fast path for `hir` (already confined to lines), whose compiled regex has `groups`
    /// capture groups counting the whole match; `None` when it does not apply (the pattern is
    /// not one-pass, or its match starts are unknown).
    pub(crate) fn new(hir: &Hir, groups: usize) -> Option<OnePass> {
        let starts = if hir.properties().look_set_prefix().contains(Look::StartLF) {
            Starts::LineStarts
        } else {
            let mut seq = Extractor::new().kind(ExtractKind::Prefix).extract(hir);
            seq.dedup();
            // Too many prefixes (`" ([0-9]{3}) ` gives `" 000` to `" 999`): their shorter
            // common starts are prefixes too, and fewer (`" `).
            let longest = seq.max_literal_len().unwrap_or(0);
            for keep in (1..longest).rev() {
                if seq.len().is_some_and(|n| n <= MAX_PREFIXES) {
                    break;
                }
                seq.keep_first_bytes(keep);
                seq.dedup();
            }
            let literals = seq.literals()?;
            if literals.is_empty()
                || literals.len() > MAX_PREFIXES
                || literals.iter().any(|l| l.as_bytes().is_empty())
            {
                return None;
            }
            let mut needles: Vec<&[u8]> = literals.iter().map(|l| l.as_bytes()).collect();
            // One literal of two bytes or more (memmem) finds candidates faster than a set of
            // longer ones (Teddy), though it finds more of them: `" ` for `" 0` ... `" 9`.
            let common = needles.iter().fold(needles[0], |c, n| {
                &c[..c.iter().zip(*n).take_while(|(a, b)| a == b).count()]
            });
            if needles.len() > 1 && common.len() >= 2 {
                needles = vec![common];
            }
            Starts::Prefix(Prefilter::new(MatchKind::LeftmostFirst, &needles)?)
        };
        let nfa = thompson::Compiler::new()
            .configure(thompson::Config::new().utf8(false))
            .build_from_hir(hir)
            .ok()?;
        if nfa.pattern_len() != 1 || nfa.group_info().all_group_len() != groups {
            return None;
        }
        let dfa = onepass::Builder::new()
            .configure(onepass::Config::new().match_kind(MatchKind::LeftmostFirst))
            .build_from_nfa(nfa)
            .ok()?;
        Some(OnePass {
            dfa,
            starts,
            group_at: (groups == 2).then(|| group_offsets(hir)).flatten(),
        })
    }

    #[cfg(test)]
    pub(crate) fn group_at(&self) -> Option<(usize, usize)> {
        self.group_at
    }

    /// Calls `visit` for the first non-empty match at or after each line start of `data` (every
    /// non-empty match with `all`), as [`super::pattern::LineRegex`]'s general scan does with
    /// `re`, which it falls back on.
    pub(crate) fn scan<F>(
        &self,
        re: &Regex,
        data: &[u8],
        scratch: &mut MatchScratch,
        all: bool,
        visit: &mut F,
    ) where
        F: FnMut(&[u8], &Groups<'_>),
    {
        let MatchScratch { locs, onepass } = scratch;
        let Some((cache, slots)) = onepass.as_mut() else {
            return;
        };
        let len = data.len();
        // Before this offset, the general search runs (the rest of a line where a candidate
        // failed).
        let mut general_until = 0;
        let mut at = 0;
        while at < len {
            let (start, end, general) = if at < general_until {
                let Some(m) = re.captures_read_at(locs, data, at) else {
                    break;
                };
                (m.start(), m.end(), true)
            } else {
                let p = match &self.starts {
                    Starts::LineStarts if at == 0 || data[at - 1] == b'\n' => at,
                    Starts::LineStarts => match memchr::memchr(b'\n', &data[at..]) {
                        Some(i) => at + i + 1,
                        None => break,
                    },
                    Starts::Prefix(pre) => match pre.find(
                        data,
                        Span {
                            start: at,
                            end: len,
                        },
                    ) {
                        Some(s) => s.start,
                        None => break,
                    },
                };
                if p >= len {
                    // Only an empty match can start at the end; empty matches never count.
                    break;
                }
                let input = Input::new(data).range(p..len).anchored(Anchored::Yes);
                let found = if let Some((before, after)) = self.group_at {
                    let found = self.dfa.try_search_slots(cache, &input, &mut slots[..2]);
                    slots[2] = slots[0].and_then(|s| NonMaxUsize::new(s.get() + before));
                    slots[3] = slots[1].and_then(|e| NonMaxUsize::new(e.get() - after));
                    found
                } else {
                    self.dfa.try_search_slots(cache, &input, slots)
                };
                match (
                    found,
                    slots.first().copied().flatten(),
                    slots.get(1).copied().flatten(),
                ) {
                    (Ok(Some(_)), Some(s), Some(e)) => (s.get(), e.get(), false),
                    (Ok(None), _, _) if matches!(self.starts, Starts::LineStarts) => {
                        // No match starts inside a line but at its start.
                        at = p + 1;
                        continue;
                    }
                    (found, _, _) => {
                        // No match at this candidate (or the DFA gave up): the general search
                        // takes the rest of the line, from the next byte (from this one if
                        // the DFA could not tell).
                        at = if matches!(found, Ok(None)) { p + 1 } else { p };
                        general_until =
                            memchr::memchr(b'\n', &data[p..]).map_or(len, |i| p + i + 1);
                        continue;
                    }
                }
            };
            if start == end {
                at = end + 1;
                continue;
            }
            if general {
                visit(data, &Groups::Locs(locs));
            } else {
                visit(data, &Groups::Slots(slots));
            }
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

#[cfg(test)]
mod tests {
    use super::super::pattern::{LineRegex, PatternOptions};
    use proptest::prelude::*;

    /// Every match the way `match` sees it: the haystack's offset-free text of each group.
    fn visits(r: &LineRegex, data: &[u8], all: bool) -> Vec<Vec<Option<Vec<u8>>>> {
        let groups = r.regex().captures_len();
        let mut scratch = r.scratch();
        let mut out = Vec::new();
        r.for_each_match(data, &mut scratch, all, |hay, g| {
            out.push(
                (0..groups)
                    .map(|i| g.get(i).map(|(s, e)| hay[s..e].to_vec()))
                    .collect(),
            );
        });
        out
    }

    fn both(pattern: &str) -> (LineRegex, LineRegex) {
        let fast = LineRegex::new(&[pattern], PatternOptions::default()).unwrap();
        let general = fast.clone().without_onepass();
        (fast, general)
    }

    /// Patterns of both kinds of start take the one-pass path; others do not.
    #[test]
    fn one_pass_applies_where_starts_are_known() {
        for p in [
            r#"" (\d{3}) "#,
            r"^(\S+)",
            r"user=(\w+)",
            r"^(\d+) (x)?",
            r"ab|ac",
            r#"" ([0-9]{3}) "#,
            r"id=([0-9a-f]{8})",
        ] {
            assert!(both(p).0.has_onepass(), "{p}");
        }
        let offsets = |p: &str| {
            let hir = regex_syntax::ParserBuilder::new().build().parse(p).unwrap();
            super::group_offsets(&hir)
        };
        assert_eq!(both(r"^(\S+)").0.onepass_group_at(), Some((0, 0)));
        assert_eq!(both(r#"" (\d{3}) "#).0.onepass_group_at(), Some((2, 1)));
        assert_eq!(both(r"^(\S+) (\S+)").0.onepass_group_at(), None);
        for (p, want) in [
            (r"^(\S+)", (0, 0)),
            (r"(\w+)$", (0, 0)),
            (r"\b(a|b)\b", (0, 0)),
            (r"(?m)^(x*)", (0, 0)),
            (r#"" (\d{3}) "#, (2, 1)),
            (r"^(\S+) ", (0, 1)),
            (r"ab(a)[bc]x{2}", (2, 3)),
        ] {
            assert_eq!(offsets(p), Some(want), "{p}");
        }
        for p in [
            r"((a)b)",
            r"(a)(b)",
            r"^\S+",
            r"(a)+",
            r"a+(b)",
            r"(b)c?",
            r"(?i)k(x)",
        ] {
            assert_eq!(offsets(p), None, "{p}");
        }
        for p in [r"(\w+) of", r"a.*b", r"\d+", r"^(a|ab)(c|bcd)?"] {
            assert!(!both(p).0.has_onepass(), "{p}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        /// The one-pass path visits exactly the matches and groups of the regex crate's
        /// search, first per line or all, on text made to match, fail and match empty.
        #[test]
        fn one_pass_visits_what_the_general_search_does(
            data in proptest::collection::vec(
                proptest::sample::select(
                    vec![b'a', b'b', b'c', b' ', b'\n', b'\r', b'"', b'1', b'2', b'=', 0xff]),
                0..80),
            pattern in proptest::sample::select(vec![
                r#"" (\d{1,3}) "#, r"^(\S+)", r"^(\S*)", r"^(a)?(b+)?", r"a=(\w*)",
                r"a[^b]*b", r"^(a|ab)(c|bcd)?", r"(?m)^\d+$", r"ab|a", r"\ba(\w)", r"a(b)?c$",
                r#""(1|12)(2)?"#, r"^$", r"(?i)AB(c)", r#"" ([0-9]{3}) "#, r"a([12]{7})b",
                r"^(a\S*)", r"(\w+)$", r"^(a|bb)\b", r"a=(\w)b", r"^(\S+) ", r"\ba(\w+)$",
            ]),
        ) {
            let (fast, general) = both(pattern);
            for all in [false, true] {
                prop_assert_eq!(visits(&fast, &data, all), visits(&general, &data, all));
            }
        }
    }
}
