//! `--example` and `--example-text` on every job: [`Exampled`] wraps a job so that each key's
//! state carries the first place the key was seen ([`Ex`]), and the rows get the columns
//! `example` (`FILE:LINE`, or `FILE@BYTE_OFFSET` when the lines before it were not all
//! counted) and, with `--example-text`, `example_text` (the record's first line).
//!
//! The wrapper maps each record of a chunk on its own into a scratch partial of the job, and
//! folds the keys it produced into its table with the record's place; lines are counted once
//! per chunk ([`Mapper::see_chunk`]) into the line index that travels in [`Meta`]. Everything
//! else (partials, merge, shards, state, spill, order, every output format) comes with the Job
//! trait: the wrapper is a job whose state is [`Ex`].

use std::collections::{BTreeSet, HashSet};
use std::io::Write;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::{
    Chunk, InputList, Job, Keyed, Mapper, Meta, Parsed, RejectArgs, RunShape, Shown, TableAccess,
};
use crate::aggregate::example::{coalesce, Bytes, Ex, Example, LineRange, Resolver};
use crate::aggregate::{key_hash, KeyedTable, Merge};
use crate::chunk::{Framing, RecordScan};
use crate::emit::extra::{clear_cells, fill_cells};
use crate::emit::EmitOptions;
use crate::error::{Error, Result};
use crate::exit::Outcome;
use crate::spill::{with_row_hook, RowHook, Rows};

/// What `--example` adds, as partial headers record it (`"example":"place"` or `"text"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExampleMode {
    /// `--example`: the place.
    Place,
    /// `--example-text`: the place and the record's first line.
    Text,
}

/// A job whose keys carry the first place they were seen.
pub struct Exampled<J: Job> {
    inner: J,
    mode: ExampleMode,
    /// The inputs the mapper sees, by index: their names, and their positions in the run's
    /// argument list; then that whole list.
    names: Mutex<(Vec<Bytes>, Vec<u32>, Vec<Bytes>)>,
}

impl<J: Job> Exampled<J> {
    /// `job` with examples.
    pub fn new(mut inner: J, mode: ExampleMode) -> Exampled<J> {
        inner.keep_examples();
        Exampled {
            inner,
            mode,
            names: Mutex::new(Default::default()),
        }
    }

    fn columns(&self) -> Vec<String> {
        match self.mode {
            ExampleMode::Place => vec!["example".into()],
            ExampleMode::Text => vec!["example".into(), "example_text".into()],
        }
    }

    fn emit_with_columns(&self, emit: EmitOptions) -> EmitOptions {
        EmitOptions {
            extra: self.columns(),
            ..emit
        }
    }
}

impl ExampleMode {
    /// How many columns the mode adds.
    fn columns(self) -> usize {
        match self {
            ExampleMode::Place => 1,
            ExampleMode::Text => 2,
        }
    }
}

/// Writes the cells `--example` adds for a state into `out` (one empty buffer per column;
/// left empty when the state has no example).
fn write_cells<S>(resolver: &Resolver, ex: &Ex<S>, out: &mut [Vec<u8>]) {
    let Some(e) = resolver.pick(ex) else {
        return;
    };
    if let Some(place) = out.first_mut() {
        resolver.place(e, place);
    }
    if let (Some(text), Some(t)) = (out.get_mut(1), &e.text) {
        text.extend_from_slice(t.as_bytes());
    }
}

/// The cells `--example` adds for a state.
fn cells<S>(resolver: &Resolver, ex: &Ex<S>, mode: ExampleMode) -> Vec<Vec<u8>> {
    let mut out = vec![Vec::new(); mode.columns()];
    write_cells(resolver, ex, &mut out);
    out
}

