//! Examples (`--example`): where a key was first seen, as a state that merges exactly.
//!
//! An [`Example`] is a record's place: its input (path, and position in the run's argument
//! list), the byte offset where it starts, and its line number counted from an offset the
//! run's line index knows (`base`: the start of the chunk that held it). The line index
//! ([`ExampleMeta::lines`]) records how many lines each mapped byte range held; a result that
//! holds every range of an input before `base` knows the record's absolute line number,
//! otherwise it names the byte offset (see [`Resolver`]).
//!
//! Which example is "first" needs a total order that every merge agrees on. Within one run
//! (and the shards of one run) inputs come in argument order; partials of runs over other
//! input lists order their inputs by path bytes. A state keeps the first example under each
//! order ([`Ex::first`], [`Ex::by_path`]); both are exact minimums, so the merge stays
//! associative and commutative, and the result picks one by whether every run it holds had the
//! same input list ([`ExampleMeta::runs`]).

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{FastMap, Merge};

/// Bytes that serialize as a JSON string when they are UTF-8, else as a list of byte values.
/// Compared by their bytes; clones of one value (an input's path in every example of a run)
/// compare equal without reading them.
#[derive(Debug, Clone, Default)]
pub struct Bytes(pub Arc<[u8]>);

impl std::hash::Hash for Bytes {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.0.hash(h)
    }
}

impl PartialEq for Bytes {
    fn eq(&self, other: &Bytes) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0 == other.0
    }
}

impl Eq for Bytes {}

impl PartialOrd for Bytes {
    fn partial_cmp(&self, other: &Bytes) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Bytes {
    fn cmp(&self, other: &Bytes) -> Ordering {
        if Arc::ptr_eq(&self.0, &other.0) {
            return Ordering::Equal;
        }
        self.0.cmp(&other.0)
    }
}

impl Bytes {
    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl From<&[u8]> for Bytes {
    fn from(b: &[u8]) -> Bytes {
        Bytes(b.into())
    }
}

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if !s.is_human_readable() {
            return s.serialize_bytes(&self.0);
        }
        match std::str::from_utf8(&self.0) {
            Ok(text) => s.serialize_str(text),
            Err(_) => s.collect_seq(self.0.iter()),
        }
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Bytes, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Form {
            Text(String),
            Raw(Vec<u8>),
        }
        if !d.is_human_readable() {
            struct Visit;
            impl serde::de::Visitor<'_> for Visit {
                type Value = Bytes;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("bytes")
                }
                fn visit_bytes<E>(self, v: &[u8]) -> Result<Bytes, E> {
                    Ok(Bytes(v.into()))
                }
            }
            return d.deserialize_bytes(Visit);
        }
        Ok(match Form::deserialize(d)? {
            Form::Text(t) => Bytes(t.into_bytes().into()),
            Form::Raw(r) => Bytes(r.into()),
        })
    }
}

/// Where a record was seen. Serialized as `[path, input, offset, base, line]`, with the
/// record's first line appended under `--example-text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    /// The input's path as given (`-` for stdin).
    pub path: Bytes,
    /// The input's position in its run's argument list (directories expanded).
    pub input: u32,
    /// Where the record starts in its input (after decompression: a stream offset).
    pub offset: u64,
    /// The start of a byte range of the line index ([`ExampleMeta::lines`]).
    pub base: u64,
    /// Lines between `base` and `offset`.
    pub line: u64,
    /// The record's first line (without its line end), under `--example-text`.
    pub text: Option<Bytes>,
}

impl Example {
    fn by_input(&self, other: &Example) -> Ordering {
        (
            self.input,
            self.offset,
            &self.path,
            self.base,
            self.line,
            &self.text,
        )
            .cmp(&(
                other.input,
                other.offset,
                &other.path,
                other.base,
                other.line,
                &other.text,
            ))
    }

    fn by_path(&self, other: &Example) -> Ordering {
        (
            &self.path,
            self.offset,
            self.input,
            self.base,
            self.line,
            &self.text,
        )
            .cmp(&(
                &other.path,
                other.offset,
                other.input,
                other.base,
                other.line,
                &other.text,
            ))
    }
}

