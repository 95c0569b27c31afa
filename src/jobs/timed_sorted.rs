//! `--sorted SLACK`: the declaration that an input's timestamps never go back by more than
//! SLACK. With it, the chunks of a mapped file before `--since` - SLACK and from `--until` +
//! SLACK on are left out without being read ([`select`]: a binary search over the first
//! timestamps of chunk starts), and every record read is checked against the declaration
//! ([`Track`] per chunk, [`check`] across chunks), so a record older than allowed is an
//! error naming its line, never a silently different result.

use jiff::{SignedDuration, Timestamp};

use crate::error::{Error, Result};

/// What one mapped chunk tells about the order of its records.
#[derive(Debug, Clone)]
pub struct ChunkOrder {
    input: usize,
    offset: u64,
    len: u64,
    lines: u64,
    max: Option<Timestamp>,
    /// Where the running minimum fell: (line in chunk, byte in chunk, time).
    mins: Vec<(u64, u64, Timestamp)>,
    /// The first record older than the chunk's own running maximum allows, with that maximum.
    inside: Option<(u64, u64, Timestamp, Timestamp)>,
}

/// Follows the records of one chunk.
pub struct Track {
    slack: SignedDuration,
    cur: ChunkOrder,
    /// The running maximum less the slack: a record before it breaks the declaration (kept
    /// beside the maximum, so a record costs comparisons, not date arithmetic).
    floor: Option<Timestamp>,
}

impl Track {
    /// Starts a chunk of `len` bytes at `offset` of `input`.
    pub fn new(slack: SignedDuration, input: usize, offset: u64, len: usize) -> Track {
        Track {
            slack,
            cur: ChunkOrder {
                input,
                offset,
                len: len as u64,
                lines: 0,
                max: None,
                mins: Vec::new(),
                inside: None,
            },
            floor: None,
        }
    }

    /// The next line, at byte `at` of the chunk, with its time if it has one.
    #[inline]
    pub fn line(&mut self, ts: Option<Timestamp>, at: usize) {
        let c = &mut self.cur;
        let line = c.lines;
        c.lines += 1;
        let Some(ts) = ts else { return };
        if let (Some(m), Some(floor)) = (c.max, self.floor) {
            if c.inside.is_none() && ts < floor {
                c.inside = Some((line, at as u64, ts, m));
            }
        }
        if c.max.is_none_or(|m| ts > m) {
            c.max = Some(ts);
            self.floor = Some(ts.saturating_sub(self.slack).unwrap_or(ts));
        }
        if c.mins.last().is_none_or(|&(_, _, m)| ts < m) {
            c.mins.push((line, at as u64, ts));
        }
    }

    /// The chunk's summary.
    pub fn finish(self) -> ChunkOrder {
        self.cur
    }
}

/// Checks the declaration across the chunks of a run (in any order), naming the first record
/// of an input that breaks it.
pub fn check(
    mut chunks: Vec<ChunkOrder>,
    names: &[String],
    slack: &str,
    d: SignedDuration,
) -> Result<()> {
    chunks.sort_by_key(|c| (c.input, c.offset));
    let mut input = usize::MAX;
    let (mut prev_max, mut line_base, mut next_offset) = (None::<Timestamp>, Some(0u64), 0u64);
    for c in &chunks {
        if c.input != input {
            input = c.input;
            prev_max = None;
            line_base = Some(0);
            next_offset = 0;
        }
        if c.offset != next_offset {
            // Chunks left out before this one: their lines were not counted.
            line_base = None;
        }
        let cross = prev_max.and_then(|m| {
            let limit = m.saturating_sub(d).unwrap_or(m);
            c.mins
                .iter()
                .find(|&&(_, _, t)| t < limit)
                .map(|&(l, b, t)| (l, b, t, m))
        });
        let first = match (cross, c.inside) {
            (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
            (a, b) => a.or(b),
        };
        if let Some((line, byte, t, m)) = first {
            let name = names.get(c.input).map_or("-", String::as_str);
            let place = match line_base {
                Some(base) => format!("{name}:{}", base + line + 1),
                None => format!("{name}: the line at byte {}", c.offset + byte),
            };
            return Err(Error::Unsorted {
                place,
                detail: format!(
                    "time {t} is more than {slack} before {m}, a time earlier in the input"
                ),
                slack: slack.to_string(),
            });
        }
        prev_max = match (prev_max, c.max) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        line_base = line_base.map(|b| b + c.lines);
        next_offset = c.offset + c.len;
    }
    Ok(())
}

/// The chunks to map of one input, given the first time of each chunk (`first(i)`, None when
/// its first lines hold none): leave out the chunks before the one whose successor starts
/// later than `since` - SLACK, and those starting at or after `until` + SLACK. Under the
/// declaration no record of a left-out chunk is in the window.
pub fn select(
    n: usize,
    mut first: impl FnMut(usize) -> Option<Timestamp>,
    since: Option<Timestamp>,
    until: Option<Timestamp>,
    d: SignedDuration,
) -> std::ops::Range<usize> {
    // Chunk c can be left out when chunk c + 1 starts before since - slack.
    let mut before = |i: usize| -> bool {
        since.is_some_and(|s| first(i).is_some_and(|t| t.saturating_add(d).is_ok_and(|e| e < s)))
    };
    let mut start = 0;
    if since.is_some() && n > 1 {
        let (mut lo, mut hi) = (1usize, n); // find the last i in 1..n with before(i)
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if before(mid) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        // lo - 1 is the last index found true (if any); it is checked, not assumed.
        start = if lo > 1 && before(lo - 1) { lo - 1 } else { 0 };
    }
    let mut after = |i: usize| -> bool {
        until.is_some_and(|u| first(i).is_some_and(|t| t.saturating_sub(d).is_ok_and(|e| e >= u)))
    };
    let mut end = n;
    if until.is_some() {
        let (mut lo, mut hi) = (start, n);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if after(mid) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        end = if lo < n && after(lo) { lo } else { n };
    }
    start..end.max(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> Timestamp {
        Timestamp::from_second(s).unwrap()
    }

    #[test]
    fn select_leaves_out_only_chunks_outside_the_window() {
        let firsts = [0, 100, 200, 300, 400, 500];
        let d = SignedDuration::from_secs(10);
        let f = |i: usize| Some(t(firsts[i]));
        assert_eq!(select(6, f, Some(t(250)), None, d), 2..6);
        assert_eq!(select(6, f, Some(t(305)), Some(t(420)), d), 2..5);
        assert_eq!(select(6, f, None, Some(t(100)), d), 0..2);
        assert_eq!(select(6, f, None, Some(t(600)), d), 0..6);
        assert_eq!(select(6, f, None, Some(t(50)), d), 0..1);
        assert_eq!(select(6, |_| None, Some(t(250)), None, d), 0..6);
    }

    #[test]
    fn check_names_the_first_line_out_of_order() {
        let d = SignedDuration::from_secs(5);
        let mut a = Track::new(d, 0, 0, 10);
        for (s, at) in [(100, 0), (103, 2), (99, 4)] {
            a.line(Some(t(s)), at);
        }
        let mut b = Track::new(d, 0, 10, 10);
        b.line(None, 0);
        b.line(Some(t(97)), 3);
        let names = vec!["in".to_string()];
        let err = check(vec![b.finish(), a.finish()], &names, "5s", d).unwrap_err();
        assert!(err.to_string().starts_with("in:5: "), "{err}");
    }
}