/// A worker's partial: the job's own partial (its table left empty), the keyed table with
/// examples, and the lines of every chunk seen; and a partial of the job that each piece is
/// mapped into first, empty between pieces (its table keeps its allocation).
pub struct ExPartial<P, S> {
    rest: P,
    table: KeyedTable<Ex<S>>,
    lines: BTreeSet<LineRange>,
    scratch: P,
    firsts: Firsts,
    /// The end of the pieces mapped here, in argument order and in path order: a piece that
    /// starts at or after both comes after every example the table holds, so a key already
    /// held takes no example from it (a worker mostly maps its pieces in file order).
    end: Option<PieceEnd>,
}

/// See [`ExPartial::end`].
struct PieceEnd {
    by_input: (u32, u64),
    by_path: (Bytes, u64),
}

impl PieceEnd {
    /// Whether a piece of input `input` (path `path`) starting at `offset` starts at or after
    /// this end in both orders.
    fn before(&self, input: u32, path: &Bytes, offset: u64) -> bool {
        (input, offset) >= self.by_input && (path, offset) >= (&self.by_path.0, self.by_path.1)
    }

    /// The later of both ends in each order.
    fn max(a: Option<PieceEnd>, b: Option<PieceEnd>) -> Option<PieceEnd> {
        match (a, b) {
            (Some(a), Some(b)) => Some(PieceEnd {
                by_input: a.by_input.max(b.by_input),
                by_path: a.by_path.max(b.by_path),
            }),
            (a, b) => a.or(b),
        }
    }
}

/// The keys a piece's map placed ([`Mapper::map_placing`]), in order: their bytes end to end,
/// and per key where its bytes end and where its record starts. Kept between pieces for its
/// allocation.
#[derive(Default)]
struct Firsts {
    bytes: Vec<u8>,
    places: Vec<(usize, usize)>,
}

impl<P: Default, S> Default for ExPartial<P, S> {
    fn default() -> Self {
        ExPartial {
            rest: P::default(),
            table: KeyedTable::default(),
            lines: BTreeSet::new(),
            scratch: P::default(),
            firsts: Firsts::default(),
            end: None,
        }
    }
}

impl<P: Merge, S: Merge + Send> Merge for ExPartial<P, S> {
    fn saturated(&self) -> bool {
        self.rest.saturated()
    }

    fn merge(&mut self, other: Self) {
        self.rest.merge(other.rest);
        self.table.merge(other.table);
        self.lines.extend(other.lines);
        self.end = PieceEnd::max(self.end.take(), other.end);
    }
}

/// The mapper of [`Exampled`].
pub struct ExMapper<'j, J: Job + 'j> {
    inner: J::Mapper<'j>,
    table: fn(&mut J::Partial) -> &mut KeyedTable<J::State>,
    names: Vec<Bytes>,
    order: Vec<u32>,
    text: bool,
}

impl<'j, J: Job + 'j> ExMapper<'j, J> {
    fn name(&self, input: usize) -> (Bytes, u32) {
        match self.names.get(input) {
            Some(n) => (
                n.clone(),
                self.order.get(input).copied().unwrap_or(input as u32),
            ),
            None => (
                Bytes::from(format!("<input {}>", input + 1).as_bytes()),
                input as u32,
            ),
        }
    }

    /// The records of `data` (which starts at a record start), as byte ranges, until `each`
    /// returns false.
    fn records(&self, data: &[u8], mut each: impl FnMut(std::ops::Range<usize>) -> bool) {
        match self.inner.framing() {
            Framing::Lines => {
                let mut pos = 0;
                while pos < data.len() {
                    let end =
                        memchr::memchr(b'\n', &data[pos..]).map_or(data.len(), |i| pos + i + 1);
                    if !each(pos..end) {
                        return;
                    }
                    pos = end;
                }
            }
            Framing::Quoted { delimiter } => {
                let scan = RecordScan::new(delimiter);
                let mut pos = 0;
                while pos < data.len() {
                    let end = scan.end_at_or_after(data, pos, pos + 1).max(pos + 1);
                    if !each(pos..end) {
                        return;
                    }
                    pos = end;
                }
            }
            Framing::Records(rule) => {
                for r in rule.records(data) {
                    if !each(r) {
                        return;
                    }
                }
            }
        }
    }
}