type ExampleTuple = (Bytes, u32, u64, u64, u64, Option<Bytes>);

impl Serialize for Example {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        if !s.is_human_readable() {
            return (
                &self.path,
                self.input,
                self.offset,
                self.base,
                self.line,
                &self.text,
            )
                .serialize(s);
        }
        let mut seq = s.serialize_seq(Some(5 + usize::from(self.text.is_some())))?;
        seq.serialize_element(&self.path)?;
        seq.serialize_element(&self.input)?;
        seq.serialize_element(&self.offset)?;
        seq.serialize_element(&self.base)?;
        seq.serialize_element(&self.line)?;
        if let Some(t) = &self.text {
            seq.serialize_element(t)?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for Example {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Example, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Form {
            Place(Bytes, u32, u64, u64, u64),
            Text(Bytes, u32, u64, u64, u64, Bytes),
        }
        let (path, input, offset, base, line, text): ExampleTuple = if d.is_human_readable() {
            match Form::deserialize(d)? {
                Form::Place(p, i, o, b, l) => (p, i, o, b, l, None),
                Form::Text(p, i, o, b, l, t) => (p, i, o, b, l, Some(t)),
            }
        } else {
            ExampleTuple::deserialize(d)?
        };
        Ok(Example {
            path,
            input,
            offset,
            base,
            line,
            text,
        })
    }
}

/// A job's state with the first place its key was seen: `{"s":STATE,"e":EXAMPLE}` in partials
/// (`"p"`: the first by path order, when it is another).
/// In spill runs (a format that is not self-describing), a tuple.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ex<S> {
    /// The job's state.
    pub state: S,
    /// The first example in argument order. In the slot, not boxed: a box per key costs an
    /// allocation on insert and a free on every merge and drop, which the serial end of a run
    /// (merging the workers' tables, dropping the result) pays for every key.
    first: Option<Example>,
    /// The first example in path order, when it is not `first` (boxed: rarely set, so a
    /// table slot holds a pointer, not a second example).
    by_path: Option<Box<Example>>,
}

#[derive(Serialize)]
struct ExOut<'a, S> {
    s: &'a S,
    #[serde(skip_serializing_if = "Option::is_none")]
    e: Option<&'a Example>,
    #[serde(skip_serializing_if = "Option::is_none")]
    p: Option<&'a Example>,
}

#[derive(Deserialize)]
struct ExIn<S> {
    s: S,
    #[serde(default)]
    e: Option<Example>,
    #[serde(default)]
    p: Option<Box<Example>>,
}

impl<S: Serialize> Serialize for Ex<S> {
    fn serialize<Z: Serializer>(&self, z: Z) -> Result<Z::Ok, Z::Error> {
        if z.is_human_readable() {
            ExOut {
                s: &self.state,
                e: self.first(),
                p: self.by_path_only(),
            }
            .serialize(z)
        } else {
            (&self.state, self.first(), self.by_path_only()).serialize(z)
        }
    }
}

impl<'de, S: Deserialize<'de>> Deserialize<'de> for Ex<S> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Ex<S>, D::Error> {
        let (state, first, by_path) = if d.is_human_readable() {
            let x = ExIn::deserialize(d)?;
            (x.s, x.e, x.p)
        } else {
            <(S, Option<Example>, Option<Box<Example>>)>::deserialize(d)?
        };
        if first.is_none() && by_path.is_some() {
            return Err(serde::de::Error::custom(
                "an example in path order (\"p\") without one in argument order (\"e\")",
            ));
        }
        Ok(Ex {
            state,
            first,
            by_path,
        })
    }
}

impl<S> Ex<S> {
    /// A state seen at `example`.
    pub fn new(state: S, example: Example) -> Ex<S> {
        Ex {
            state,
            first: Some(example),
            by_path: None,
        }
    }

    /// `state` with the examples of `self`.
    pub fn with_state<T>(&self, state: T) -> Ex<T> {
        Ex {
            state,
            first: self.first.clone(),
            by_path: self.by_path.clone(),
        }
    }

    /// The first example in argument order.
    pub fn first(&self) -> Option<&Example> {
        self.first.as_ref()
    }

