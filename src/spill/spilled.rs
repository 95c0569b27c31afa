//! The spilled result: runs merged back per partition and streamed in the final order
//! (key order, count order by external sort, or `--top N` by bounded heaps).

use super::kmerge::{Batch, BatchCursor, Cursor, Merger, RowOrder, RunCursor};
use super::run::{Run, RunWriter, TempFiles};
use super::{BATCH_ROWS, MAX_FANIN};
use crate::aggregate::State;
use crate::error::Error;
use crate::error::Result;
use crate::order;
use crate::order::OrderOptions;
use crate::order::SortOrder;
use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::io::Read;
use std::marker::PhantomData;
use std::path::Path;
use std::sync::mpsc;

/// A job's result on disk: sorted runs to merge, streamed to output in any order.
pub struct Spilled<S> {
    pub(super) runs: Vec<Run>,
    pub(super) parts: usize,
    pub(super) files: TempFiles,
    pub(super) memory: usize,
    pub(super) compress: bool,
    /// The sum of the counts of every row written to the runs (rows of one key in several
    /// runs add up): the records the result counts.
    pub(super) counted: u64,
    pub(super) _state: PhantomData<S>,
}

/// The final order of spilled rows.
pub struct RowsOrder<S> {
    /// Count or key order, and `--top`.
    pub order: OrderOptions,
    /// The count that ranks a state in count order.
    pub count: fn(&S) -> u64,
    /// The error for a row whose count saturated, when such rows must fail the run (rows
    /// merged from partial files).
    pub refuse_saturated: Option<fn(&[u8]) -> Error>,
}

impl<S> Clone for RowsOrder<S> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<S> Copy for RowsOrder<S> {}

impl<S> RowsOrder<S> {
    /// The same order, failing with `error(key)` on a saturated count (see
    /// [`crate::aggregate::Merge::saturated`]).
    pub fn refusing_saturated(self, error: fn(&[u8]) -> Error) -> Self {
        RowsOrder {
            refuse_saturated: Some(error),
            ..self
        }
    }

    /// The order of `opts`, ranking states by `count`.
    pub fn new(opts: impl Into<OrderOptions>, count: fn(&S) -> u64) -> Self {
        RowsOrder {
            order: opts.into(),
            count,
            refuse_saturated: None,
        }
    }

    /// Key order, every row (partial output).
    pub fn by_key(count: fn(&S) -> u64) -> Self {
        RowsOrder {
            order: OrderOptions {
                sort: SortOrder::Key,
                top: None,
                top_per: None,
            },
            count,
            refuse_saturated: None,
        }
    }
}

/// What a partition thread does with its merged rows.
pub(super) enum PartitionPlan {
    Stream,
    Top(usize),
    Sort,
}

impl<S: State> Spilled<S> {
    /// The sum of the counts of every row: the records the result counts.
    pub fn counted(&self) -> u64 {
        self.counted
    }

    /// How many runs the map wrote (the last, from the merged result, included).
    pub fn runs(&self) -> usize {
        self.runs.len()
    }

    /// The spill options of this result (its memory limit, temporary directory and
    /// compression), for another table built from it that must spill alike.
    pub fn options(&self) -> super::SpillOptions {
        super::SpillOptions {
            memory: self.memory,
            temp_dir: self.files.dir.clone(),
            compress: self.compress,
        }
    }

    /// Calls `f` with every row in `order`, equal keys merged; stops at the first error.
    pub fn for_each(
        mut self,
        order: RowsOrder<S>,
        f: impl FnMut(&[u8], &S) -> Result<()>,
    ) -> Result<()> {
        self.scan(order, f)
    }