impl<'j, J: Job + 'j> ExMapper<'j, J> {
    /// Maps `piece` (a chunk or a run of its records) into `partial` and places the keys whose
    /// first place may lie in it. Returns how far into the piece lines were counted to place
    /// them (a line start), and how many lines that was.
    fn place(
        &self,
        piece: Chunk<'_>,
        partial: &mut ExPartial<J::Partial, J::State>,
    ) -> (usize, u64) {
        let (path, input) = self.name(piece.input);
        let ExPartial {
            rest,
            table,
            scratch,
            firsts,
            end,
            ..
        } = partial;
        let after_all = end
            .as_ref()
            .is_none_or(|e| e.before(input, &path, piece.offset));
        let piece_end = piece.offset + piece.data.len() as u64;
        *end = PieceEnd::max(
            end.take(),
            Some(PieceEnd {
                by_input: (input, piece_end),
                by_path: (path.clone(), piece_end),
            }),
        );
        // The job maps the piece whole, at its own speed, into the empty scratch partial,
        // naming the record where each key enters it: the key's first in the piece.
        firsts.bytes.clear();
        firsts.places.clear();
        let placed = self.inner.map_placing(piece, scratch, &mut |k, at| {
            firsts.bytes.extend_from_slice(k);
            firsts.places.push((firsts.bytes.len(), at));
        });
        let mut counted = (0usize, 0u64);
        let mut needed: HashSet<Box<[u8]>> = HashSet::new();
        if placed {
            let seen = (self.table)(scratch);
            debug_assert_eq!(seen.len(), firsts.places.len(), "a key entered unplaced");
            let mut from = 0;
            for &(to, at) in &firsts.places {
                let k = &firsts.bytes[from..to];
                from = to;
                // One hash for both tables.
                let hash = key_hash(k);
                let (e, fresh) = table.entry_fresh_hashed(hash, k);
                if let Some(s) = seen.get_mut_hashed(hash, k) {
                    e.state.merge(std::mem::take(s));
                }
                if !fresh && after_all {
                    // Held already: its examples lie in pieces before this one.
                    continue;
                }
                let offset = piece.offset + at as u64;
                if !may_come_later(e, input, offset, &path) {
                    continue;
                }
                let (upto, lines) = &mut counted;
                *lines += memchr::memchr_iter(b'\n', &piece.data[*upto..at]).count() as u64;
                *upto = at;
                let line = piece.lines_before + *lines;
                e.offer(input, offset, &path, || Example {
                    path: path.clone(),
                    input,
                    offset,
                    base: piece.lines_from,
                    line,
                    text: self
                        .text
                        .then(|| Bytes::from(first_line(&piece.data[at..]))),
                });
            }
            seen.clear();
        } else {
            self.inner.map(piece, scratch);
            (self.table)(scratch).drain_each(|k, s| {
                let e = table.entry(k);
                if may_come_later(e, input, piece.offset, &path) {
                    needed.insert(k.into());
                }
                e.state.merge(s);
            });
        }
        // The rest of the job's partial (rejected records, ...), without the emptied table.
        let emptied = std::mem::take((self.table)(scratch));
        rest.merge(std::mem::take(scratch));
        *(self.table)(scratch) = emptied;
        if needed.is_empty() {
            return counted;
        }
        // A job that cannot place its keys: those whose first place may lie in this piece are
        // found record by record, stopping once every one is placed.
        let mut line = piece.lines_before;
        self.records(piece.data, |r| {
            let data = &piece.data[r.clone()];
            let offset = piece.offset + r.start as u64;
            let record = Chunk {
                offset,
                data,
                lines_before: line,
                ..piece
            };
            self.inner.map(record, scratch);
            let seen = (self.table)(scratch);
            if !seen.is_empty() {
                let make = || Example {
                    path: path.clone(),
                    input,
                    offset,
                    base: piece.lines_from,
                    line,
                    text: self.text.then(|| Bytes::from(first_line(data))),
                };
                for (k, _) in seen.iter() {
                    if needed.remove(k) {
                        table.entry(k).offer(input, offset, &path, make);
                    }
                }
                seen.clear();
            }
            line += memchr::memchr_iter(b'\n', data).count() as u64;
            !needed.is_empty()
        });
        // What the record-by-record maps added besides keys is dropped: it was counted above.
        *scratch = Default::default();
        (0, 0)
    }
}