    /// The first example in path order.
    pub fn first_by_path(&self) -> Option<&Example> {
        self.by_path.as_deref().or(self.first.as_ref())
    }

    /// The first example in path order when it is not the first in argument order.
    fn by_path_only(&self) -> Option<&Example> {
        self.by_path.as_deref()
    }

    /// Every example held, to change.
    fn examples_mut(&mut self) -> impl Iterator<Item = &mut Example> {
        self.first
            .as_mut()
            .into_iter()
            .chain(self.by_path.as_deref_mut())
    }

    /// Takes `example` in if it comes first under either order; `make` is called only then.
    pub fn offer(&mut self, input: u32, offset: u64, path: &Bytes, make: impl Fn() -> Example) {
        let Some(first) = &self.first else {
            self.first = Some(make());
            return;
        };
        let earlier_input = (input, offset) < (first.input, first.offset);
        let p = self.by_path.as_deref().unwrap_or(first);
        let earlier_path = (path, offset) < (&p.path, p.offset);
        if !earlier_input && !earlier_path {
            return;
        }
        self.merge_examples(Some(make()), None);
    }

    /// Keeps the first of both sides under each order (a tie keeps this side's), moving the
    /// examples instead of copying them.
    fn merge_examples(&mut self, first: Option<Example>, by_path: Option<Box<Example>>) {
        fn other_wins(
            mine: Option<&Example>,
            other: Option<&Example>,
            cmp: fn(&Example, &Example) -> Ordering,
        ) -> bool {
            match (mine, other) {
                (_, None) => false,
                (None, Some(_)) => true,
                (Some(a), Some(b)) => cmp(b, a) == Ordering::Less,
            }
        }
        let input_other = other_wins(self.first.as_ref(), first.as_ref(), Example::by_input);
        let path_other = other_wins(
            self.first_by_path(),
            by_path.as_deref().or(first.as_ref()),
            Example::by_path,
        );
        if !input_other && !path_other {
            return;
        }
        // The path order's first: a side's `by_path`, else its `first` (None: the same as
        // the new `first`, or moved there).
        let (a, p) = match (input_other, path_other) {
            (false, false) => (self.first.take(), self.by_path.take()),
            (true, true) => (first, by_path),
            (false, true) => (self.first.take(), by_path.or_else(|| first.map(Box::new))),
            (true, false) => {
                let p = (self.by_path.take()).or_else(|| self.first.take().map(Box::new));
                (first, p)
            }
        };
        self.by_path = if p.as_deref() == a.as_ref() { None } else { p };
        self.first = a;
    }
}

impl<S: Merge> Merge for Ex<S> {
    fn saturated(&self) -> bool {
        self.state.saturated()
    }

    fn merge(&mut self, other: Self) {
        self.state.merge(other.state);
        self.merge_examples(other.first, other.by_path);
    }
}

/// One mapped byte range of an input and the lines it held: `(path, from, to, lines)`.
pub type LineRange = (Bytes, u64, u64, u64);

/// What a result with examples knows besides its rows: the input lists of its runs, and the
/// line index. Carried in [`super::keyed::Meta`], so it travels through partials, merges,
/// state and spills with the other job-wide facts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExampleMeta {
    /// The input list (argument order) of every run whose examples the result holds.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub runs: BTreeSet<Vec<Bytes>>,
    /// Mapped byte ranges with their line counts.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub lines: BTreeSet<LineRange>,
}

impl ExampleMeta {
    /// True when there is nothing to say.
    pub fn is_empty(&self) -> bool {
        self.runs.is_empty() && self.lines.is_empty()
    }

