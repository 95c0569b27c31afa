//! Spilling: bounded memory at any key cardinality, as a MapReduce shuffle does it.
//!
//! When the workers' keyed partials would pass `--memory` (see `engine/budget.rs`), a worker
//! sorts its table by partition then key and writes it as a *run*: one temporary file holding `parts`
//! sorted sections, a key's section chosen by its hash. At the end the runs are merged back:
//! one thread per partition streams a k-way merge of that partition's sections (equal keys
//! merged), and the calling thread merges the partitions' outputs into the final order:
//!
//! - key order comes free from the merge;
//! - `--top N` by count keeps a bounded heap per partition;
//! - the full count order is an external sort: each partition sorts its merged rows by
//!   (count descending, key) in memory-bounded buffers, writes full buffers as sorted runs, and
//!   merges them back.
//!
//! Run format: per entry, the key's length as a LEB128 varint, the key's bytes, the state's
//! length as a varint and the state in postcard (a varint for a `u64` count), written through
//! a buffered writer; with compression each section is one zstd frame. Temporary files are
//! created in `--temp-dir`, registered with [`crate::signals`] while they have a name, and
//! unlinked at once: the open descriptor is all that is left, so the kernel frees the space
//! when logmill exits however it exits (success, error, SIGINT, SIGTERM, even SIGKILL).
//!
//! Here: [`SpillOptions`] and [`TableSpiller`] (the engine's [`Spiller`]); `run.rs` writes and
//! reads runs; `kmerge.rs` merges sorted streams; `spilled.rs` streams the result in the order
//! `crate::order` defines; `memory.rs` resolves `--memory`.

mod kmerge;
pub mod memory;
mod run;
mod spilled;

use std::marker::PhantomData;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering as Atomic};
use std::sync::{Mutex, PoisonError};

use crate::aggregate::{key_hash, KeyedTable, State, SORT_ENTRY_BYTES};
use crate::engine::{Budget, Spiller};
use crate::error::{Error, Result};

use run::{Run, RunWriter, TempFiles};
pub use spilled::{
    read_run_section, tell_hook, with_row_hook, RowHook, Rows, RowsOrder, Spilled, StreamRows,
};

/// Most runs merged at once; more are first merged in groups into bigger runs, so the read
/// buffers of a merge stay bounded.
const MAX_FANIN: usize = 64;
/// Most partitions of a run (and merge threads).
const MAX_PARTS: usize = 256;
/// Write buffer of a run.
const WRITE_BUF: usize = 256 << 10;
/// Rows a partition thread hands to the final merge at once.
const BATCH_ROWS: usize = 4096;
/// zstd level for runs: the fastest, since runs are read back once.
const ZSTD_LEVEL: i32 = 1;
/// zstd window for runs (2^17 = 128 KiB): every open section holds one while merging.
const ZSTD_WINDOW_LOG: u32 = 17;

/// How a run spills: the memory limit, where temporary files go, and whether they are
/// compressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpillOptions {
    /// The memory limit in bytes (`--memory`).
    pub memory: usize,
    /// The directory of temporary files (`--temp-dir`, default the system's).
    pub temp_dir: PathBuf,
    /// Compress runs with zstd (`--compress-temp`).
    pub compress: bool,
}

impl Default for SpillOptions {
    fn default() -> Self {
        SpillOptions {
            memory: crate::spill::memory::default_memory(),
            temp_dir: std::env::temp_dir(),
            compress: false,
        }
    }
}

/// The partition of a key among `parts`: from the high half of its hash (the table's bucket
/// index uses the low bits).
#[inline]
pub fn partition(key: &[u8], parts: usize) -> usize {
    (((key_hash(key) >> 32) * parts as u64) >> 32) as usize
}

/// The spiller of a partial whose keyed part is a [`KeyedTable`] (reached through `table`);
/// the rest of the partial (job-wide facts) stays in memory.
pub struct TableSpiller<P, S> {
    table: fn(&mut P) -> &mut KeyedTable<S>,
    table_ref: fn(&P) -> &KeyedTable<S>,
    count: fn(&S) -> u64,
    budget: Budget,
    threads: usize,
    parts: usize,
    files: TempFiles,
    compress: bool,
    runs: Mutex<Vec<Run>>,
    error: Mutex<Option<Error>>,
    failed: AtomicBool,
    /// The sum of the counts of every row written to a run.
    counted: std::sync::atomic::AtomicU64,
}