/// Whether a key's first place may lie in a piece of input `input` (path `path`) starting at
/// `offset`: it has none yet, or one after the piece's start in either order.
fn may_come_later<S>(e: &Ex<S>, input: u32, offset: u64, path: &Bytes) -> bool {
    match (e.first(), e.first_by_path()) {
        (Some(a), Some(p)) => {
            (a.input, a.offset) > (input, offset) || (&p.path, p.offset) > (path, offset)
        }
        _ => true,
    }
}

/// Lines started in `data`.
fn lines_in(data: &[u8]) -> u64 {
    let n = memchr::memchr_iter(b'\n', data).count() as u64;
    n + u64::from(data.last().is_some_and(|&b| b != b'\n'))
}

impl<'j, J: Job + 'j> Mapper for ExMapper<'j, J> {
    type Partial = ExPartial<J::Partial, J::State>;

    fn map(&self, chunk: Chunk<'_>, partial: &mut Self::Partial) {
        // The lines counted to place keys are the start of the chunk's count.
        let (from, lines) = self.place(chunk, partial);
        let (path, _) = self.name(chunk.input);
        let end = chunk.offset + chunk.data.len() as u64;
        let lines = lines + lines_in(&chunk.data[from..]);
        partial.lines.insert((path, chunk.offset, end, lines));
    }

    fn sees_chunks(&self) -> bool {
        true
    }

    fn see_chunk(&self, chunk: Chunk<'_>, partial: &mut Self::Partial) {
        let (path, _) = self.name(chunk.input);
        let end = chunk.offset + chunk.data.len() as u64;
        partial
            .lines
            .insert((path, chunk.offset, end, lines_in(chunk.data)));
    }

    fn map_piece(&self, piece: Chunk<'_>, partial: &mut Self::Partial) {
        self.place(piece, partial);
    }

    fn framing(&self) -> Framing {
        self.inner.framing()
    }

    fn wants_sample(&self) -> bool {
        self.inner.wants_sample()
    }

    fn select_chunks(&self, chunks: &[Chunk<'_>]) -> std::ops::Range<usize> {
        self.inner.select_chunks(chunks)
    }

    fn candidates(&self, chunk: Chunk<'_>, line: &mut dyn FnMut(usize)) -> bool {
        // Lines that add nothing to the job's partial add no example either.
        self.inner.candidates(chunk, line)
    }
}

/// Sets the `--example` cells of each row the job writes, found by the row's key.
struct ExampleHook<S> {
    examples: KeyedTable<Ex<S>>,
    resolver: Resolver,
    mode: ExampleMode,
    /// The cells of the row over all keys (grep's total), when the job writes one.
    all: Option<Vec<Vec<u8>>>,
}

impl<S: Default> RowHook for ExampleHook<S> {
    fn row(&self, k: &[u8]) {
        fill_cells(self.mode.columns(), |out| {
            match (self.examples.get(k), &self.all) {
                (Some(ex), _) => write_cells(&self.resolver, ex, out),
                (None, Some(all)) if k.is_empty() => out.clone_from_slice(all),
                _ => {}
            }
        })
    }

    fn ahead(&self, keys: &[&[u8]]) {
        // Independent lookups in a tight loop: the processor overlaps their cache misses, and
        // `row` then finds each slot in cache.
        for k in keys {
            std::hint::black_box(self.examples.get(k).map(|ex| ex.first().map(|e| e.offset)));
        }
    }
}