    /// Names the examples of this result.
    pub fn resolver(&self) -> Resolver {
        let mut by_path: BTreeMap<&Bytes, Vec<(u64, u64, u64)>> = BTreeMap::new();
        for (p, from, to, lines) in &self.lines {
            by_path.entry(p).or_default().push((*from, *to, *lines));
        }
        let mut known = BTreeMap::new();
        for (path, ranges) in by_path {
            // Lines before each offset that ranges counted from byte 0 without a gap.
            let mut before = FastMap::default();
            let (mut at, mut lines) = (0u64, 0u64);
            before.insert(0, 0);
            for (from, to, n) in ranges {
                if from != at || to < from {
                    // A range already counted (the same bytes twice), or a gap: what follows
                    // a gap is not known.
                    if from > at {
                        break;
                    }
                    continue;
                }
                lines = lines.saturating_add(n);
                at = to;
                before.insert(to, lines);
            }
            known.insert(path.clone(), before);
        }
        Resolver {
            known,
            by_input: self.runs.len() <= 1,
        }
    }
}

/// Line-index rewrites of [`coalesce`]: per path, each old range start -> (its run's start,
/// lines between the two).
#[derive(Debug, Default)]
pub struct Rebase(BTreeMap<Bytes, FastMap<u64, (u64, u64)>>);

impl Rebase {
    /// `e` counted from its range's run instead of its range.
    pub fn example(&self, e: &mut Example) {
        if let Some(&(start, before)) = self.0.get(&e.path).and_then(|m| m.get(&e.base)) {
            e.base = start;
            e.line = e.line.saturating_add(before);
        }
    }

    /// Both examples of `ex` rebased.
    pub fn ex<S>(&self, ex: &mut Ex<S>) {
        for e in ex.examples_mut() {
            self.example(e);
        }
    }
}

/// The canonical line index of one run: contiguous ranges of one input joined into maximal
/// runs (so the index, and the examples rebased by the returned [`Rebase`], do not depend on
/// how the input was cut into chunks). Overlapping ranges are kept as they are.
pub fn coalesce(lines: BTreeSet<LineRange>) -> (BTreeSet<LineRange>, Rebase) {
    let mut out = BTreeSet::new();
    let mut rebase = Rebase::default();
    // The run being built: (path, start, end, lines).
    let mut run: Option<LineRange> = None;
    for (path, from, to, n) in lines {
        if let Some((p, start, end, total)) = &mut run {
            if *p == path && from == *end && to >= from {
                rebase
                    .0
                    .entry(path)
                    .or_default()
                    .insert(from, (*start, *total));
                *end = to;
                *total = total.saturating_add(n);
                continue;
            }
            if *p == path && from < *end {
                out.insert((path, from, to, n));
                continue;
            }
        }
        out.extend(run.take());
        if to >= from {
            run = Some((path, from, to, n));
        } else {
            out.insert((path, from, to, n));
        }
    }
    out.extend(run);
    (out, rebase)
}

impl Merge for ExampleMeta {
    fn merge(&mut self, other: Self) {
        self.runs.extend(other.runs);
        self.lines.extend(other.lines);
    }
}

/// Turns examples into what the output shows.
#[derive(Debug, Clone, Default)]
pub struct Resolver {
    /// Per path: lines before each offset known from byte 0.
    known: BTreeMap<Bytes, FastMap<u64, u64>>,
    /// Whether the result's runs share one input list (argument order applies).
    by_input: bool,
}