    /// [`Spilled::for_each`], keeping the runs, so the result can be read again (a report's
    /// chart reads it before its rows are written).
    pub fn scan(
        &mut self,
        order: RowsOrder<S>,
        mut f: impl FnMut(&[u8], &S) -> Result<()>,
    ) -> Result<()> {
        self.reduce_fanin()?;
        let limit = order.order.limit();
        if limit == 0 {
            return Ok(());
        }
        let parts = self.parts;
        // Half the budget to read buffers, half to the external sort (or top heaps).
        let readers = (self.runs.len() * parts).max(1);
        let buf = (self.memory / 2 / readers).clamp(4 << 10, 1 << 20);
        let sort_budget = (self.memory / 2 / parts).max(1 << 16);
        let row_bytes = std::mem::size_of::<S>() + 96;
        let plan = match (order.order.sort, order.order.top) {
            (SortOrder::Key, _) => PartitionPlan::Stream,
            (SortOrder::Count, Some(n)) if n.saturating_mul(row_bytes) <= sort_budget => {
                PartitionPlan::Top(n)
            }
            (SortOrder::Count, _) => PartitionPlan::Sort,
        };
        let final_order = match order.order.sort {
            SortOrder::Key => RowOrder::Key,
            SortOrder::Count => RowOrder::Count(order.count),
        };
        let this = &*self;
        let plan = &plan;
        std::thread::scope(|scope| -> Result<()> {
            let mut receivers = Vec::with_capacity(parts);
            for p in 0..parts {
                let (tx, rx) = mpsc::sync_channel::<Result<Batch<S>>>(2);
                receivers.push(rx);
                std::thread::Builder::new()
                    .name(format!("logmill-merge-{p}"))
                    .spawn_scoped(scope, move || {
                        let sent = this.merge_partition(p, buf, sort_budget, plan, order, &tx);
                        if let Err(e) = sent {
                            let _ = tx.send(Err(e));
                        }
                    })
                    .map_err(|e| this.files.err(e))?;
            }
            let cursors: Vec<_> = receivers
                .into_iter()
                .map(|rx| BatchCursor::new(rx.into_iter()))
                .collect();
            // Partitions hold disjoint keys: rows pass straight through, nothing to combine.
            let mut merger = Merger::new(cursors, final_order)?;
            let mut n = 0usize;
            let mut each = |key: &[u8], state: &S| {
                if let Some(error) = order.refuse_saturated.filter(|_| state.saturated()) {
                    return Err(error(key));
                }
                f(key, state)
            };
            while n < limit && merger.pass_top(&mut each)? {
                n += 1;
            }
            // Dropping the merger closes the channels: partition threads still sending stop.
            Ok(())
        })
    }

    /// Merges partition `p` of every run and sends its rows, in the final order, to `tx`.
    pub(super) fn merge_partition(
        &self,
        p: usize,
        buf: usize,
        sort_budget: usize,
        plan: &PartitionPlan,
        order: RowsOrder<S>,
        tx: &mpsc::SyncSender<Result<Batch<S>>>,
    ) -> Result<()> {
        let cursors = self
            .runs
            .iter()
            .map(|r| RunCursor::open(r, p, buf, &self.files.dir))
            .collect::<Result<Vec<_>>>()?;
        let mut merger = Merger::new(cursors, RowOrder::Key)?;
        let mut key = Vec::new();
        // A closed channel means the consumer has all it wants (or failed): stop quietly.
        let send = |b: Batch<S>| tx.send(Ok(b)).is_ok();
        match *plan {
            PartitionPlan::Stream => {
                let mut batch = Batch::new();
                while merger.next_into(&mut batch)? {
                    if batch.len() >= BATCH_ROWS
                        && !send(std::mem::replace(&mut batch, Batch::new()))
                    {
                        return Ok(());
                    }
                }
                send(batch);
            }
            PartitionPlan::Top(n) => {
                let mut heap: BinaryHeap<Ranked<S>> = BinaryHeap::with_capacity(n + 1);
                while let Some(state) = merger.next_row(&mut key)? {
                    let count = (order.count)(&state);
                    if heap.len() == n {
                        let worst = heap.peek().expect("n > 0");
                        // Not before the worst kept row in the final order: not kept.
                        if order::compare(
                            SortOrder::Count,
                            (count, &key),
                            (worst.count, &worst.key),
                        ) != Ordering::Less
                        {
                            continue;
                        }
                        heap.pop();
                    }
                    heap.push(Ranked {
                        count,
                        key: key.as_slice().into(),
                        state,
                    });
                }
                let mut batch = Batch::new();
                for r in heap.into_sorted_vec() {
                    batch.push(&r.key, r.state);
                }
                send(batch);
            }
            PartitionPlan::Sort => {
                let count = order.count;
                let mut sorted: Vec<Run> = Vec::new();
                let mut batch = Batch::new();
                while let Some(state) = merger.next_row(&mut key)? {
                    batch.push(&key, state);
                    if batch.bytes(24) >= sort_budget {
                        batch.sort_by_count(count);
                        sorted.push(self.write_batch(&batch)?);
                        batch = Batch::new();
                    }
                }
                drop(merger);
                batch.sort_by_count(count);
                if sorted.is_empty() {
                    send(batch);
                    return Ok(());
                }
                let rbuf = (sort_budget / 2 / sorted.len()).clamp(4 << 10, 1 << 20);
                let mut cursors: Vec<Box<dyn Cursor<S> + '_>> = sorted
                    .iter()
                    .map(|r| {
                        RunCursor::open(r, 0, rbuf, &self.files.dir)
                            .map(|c| Box::new(c) as Box<dyn Cursor<S>>)
                    })
                    .collect::<Result<_>>()?;
                cursors.push(Box::new(BatchCursor::new(std::iter::once(Ok(batch)))));
                let mut merger = Merger::new(cursors, RowOrder::Count(count))?;
                let mut out = Batch::new();
                while let Some(state) = merger.next_row(&mut key)? {
                    out.push(&key, state);
                    if out.len() >= BATCH_ROWS && !send(std::mem::replace(&mut out, Batch::new())) {
                        return Ok(());
                    }
                }
                send(out);
            }
        }
        Ok(())
    }