/// A record's first line, without its line end.
fn first_line(record: &[u8]) -> &[u8] {
    let line = memchr::memchr(b'\n', record).map_or(record, |i| &record[..i]);
    line.strip_suffix(b"\r").unwrap_or(line)
}

impl<J: Job> Job for Exampled<J> {
    const NAME: &'static str = J::NAME;
    const ABOUT: &'static str = J::ABOUT;
    const EXAMPLES: &'static str = J::EXAMPLES;

    type Args = J::Args;
    type Params = J::Params;
    type Partial = ExPartial<J::Partial, J::State>;
    type State = Ex<J::State>;
    type Mapper<'j>
        = ExMapper<'j, J>
    where
        Self: 'j;

    fn upgrade_v1_key(params: &J::Params, key: &mut Vec<u8>) {
        J::upgrade_v1_key(params, key)
    }

    fn parse(args: J::Args) -> Result<Parsed<J::Params>> {
        J::parse(args)
    }

    fn build(params: &J::Params, bad: &RejectArgs) -> Result<Self> {
        Ok(Exampled::new(J::build(params, bad)?, ExampleMode::Place))
    }

    fn check(&self, run: RunShape<'_>) -> Result<()> {
        if J::example_access().is_none() {
            return Err(Error::InvalidArgument {
                flag: "--example",
                value: String::new(),
                reason: format!(
                    "is not available for `{}` (its rows are per input, not keys found in \
                     records)",
                    J::NAME
                ),
            });
        }
        self.inner.check(run)
    }

    fn wants_input_names(&self) -> bool {
        true
    }

    fn name_inputs(&self, all_raw: &[Vec<u8>], mapped: &[Vec<u8>]) {
        let all: Vec<Bytes> = all_raw.iter().map(|n| Bytes::from(n.as_slice())).collect();
        let mut used = vec![false; all.len()];
        let mut names = Vec::with_capacity(mapped.len());
        let mut order = Vec::with_capacity(mapped.len());
        for (i, m) in mapped.iter().enumerate() {
            let at = (0..all.len()).find(|&j| !used[j] && all[j].as_bytes() == m.as_slice());
            if let Some(j) = at {
                used[j] = true;
            }
            names.push(Bytes::from(m.as_slice()));
            order.push(at.unwrap_or(all.len() + i) as u32);
        }
        *self.names.lock().unwrap_or_else(|p| p.into_inner()) = (names, order, all);
        if self.inner.wants_input_names() {
            self.inner.name_inputs(all_raw, mapped);
        }
    }