impl Resolver {
    /// The example a state shows: the first in argument order when every run had the same
    /// input list, else the first in path order.
    pub fn pick<'a, S>(&self, ex: &'a Ex<S>) -> Option<&'a Example> {
        if self.by_input {
            ex.first()
        } else {
            ex.first_by_path()
        }
    }

    /// `FILE:LINE` (line numbers from 1) when the lines before the example are known, else
    /// `FILE@BYTE_OFFSET`.
    pub fn place(&self, e: &Example, out: &mut Vec<u8>) {
        out.extend_from_slice(e.path.as_bytes());
        match self.known.get(&e.path).and_then(|b| b.get(&e.base)) {
            Some(before) => {
                out.push(b':');
                let n = before.saturating_add(e.line).saturating_add(1);
                out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
            }
            None => {
                out.push(b'@');
                out.extend_from_slice(itoa::Buffer::new().format(e.offset).as_bytes());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(path: &str, input: u32, offset: u64) -> Example {
        Example {
            path: Bytes::from(path.as_bytes()),
            input,
            offset,
            base: 0,
            line: offset,
            text: None,
        }
    }

    #[test]
    fn merge_laws_hold_for_both_orders() {
        let samples: Vec<Ex<u64>> = vec![
            Ex::default(),
            Ex::new(1, ex("b", 0, 5)),
            Ex::new(2, ex("a", 1, 3)),
            Ex::new(3, ex("a", 1, 1)),
            Ex::new(4, ex("c", 0, 0)),
            Ex::new(5, ex("b", 0, 2)),
        ];
        crate::aggregate::check_laws(&samples, |e| e.clone());
        let mut all = Ex::default();
        for s in &samples {
            all.merge(s.clone());
        }
        assert_eq!(all.first(), Some(&ex("c", 0, 0)));
        assert_eq!(all.first_by_path(), Some(&ex("a", 1, 1)));
    }

    #[test]
    fn places_need_every_range_before() {
        let mut m = ExampleMeta::default();
        let p = Bytes::from(&b"a.log"[..]);
        m.lines.insert((p.clone(), 0, 10, 2));
        m.lines.insert((p.clone(), 20, 30, 1));
        let r = m.resolver();
        let mut out = Vec::new();
        let mut e = ex("a.log", 0, 12);
        e.base = 10;
        e.line = 0;
        r.place(&e, &mut out);
        assert_eq!(out, b"a.log:3");
        out.clear();
        e.base = 20;
        e.offset = 25;
        r.place(&e, &mut out);
        assert_eq!(out, b"a.log@25");
    }

    #[test]
    fn coalesced_index_names_the_same_lines() {
        let p = Bytes::from(&b"a.log"[..]);
        let q = Bytes::from(&b"b.log"[..]);
        let mut lines = BTreeSet::new();
        lines.insert((p.clone(), 0, 10, 2));
        lines.insert((p.clone(), 10, 20, 3));
        lines.insert((p.clone(), 20, 30, 1));
        lines.insert((p.clone(), 40, 50, 4));
        lines.insert((q.clone(), 0, 5, 1));
        let before = ExampleMeta {
            runs: BTreeSet::new(),
            lines: lines.clone(),
        }
        .resolver();
        let (canon, rebase) = coalesce(lines);
        let want: BTreeSet<LineRange> = [
            (p.clone(), 0, 30, 6),
            (p.clone(), 40, 50, 4),
            (q.clone(), 0, 5, 1),
        ]
        .into_iter()
        .collect();
        assert_eq!(canon, want);
        let after = ExampleMeta {
            runs: BTreeSet::new(),
            lines: canon,
        }
        .resolver();
        for (base, line, offset) in [(0, 1, 4), (10, 2, 18), (20, 0, 21), (40, 1, 45)] {
            let mut e = ex("a.log", 0, offset);
            e.base = base;
            e.line = line;
            let (mut x, mut y) = (Vec::new(), Vec::new());
            before.place(&e, &mut x);
            rebase.example(&mut e);
            after.place(&e, &mut y);
            assert_eq!(x, y, "{base} {line}");
        }
    }

    #[test]
    fn examples_round_trip_as_json() {
        let mut e = ex("x\u{e9}", 3, 9);
        e.text = Some(Bytes::from(&b"\xff line"[..]));
        let s = Ex::new(7u64, e);
        let j = serde_json::to_string(&s).unwrap();
        let back: Ex<u64> = serde_json::from_str(&j).unwrap();
        assert_eq!(back, s);
        let bin = postcard::to_allocvec(&s).unwrap();
        let back: Ex<u64> = postcard::from_bytes(&bin).unwrap();
        assert_eq!(back, s);
        // A first place in path order needs one in argument order.
        let p = serde_json::to_string(&ex("a", 0, 1)).unwrap();
        let err = serde_json::from_str::<Ex<u64>>(&format!(r#"{{"s":1,"p":{p}}}"#)).unwrap_err();
        assert!(
            err.to_string().contains("without one in argument order"),
            "{err}"
        );
        let both: Ex<u64> = serde_json::from_str(&format!(r#"{{"s":1,"e":{p},"p":{p}}}"#)).unwrap();
        assert_eq!(both.first_by_path(), Some(&ex("a", 0, 1)));
    }
}