    /// Writes a sorted batch as a run of one section.
    pub(super) fn write_batch(&self, batch: &Batch<S>) -> Result<Run> {
        let mut w = RunWriter::create(&self.files, 1, self.compress)?;
        let io = |e| self.files.err(e);
        match &batch.order {
            Some(o) => {
                for &i in o {
                    w.push(0, batch.key(i as usize), &batch.states[i as usize])
                        .map_err(io)?;
                }
            }
            None => {
                for i in 0..batch.len() {
                    w.push(0, batch.key(i), &batch.states[i]).map_err(io)?;
                }
            }
        }
        w.finish().map_err(io)
    }

    /// Merges runs in groups until at most [`MAX_FANIN`] are left.
    pub(super) fn reduce_fanin(&mut self) -> Result<()> {
        while self.runs.len() > MAX_FANIN {
            let group: Vec<Run> = self.runs.drain(..MAX_FANIN).collect();
            let buf = (self.memory / 2 / MAX_FANIN).clamp(4 << 10, 1 << 20);
            let mut w = RunWriter::create(&self.files, self.parts, self.compress)?;
            let io = |e| self.files.err(e);
            let mut key = Vec::new();
            for p in 0..self.parts {
                let cursors = group
                    .iter()
                    .map(|r| RunCursor::<S>::open(r, p, buf, &self.files.dir))
                    .collect::<Result<Vec<_>>>()?;
                let mut merger = Merger::new(cursors, RowOrder::Key)?;
                while let Some(state) = merger.next_row(&mut key)? {
                    w.push(p, &key, &state).map_err(io)?;
                }
            }
            self.runs.push(w.finish().map_err(io)?);
        }
        Ok(())
    }
}

/// A row kept by a top-N heap; the greatest is the worst ranked (lowest count, then the
/// greatest key), so the heap's root is the one to drop.
pub(super) struct Ranked<S> {
    pub(super) count: u64,
    pub(super) key: Box<[u8]>,
    pub(super) state: S,
}

impl<S> PartialEq for Ranked<S> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl<S> Eq for Ranked<S> {}
impl<S> PartialOrd for Ranked<S> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<S> Ord for Ranked<S> {
    fn cmp(&self, other: &Self) -> Ordering {
        order::compare(
            SortOrder::Count,
            (self.count, &self.key),
            (other.count, &other.key),
        )
    }
}