    fn mapper(&self) -> Result<ExMapper<'_, J>> {
        let access = J::example_access().ok_or_else(|| Error::InvalidArgument {
            flag: "--example",
            value: String::new(),
            reason: format!("is not available for `{}`", J::NAME),
        })?;
        let (names, order, _) = self.names.lock().unwrap_or_else(|p| p.into_inner()).clone();
        Ok(ExMapper {
            inner: self.inner.mapper()?,
            table: access.table,
            names,
            order,
            text: self.mode == ExampleMode::Text,
        })
    }

    fn export(
        &self,
        mapper: &ExMapper<'_, J>,
        partial: Self::Partial,
        inputs: &InputList,
    ) -> Result<Keyed<Ex<J::State>>> {
        let inner = self.inner.export(&mapper.inner, partial.rest, inputs)?;
        let mut meta = inner.meta;
        meta.example.lines.extend(partial.lines);
        let mut table = partial.table;
        let all = self
            .names
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .2
            .clone();
        meta.example.runs.insert(all);
        for (k, s) in inner.table.into_entries() {
            table.entry(&k).state.merge(s);
        }
        Ok(Keyed { table, meta })
    }

    /// The line index canonical (one range per contiguous run of an input), so partial bytes
    /// do not depend on -j or --chunk-size, and the examples rebased onto it.
    fn canonical(&self, keyed: Keyed<Ex<J::State>>) -> Keyed<Ex<J::State>> {
        let Keyed {
            mut table,
            mut meta,
        } = keyed;
        let (lines, rebase) = coalesce(std::mem::take(&mut meta.example.lines));
        meta.example.lines = lines;
        table.for_each_mut(|_, ex| rebase.ex(ex));
        Keyed { table, meta }
    }

    fn spill_access() -> Option<TableAccess<Self::Partial, Self::State>> {
        // A job whose own partial does not spill (grep: a few rows, written by the job) does
        // not spill with examples either.
        J::spill_access().map(|_| TableAccess {
            table: |p: &mut Self::Partial| &mut p.table,
            table_ref: |p: &Self::Partial| &p.table,
        })
    }

    fn example_access() -> Option<TableAccess<Self::Partial, Self::State>> {
        J::example_access().map(|_| TableAccess {
            table: |p: &mut Self::Partial| &mut p.table,
            table_ref: |p: &Self::Partial| &p.table,
        })
    }

    fn key_fields(&self) -> usize {
        self.inner.key_fields()
    }

    fn key_parts<'k>(&self, key: &'k [u8]) -> Vec<std::borrow::Cow<'k, [u8]>> {
        self.inner.key_parts(key)
    }

    fn key_columns(&self) -> Vec<String> {
        self.inner.key_columns()
    }

    fn time_only(&self) -> bool {
        self.inner.time_only()
    }

    fn count(state: &Ex<J::State>) -> u64 {
        J::count(&state.state)
    }

    fn value_columns(&self) -> Vec<String> {
        self.inner.value_columns()
    }

    fn value_cells(&self, state: &Ex<J::State>) -> Result<Vec<String>> {
        self.inner.value_cells(&state.state)
    }

    fn extra_columns(&self) -> Vec<String> {
        self.columns()
    }

    fn extra_cells(&self, resolver: &Resolver, state: &Ex<J::State>) -> Vec<Vec<u8>> {
        cells(resolver, state, self.mode)
    }

    fn finish(
        &self,
        keyed: Keyed<Ex<J::State>>,
        shown: Shown<'_>,
        out: &mut dyn Write,
    ) -> Result<Outcome> {
        let resolver = keyed.meta.example.resolver();
        let total = self.inner.example_total();
        let mut all: Ex<u64> = Ex::default();
        // The states go to the job; the examples stay in their table, found by key when the
        // job writes a row (only rows written are turned into cells).
        let mut examples = keyed.table;
        let table = examples.map_states(|ex| {
            if total {
                all.merge(ex.with_state(0));
            }
            std::mem::take(&mut ex.state)
        });
        // The row over all keys (grep's total) shows the first example of all.
        let all = total.then(|| cells(&resolver, &all, self.mode));
        let plain = Keyed {
            table,
            meta: keyed.meta,
        };
        let shown = Shown {
            emit: self.emit_with_columns(shown.emit),
            ..shown
        };
        let hook = ExampleHook {
            examples,
            resolver,
            mode: self.mode,
            all,
        };
        let done = with_row_hook(hook, || self.inner.finish(plain, shown, out));
        clear_cells();
        done
    }

    fn write_rows(
        &self,
        meta: Meta,
        rows: Rows<Ex<J::State>>,
        emit: EmitOptions,
        out: &mut dyn Write,
    ) -> Result<Outcome> {
        let resolver = meta.example.resolver();
        let mode = self.mode;
        let plain: Rows<J::State> = Rows::Stream(Box::new(move |f| {
            rows.for_each(|k, ex| {
                fill_cells(mode.columns(), |out| write_cells(&resolver, ex, out));
                let done = f(k, &ex.state);
                clear_cells();
                done
            })
        }));
        let done = self
            .inner
            .write_rows(meta, plain, self.emit_with_columns(emit), out);
        clear_cells();
        done
    }
}