impl<P: Send, S: State> TableSpiller<P, S> {
    /// A spiller for partials of `threads` workers, with runs of one partition per thread;
    /// `count` tells how many keys seen a state stands for.
    pub fn new(
        opts: &SpillOptions,
        threads: usize,
        table: fn(&mut P) -> &mut KeyedTable<S>,
        table_ref: fn(&P) -> &KeyedTable<S>,
        count: fn(&S) -> u64,
    ) -> TableSpiller<P, S> {
        let threads = threads.max(1);
        TableSpiller {
            table,
            table_ref,
            count,
            budget: Budget::new(opts.memory),
            threads,
            // One merge thread per partition; partitions are numbered in a byte when sorted.
            parts: threads.min(MAX_PARTS),
            files: TempFiles::new(&opts.temp_dir),
            compress: opts.compress,
            runs: Mutex::new(Vec::new()),
            error: Mutex::new(None),
            failed: AtomicBool::new(false),
            counted: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// The first spill error, if any.
    pub fn take_error(&self) -> Option<Error> {
        self.error
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    /// True when `p` (the merged result of the map) must go to disk: runs exist already, or
    /// ordering it in memory for output would pass the limit.
    pub fn must_spill_result(&self, p: &P) -> bool {
        let t = (self.table_ref)(p);
        // Output sorts boxed rows: a (key, state) pair and a key allocation per key.
        let rows = t.len() * (std::mem::size_of::<(Box<[u8]>, S)>() + 32);
        self.spilled() || t.mem_bytes().saturating_add(rows) > self.budget.limit()
    }

    /// Spills what is left of `p`'s table and hands over every run for the merge. A failed
    /// spill is returned as the error.
    pub fn into_spilled(self, p: &mut P) -> Result<Spilled<S>> {
        self.spill(p);
        if let Some(e) = self.take_error() {
            return Err(e);
        }
        Ok(Spilled {
            runs: self
                .runs
                .into_inner()
                .unwrap_or_else(PoisonError::into_inner),
            parts: self.parts,
            files: self.files,
            memory: self.budget.limit(),
            compress: self.compress,
            counted: self.counted.load(Atomic::Relaxed),
            _state: PhantomData,
        })
    }

    /// Writes `t` as a run and empties it; also returns how many keys the run stood for (keys
    /// seen, duplicates included) and how many distinct keys it holds.
    fn write_table(&self, t: &mut KeyedTable<S>) -> Result<(Run, u64, u64)> {
        let counted = &self.counted;
        let mut w = RunWriter::create(&self.files, self.parts, self.compress)?;
        let parts = self.parts;
        let appending = t.is_appending();
        let mut seen = 0u64;
        let count = self.count;
        let (slots, rows) = t
            .drain_sorted(
                parts,
                |k| partition(k, parts),
                |p, key, state| {
                    seen = seen.saturating_add(count(state));
                    w.push(p, key, state)
                },
            )
            .map_err(|e| self.files.err(e))?;
        counted.fetch_add(seen, Atomic::Relaxed);
        // In append mode every key seen took a slot.
        let seen = if appending { slots as u64 } else { seen };
        let run = w.finish().map_err(|e| self.files.err(e))?;
        Ok((run, seen, rows as u64))
    }

    /// After a spill of `seen` keys of which `distinct` differed: hash the next keys when
    /// they repeat (at least half of them do), append them when nearly all are new.
    fn choose_mode(&self, t: &mut KeyedTable<S>, seen: u64, distinct: u64) {
        if t.is_appending() {
            if seen > distinct.saturating_mul(2) {
                t.set_appending(false, 0);
            }
        } else if seen.saturating_mul(4) <= distinct.saturating_mul(5) {
            // A quarter of this worker's share stays free for a chunk's keys and for what the
            // budget does not see (input pages, buffers).
            let share = self.budget.limit() / self.threads;
            let slots = share / 4 * 3 / KeyedTable::<S>::slot_bytes().max(1);
            // The drained table is empty; switching frees its hash allocation.
            t.set_appending(true, slots);
        }
    }
}

impl<P: Send, S: State> Spiller<P> for TableSpiller<P, S> {
    fn budget(&self) -> &Budget {
        &self.budget
    }

    fn mem_bytes(&self, p: &P) -> usize {
        let t = (self.table_ref)(p);
        t.mem_bytes() + t.sort_bytes()
    }

    fn growth(&self, p: &P, chunk_len: usize) -> usize {
        // Keys come from disjoint non-empty pieces of the chunk, mostly with a separator
        // between them: at most about one new key per two bytes.
        let keys = chunk_len / 2 + 256;
        let t = (self.table_ref)(p);
        let sort = if t.is_appending() {
            0
        } else {
            keys * SORT_ENTRY_BYTES
        };
        t.growth_bytes(keys, chunk_len) + sort
    }

    fn merge_growth(&self, a: &P, b: &P) -> usize {
        let (a, b) = ((self.table_ref)(a), (self.table_ref)(b));
        let (big, small) = if a.len() >= b.len() { (a, b) } else { (b, a) };
        big.growth_bytes(small.len(), 0)
    }

    fn worth_spilling(&self, p: &P) -> bool {
        let t = (self.table_ref)(p);
        !t.is_empty() && t.fill_bytes() + t.sort_bytes() >= self.budget.limit() / (4 * self.threads)
    }

    fn spill(&self, p: &mut P) {
        if self.failed() {
            return;
        }
        let t = (self.table)(p);
        if t.is_empty() {
            return;
        }
        match self.write_table(t) {
            Ok((run, seen, distinct)) => {
                self.runs
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(run);
                self.choose_mode(t, seen, distinct);
            }
            Err(e) => {
                self.failed.store(true, Atomic::Relaxed);
                let mut slot = self.error.lock().unwrap_or_else(PoisonError::into_inner);
                slot.get_or_insert(e);
            }
        }
        // Keep the allocation for the refill (no growth, no second table during a move),
        // unless it alone is more than this worker's share.
        if t.mem_bytes() > self.budget.limit() / self.threads {
            *t = KeyedTable::default();
        } else {
            t.clear();
        }
    }

    fn failed(&self) -> bool {
        self.failed.load(Atomic::Relaxed)
    }

    fn spilled(&self) -> bool {
        !self
            .runs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::kmerge::{Batch, BatchCursor, Merger, RowOrder};
    use super::run::{put_varint, Bytes};
    use super::*;
    use crate::order::OrderOptions;
    use std::collections::BTreeMap;
    use std::path::Path;

    fn opts(memory: usize, compress: bool, dir: &Path) -> SpillOptions {
        SpillOptions {
            memory,
            temp_dir: dir.to_path_buf(),
            compress,
        }
    }

    fn tables(n: usize, keys: u64) -> Vec<KeyedTable<u64>> {
        (0..n)
            .map(|t| {
                let mut k = KeyedTable::default();
                for i in 0..keys {
                    let key = format!(
                        "k{:05}{}",
                        (i * 7 + t as u64 * 13) % (keys * 2),
                        "x".repeat((i % 30) as usize)
                    );
                    *k.entry(key.as_bytes()) += i % 5 + 1;
                }
                k
            })
            .collect()
    }

    fn expected(ts: &[KeyedTable<u64>]) -> BTreeMap<Vec<u8>, u64> {
        let mut m = BTreeMap::new();
        for t in ts {
            for (k, c) in t.iter() {
                *m.entry(k.to_vec()).or_insert(0) += c;
            }
        }
        m
    }

    fn spill_all(ts: Vec<KeyedTable<u64>>, threads: usize, o: &SpillOptions) -> Spilled<u64> {
        let s: TableSpiller<KeyedTable<u64>, u64> =
            TableSpiller::new(o, threads, |t| t, |t| t, |c| *c);
        let mut last = KeyedTable::default();
        for mut t in ts {
            s.spill(&mut t);
            assert!(t.is_empty());
        }
        assert!(s.spilled());
        s.into_spilled(&mut last).unwrap()
    }

    fn collect(sp: Spilled<u64>, order: RowsOrder<u64>) -> Vec<(Vec<u8>, u64)> {
        let mut v = Vec::new();
        sp.for_each(order, |k, c| {
            v.push((k.to_vec(), *c));
            Ok(())
        })
        .unwrap();
        v
    }

    #[test]
    fn varints_round_trip() {
        for v in [0u64, 1, 127, 128, 300, u32::MAX as u64, u64::MAX] {
            let mut b = Vec::new();
            put_varint(&mut b, v);
            let mut r = Bytes::new(&b[..], 64);
            assert_eq!(r.varint().unwrap(), Some(v));
            assert_eq!(r.varint().unwrap(), None);
        }
    }

    #[test]
    fn runs_round_trip_plain_and_compressed() {
        let dir = tempfile::tempdir().unwrap();
        for compress in [false, true] {
            let o = opts(1 << 20, compress, dir.path());
            let ts = tables(1, 3000);
            let want = expected(&ts);
            let sp = spill_all(ts, 3, &o);
            assert_eq!(sp.runs(), 1);
            let got = collect(sp, RowsOrder::by_key(|c| *c));
            let want: Vec<_> = want.into_iter().collect();
            assert_eq!(got, want, "compress {compress}");
        }
        // Every run file was unlinked at once.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn k_way_merge_in_every_order() {
        let dir = tempfile::tempdir().unwrap();
        let ts = tables(5, 2000);
        let want = expected(&ts);
        let by_key: Vec<_> = want.clone().into_iter().collect();
        let mut by_count = by_key.clone();
        by_count.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        for (threads, memory) in [(1, 1 << 20), (2, 1 << 16), (4, 1 << 12)] {
            let o = opts(memory, false, dir.path());
            let key = collect(
                spill_all(ts.clone(), threads, &o),
                RowsOrder::by_key(|c| *c),
            );
            assert_eq!(key, by_key);
            let count_opts = OrderOptions::default();
            let got = collect(
                spill_all(ts.clone(), threads, &o),
                RowsOrder::new(count_opts, |c| *c),
            );
            assert_eq!(got, by_count, "{threads} {memory}");
            for top in [0, 1, 7, 100, 100_000] {
                let got = collect(
                    spill_all(ts.clone(), threads, &o),
                    RowsOrder::new(
                        OrderOptions {
                            top: Some(top),
                            ..count_opts
                        },
                        |c| *c,
                    ),
                );
                assert_eq!(got, by_count[..top.min(by_count.len())], "top {top}");
            }
        }
    }

    #[test]
    fn many_runs_are_merged_in_groups() {
        let dir = tempfile::tempdir().unwrap();
        let ts = tables(MAX_FANIN + 9, 50);
        let want: Vec<_> = expected(&ts).into_iter().collect();
        let o = opts(1 << 20, true, dir.path());
        let sp = spill_all(ts, 2, &o);
        assert_eq!(sp.runs(), MAX_FANIN + 9);
        assert_eq!(collect(sp, RowsOrder::by_key(|c| *c)), want);
    }

    #[test]
    fn a_missing_temp_dir_is_an_error_naming_it() {
        let o = opts(1 << 20, false, Path::new("/nonexistent/logmill-spill"));
        let s: TableSpiller<KeyedTable<u64>, u64> = TableSpiller::new(&o, 1, |t| t, |t| t, |c| *c);
        let mut t = tables(1, 10).pop().unwrap();
        s.spill(&mut t);
        assert!(s.failed());
        let e = s.take_error().unwrap().to_string();
        assert!(e.contains("/nonexistent/logmill-spill"), "{e}");
    }

    #[test]
    fn loser_tree_merges_any_number_of_runs() {
        let dir = tempfile::tempdir().unwrap();
        for n in 1..=9 {
            let ts = tables(n, 300 + 17 * n as u64);
            let by_key: Vec<_> = expected(&ts).into_iter().collect();
            let mut by_count = by_key.clone();
            by_count.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            let o = opts(1 << 20, false, dir.path());
            let key = collect(spill_all(ts.clone(), 3, &o), RowsOrder::by_key(|c| *c));
            assert_eq!(key, by_key, "{n} runs");
            let count = collect(
                spill_all(ts, 3, &o),
                RowsOrder::new(OrderOptions::default(), |c| *c),
            );
            assert_eq!(count, by_count, "{n} runs");
        }
        // No cursors at all.
        type Cursors = BatchCursor<u64, std::vec::IntoIter<Result<Batch<u64>>>>;
        let mut m: Merger<u64, Cursors> = Merger::new(Vec::new(), RowOrder::Key).unwrap();
        assert!(m.next_row(&mut Vec::new()).unwrap().is_none());
    }

    #[test]
    fn spilling_switches_to_appending_for_new_keys_and_back_for_repeats() {
        let dir = tempfile::tempdir().unwrap();
        let o = opts(1 << 20, false, dir.path());
        let s: TableSpiller<KeyedTable<u64>, u64> = TableSpiller::new(&o, 1, |t| t, |t| t, |c| *c);
        let mut t = KeyedTable::default();
        let mut want: BTreeMap<Vec<u8>, u64> = BTreeMap::new();
        let mut add = |t: &mut KeyedTable<u64>, k: String| {
            *t.entry(k.as_bytes()) += 1;
            *want.entry(k.into_bytes()).or_default() += 1;
        };
        // Every key new: the next keys are appended.
        for i in 0..1000 {
            add(&mut t, format!("id{i:06}"));
        }
        s.spill(&mut t);
        assert!(t.is_appending());
        // Appended keys that repeat (and some seen before): back to hashing after the spill.
        for i in 0..3000 {
            add(&mut t, format!("id{:06}", i % 700));
        }
        assert_eq!(t.len(), 3000);
        s.spill(&mut t);
        assert!(!t.is_appending());
        for i in 0..500 {
            add(&mut t, format!("k{}", i % 50));
        }
        let sp = s.into_spilled(&mut t).unwrap();
        assert_eq!(sp.runs(), 3);
        let got = collect(sp, RowsOrder::by_key(|c| *c));
        assert_eq!(got, want.into_iter().collect::<Vec<_>>());
    }

    #[test]
    fn batches_sort_by_count_then_key() {
        let mut b: Batch<u64> = Batch::new();
        let mut want = Vec::new();
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for i in 0..5000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let c = match i % 4 {
                0 => x % 3,
                1 => x % 300,
                2 => x >> (x % 64),
                _ => u64::MAX - x % 2,
            };
            let key = format!("k{i:06}");
            b.push(key.as_bytes(), c);
            want.push((key.into_bytes(), c));
        }
        b.sort_by_count(|c| *c);
        want.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let order = b.order.clone().unwrap();
        let got: Vec<_> = order
            .iter()
            .map(|&i| (b.key(i as usize).to_vec(), b.states[i as usize]))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn corrupt_runs_are_errors_not_allocations() {
        let rows = read_run_section::<u64>(b"\x02k1\x01\x05\x02k2\x02\xac\x02").unwrap();
        assert_eq!(rows, vec![(b"k1".to_vec(), 5), (b"k2".to_vec(), 300)]);
        assert!(read_run_section::<u64>(b"").unwrap().is_empty());
        // A key length far past the section: refused before anything is allocated.
        let e = read_run_section::<u64>(b"\xff\xff\xff\xff\xff\xff\xff\xff\x01")
            .unwrap_err()
            .to_string();
        assert!(e.contains("corrupt spill run"), "{e}");
        let e = read_run_section::<u64>(b"\x02k1\x09\x05")
            .unwrap_err()
            .to_string();
        assert!(e.contains("corrupt spill run"), "{e}");
        assert!(read_run_section::<u64>(b"\x02k1\x01").is_err());
        assert!(read_run_section::<u64>(b"\x02k").is_err());
    }
}