/// A job's final rows: sorted in memory, or spilled runs merged as they are written.
pub enum Rows<S> {
    /// Already in final order.
    Memory(Vec<(Box<[u8]>, S)>),
    /// Merged from disk in the given order.
    Spilled(Spilled<S>, RowsOrder<S>),
    /// Rows in order from elsewhere (another state's rows seen through a wrapper job): the
    /// function calls its argument with each row.
    Stream(Box<StreamRows<S>>),
}

/// The function of [`Rows::Stream`].
pub type StreamRows<S> = dyn FnOnce(&mut dyn FnMut(&[u8], &S) -> Result<()>) -> Result<()>;

/// What is told each key before its row is handed on (see [`with_row_hook`]).
pub trait RowHook {
    /// The row of `key` is written next.
    fn row(&self, key: &[u8]);

    /// The rows of `keys` come next, in this order (each still told to [`RowHook::row`]): a
    /// hook that looks keys up may touch them all first, so that their cache misses overlap
    /// instead of each row waiting for its own. By default nothing.
    fn ahead(&self, _keys: &[&[u8]]) {}
}

thread_local! {
    static ROW_HOOK: std::cell::RefCell<Option<Box<dyn RowHook>>> =
        const { std::cell::RefCell::new(None) };
}

/// Runs `f` with `hook` told each key [`Rows::for_each`] hands on in this thread, before its
/// row (a wrapper job finds what it adds to the row that way).
pub fn with_row_hook<T>(hook: impl RowHook + 'static, f: impl FnOnce() -> T) -> T {
    let old = ROW_HOOK.with(|h| h.borrow_mut().replace(Box::new(hook)));
    let out = f();
    ROW_HOOK.with(|h| *h.borrow_mut() = old);
    out
}

/// Rows held in memory are told to the hook this many at a time ([`RowHook::ahead`]).
const AHEAD: usize = 16;

/// Tells the row hook (of [`with_row_hook`]) that the row of `key` is written next: for a job
/// that writes its rows itself (grep).
pub fn tell_hook(key: &[u8]) {
    with_hook(|hook| hook.row(key));
}

/// Tells the row hook which rows come next ([`RowHook::ahead`]).
fn tell_ahead(keys: &[&[u8]]) {
    with_hook(|hook| hook.ahead(keys));
}

/// Calls `f` with this thread's row hook, if one is set.
fn with_hook(f: impl FnOnce(&dyn RowHook)) {
    ROW_HOOK.with(|h| {
        if let Some(hook) = h.borrow().as_deref() {
            f(hook);
        }
    });
}

impl<S: State> Rows<S> {
    /// Calls `f` with each row in order; stops at the first error.
    pub fn for_each(self, mut f: impl FnMut(&[u8], &S) -> Result<()>) -> Result<()> {
        let mut f = |k: &[u8], s: &S| {
            tell_hook(k);
            f(k, s)
        };
        match self {
            Rows::Memory(rows) => {
                let mut keys: Vec<&[u8]> = Vec::with_capacity(AHEAD);
                for block in rows.chunks(AHEAD) {
                    keys.clear();
                    keys.extend(block.iter().map(|(k, _)| &**k));
                    tell_ahead(&keys);
                    block.iter().try_for_each(|(k, s)| f(k, s))?;
                }
                Ok(())
            }
            Rows::Spilled(s, order) => s.for_each(order, f),
            Rows::Stream(g) => g(&mut f),
        }
    }
}

/// Reads a run section held in memory, as the merge reads spilled runs, and returns its rows;
/// any bytes give rows or an error, never a panic or an allocation of what a corrupt length
/// claims (for the `spill_run` fuzz target and its regression replay).
#[doc(hidden)]
pub fn read_run_section<S: State>(data: &[u8]) -> Result<Vec<(Vec<u8>, S)>> {
    let dir = Path::new("<memory>");
    let inner: Box<dyn Read + Send + '_> = Box::new(data);
    let mut c: RunCursor<'_, S> = RunCursor::from_reader(inner, data.len() as u64, 64, dir);
    let mut rows = Vec::new();
    while c.advance()? {
        rows.push((c.key().to_vec(), c.take_state()));
    }
    Ok(rows)
}
