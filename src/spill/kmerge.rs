//! Merging sorted streams: cursors over run sections and in-memory batches, and the
//! loser-tree k-way merger that combines equal keys.

use super::run::{truncated, Bytes, Run, Section};
use super::ZSTD_WINDOW_LOG;
use crate::aggregate::Merge;
use crate::aggregate::State;
use crate::error::Error;
use crate::error::Result;
use crate::order;
use crate::order::SortOrder;
use std::cmp::Ordering;
use std::io;
use std::io::Read;
use std::path::Path;

/// A sorted stream of rows with a current row.
pub(super) trait Cursor<S> {
    /// Loads the next row; false at the end.
    fn advance(&mut self) -> Result<bool>;
    fn key(&self) -> &[u8];
    fn state(&self) -> &S;
    fn take_state(&mut self) -> S;
}

impl<S, C: Cursor<S> + ?Sized> Cursor<S> for Box<C> {
    fn advance(&mut self) -> Result<bool> {
        (**self).advance()
    }
    fn key(&self) -> &[u8] {
        (**self).key()
    }
    fn state(&self) -> &S {
        (**self).state()
    }
    fn take_state(&mut self) -> S {
        (**self).take_state()
    }
}

/// The rows of one section of a run.
pub(super) struct RunCursor<'a, S> {
    pub(super) bytes: Bytes<Box<dyn Read + Send + 'a>>,
    /// The section's length before compression: no entry reaches past it.
    pub(super) raw_len: u64,
    /// The current key is `bytes.buf[bytes.pin..][..key_len]`: read in place, never copied.
    pub(super) key_len: usize,
    pub(super) state: S,
    pub(super) files_dir: &'a Path,
}

impl<'a, S: State> RunCursor<'a, S> {
    pub(super) fn open(run: &'a Run, part: usize, buf: usize, dir: &'a Path) -> Result<Self> {
        let (pos, end) = run.parts[part];
        let section = Section {
            file: &run.file,
            pos,
            end,
        };
        let inner: Box<dyn Read + Send + 'a> = if run.compressed && end > pos {
            let mut d = zstd::Decoder::with_buffer(io::BufReader::with_capacity(buf, section))
                .map_err(|source| Error::Spill {
                    dir: dir.to_path_buf(),
                    source,
                })?;
            d.window_log_max(ZSTD_WINDOW_LOG)
                .map_err(|source| Error::Spill {
                    dir: dir.to_path_buf(),
                    source,
                })?;
            Box::new(d)
        } else {
            Box::new(section)
        };
        Ok(RunCursor::from_reader(inner, run.raw[part], buf, dir))
    }

    /// A cursor over the entries of `raw_len` bytes coming out of `inner`.
    pub(super) fn from_reader(
        inner: Box<dyn Read + Send + 'a>,
        raw_len: u64,
        buf: usize,
        dir: &'a Path,
    ) -> Self {
        RunCursor {
            bytes: Bytes::new(inner, buf),
            raw_len,
            key_len: 0,
            state: S::default(),
            files_dir: dir,
        }
    }

    /// `len` as a length of the rest of the section, or an error when the section is shorter
    /// (a corrupt run must not make the reader allocate what its lengths claim).
    pub(super) fn fits(&self, len: u64) -> io::Result<usize> {
        let left = self.raw_len.saturating_sub(self.bytes.consumed);
        if len > left {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("corrupt spill run: an entry of {len} bytes with {left} left"),
            ));
        }
        usize::try_from(len).map_err(|_| truncated())
    }

    pub(super) fn read_next(&mut self) -> io::Result<bool> {
        // The previous key may be dropped from the buffer now.
        self.bytes.pin = usize::MAX;
        let Some(klen) = self.bytes.varint()? else {
            return Ok(false);
        };
        let klen = self.fits(klen)?;
        if !self.bytes.ensure(klen)? {
            return Err(truncated());
        }
        self.bytes.pin = self.bytes.pos;
        self.bytes.pos += klen;
        self.bytes.consumed += klen as u64;
        self.key_len = klen;
        let slen = self.bytes.varint()?.ok_or_else(truncated)?;
        let slen = self.fits(slen)?;
        let raw = self.bytes.take(slen)?;
        self.state =
            postcard::from_bytes(raw).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        Ok(true)
    }
}

impl<S: State> Cursor<S> for RunCursor<'_, S> {
    fn advance(&mut self) -> Result<bool> {
        self.read_next().map_err(|source| Error::Spill {
            dir: self.files_dir.to_path_buf(),
            source,
        })
    }
    #[inline]
    fn key(&self) -> &[u8] {
        let at = self.bytes.pin;
        if at == usize::MAX {
            return &[];
        }
        &self.bytes.buf[at..at + self.key_len]
    }
    fn state(&self) -> &S {
        &self.state
    }
    fn take_state(&mut self) -> S {
        std::mem::take(&mut self.state)
    }
}

/// Rows in memory: keys end to end, one state each, visited in `order` when set.
pub(super) struct Batch<S> {
    pub(super) keys: Vec<u8>,
    pub(super) ends: Vec<usize>,
    pub(super) states: Vec<S>,
    pub(super) order: Option<Vec<u32>>,
}

impl<S> Batch<S> {
    pub(super) fn new() -> Self {
        Batch {
            keys: Vec::new(),
            ends: Vec::new(),
            states: Vec::new(),
            order: None,
        }
    }

    pub(super) fn push(&mut self, key: &[u8], state: S) {
        self.keys.extend_from_slice(key);
        self.ends.push(self.keys.len());
        self.states.push(state);
    }

    pub(super) fn len(&self) -> usize {
        self.states.len()
    }

    pub(super) fn key(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.keys[start..self.ends[i]]
    }

    /// Bytes held (for the external sort's budget), with `extra` per row for its order entry.
    pub(super) fn bytes(&self, extra: usize) -> usize {
        self.keys.capacity()
            + self.ends.capacity() * 8
            + self.states.capacity() * (std::mem::size_of::<S>() + extra)
    }

    /// Orders the rows by (count descending, key). The rows must be in key order already (as
    /// a partition's merge yields them): a stable sort by count keeps that order among equal
    /// counts, so this is an LSD radix sort on the counts' bytes, skipping the bytes all counts
    /// share (one pass when every count is below 256).
    pub(super) fn sort_by_count(&mut self, count: fn(&S) -> u64) {
        debug_assert!((1..self.len()).all(|i| self.key(i - 1) < self.key(i)));
        let ranks: Vec<u64> = self
            .states
            .iter()
            .map(|s| order::count_rank(count(s)))
            .collect();
        let mut idx: Vec<u32> = (0..self.len() as u32).collect();
        let mut scratch = vec![0u32; idx.len()];
        for shift in (0..64).step_by(8) {
            let mut counts = [0usize; 256];
            for &i in &idx {
                counts[(ranks[i as usize] >> shift) as usize & 0xff] += 1;
            }
            if counts.contains(&idx.len()) {
                continue;
            }
            let mut at = 0;
            for c in counts.iter_mut() {
                let n = *c;
                *c = at;
                at += n;
            }
            for &i in &idx {
                let b = (ranks[i as usize] >> shift) as usize & 0xff;
                scratch[counts[b]] = i;
                counts[b] += 1;
            }
            std::mem::swap(&mut idx, &mut scratch);
        }
        self.order = Some(idx);
    }
}

/// A cursor over a stream of batches (a channel, or one batch in memory).
pub(super) struct BatchCursor<S, I> {
    pub(super) batches: I,
    pub(super) batch: Batch<S>,
    pub(super) next: usize,
    pub(super) row: usize,
}

impl<S: Default, I: Iterator<Item = Result<Batch<S>>>> BatchCursor<S, I> {
    pub(super) fn new(batches: I) -> Self {
        BatchCursor {
            batches,
            batch: Batch::new(),
            next: 0,
            row: 0,
        }
    }
}

impl<S: Default, I: Iterator<Item = Result<Batch<S>>>> Cursor<S> for BatchCursor<S, I> {
    fn advance(&mut self) -> Result<bool> {
        while self.next >= self.batch.len() {
            match self.batches.next() {
                None => return Ok(false),
                Some(b) => {
                    self.batch = b?;
                    self.next = 0;
                }
            }
        }
        self.row = match &self.batch.order {
            Some(o) => o[self.next] as usize,
            None => self.next,
        };
        self.next += 1;
        Ok(true)
    }
    fn key(&self) -> &[u8] {
        self.batch.key(self.row)
    }
    fn state(&self) -> &S {
        &self.batch.states[self.row]
    }
    fn take_state(&mut self) -> S {
        std::mem::take(&mut self.batch.states[self.row])
    }
}

/// The order rows are merged in.
pub(super) enum RowOrder<S> {
    Key,
    Count(fn(&S) -> u64),
}

impl<S> Clone for RowOrder<S> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<S> Copy for RowOrder<S> {}

/// A k-way merge over a loser tree (a tournament: each inner node keeps the loser of the
/// match played there, so replacing the winner replays one leaf-to-root path, one comparison
/// per level, where a binary heap needs two). Rows with equal keys are merged. In key order
/// each cursor's key prefix is cached beside the tree, so most matches compare two numbers
/// without touching the cursors.
pub(super) struct Merger<S, C> {
    pub(super) cursors: Vec<C>,
    /// `tree[0]` is the winner; `tree[1..k]` the losers of the inner nodes. Leaf `i` sits at
    /// position `k + i`, the parent of position `j` at `j / 2`.
    pub(super) tree: Vec<usize>,
    /// Per cursor: its row's rank, compared before the keys themselves — in key order the
    /// first eight bytes of the key, in count order the count (descending) and those bytes.
    pub(super) rank: Vec<(u64, u64)>,
    /// Per cursor: true once it has no row left (it then loses every match).
    pub(super) done: Vec<bool>,
    pub(super) order: RowOrder<S>,
}

impl<S: Merge, C: Cursor<S>> Merger<S, C> {
    pub(super) fn new(mut cursors: Vec<C>, order: RowOrder<S>) -> Result<Self> {
        let k = cursors.len();
        let mut done = vec![false; k];
        let mut rank = vec![(0, 0); k];
        for (i, c) in cursors.iter_mut().enumerate() {
            if c.advance()? {
                rank[i] = Self::rank_of(order, c);
            } else {
                done[i] = true;
            }
        }
        let mut m = Merger {
            cursors,
            tree: vec![0; k.max(1)],
            rank,
            done,
            order,
        };
        if k > 1 {
            // Play every match bottom-up: winners of inner nodes in `win`, losers in the tree.
            let mut win = vec![0usize; k];
            for j in (1..k).rev() {
                let side = |c: usize| if c >= k { c - k } else { win[c] };
                let (a, b) = (side(2 * j), side(2 * j + 1));
                let (w, l) = if m.less(b, a) { (b, a) } else { (a, b) };
                win[j] = w;
                m.tree[j] = l;
            }
            m.tree[0] = win[1];
        }
        Ok(m)
    }

    /// True when cursor `a`'s row comes before cursor `b`'s (ties by index, so the merge is
    /// deterministic); a finished cursor comes after everything.
    #[inline]
    pub(super) fn less(&self, a: usize, b: usize) -> bool {
        match (self.done[a], self.done[b]) {
            (true, _) => return false,
            (false, true) => return true,
            _ => {}
        }
        let by = self.rank[a].cmp(&self.rank[b]).then_with(|| {
            let (x, y) = (&self.cursors[a], &self.cursors[b]);
            x.key().cmp(y.key())
        });
        by.then(a.cmp(&b)) == Ordering::Less
    }

    #[inline]
    pub(super) fn rank_of(order: RowOrder<S>, c: &C) -> (u64, u64) {
        match order {
            RowOrder::Key => order::rank(SortOrder::Key, 0, c.key()),
            RowOrder::Count(count) => order::rank(SortOrder::Count, count(c.state()), c.key()),
        }
    }

    /// Moves the winning cursor on and replays its path to the root.
    pub(super) fn advance_top(&mut self) -> Result<()> {
        let top = self.tree[0];
        if self.cursors[top].advance()? {
            self.rank[top] = Self::rank_of(self.order, &self.cursors[top]);
        } else {
            self.done[top] = true;
        }
        let k = self.cursors.len();
        let mut w = top;
        let mut j = (top + k) / 2;
        while j > 0 {
            let l = self.tree[j];
            if self.less(l, w) {
                self.tree[j] = w;
                w = l;
            }
            j /= 2;
        }
        self.tree[0] = w;
        Ok(())
    }

    /// The next row in order, its key in `key`, with every equal key merged in.
    pub(super) fn next_row(&mut self, key: &mut Vec<u8>) -> Result<Option<S>> {
        key.clear();
        self.next_appending(key)
    }

    /// The next row in order, appended to `batch`; false at the end.
    pub(super) fn next_into(&mut self, batch: &mut Batch<S>) -> Result<bool> {
        match self.next_appending(&mut batch.keys)? {
            Some(state) => {
                batch.ends.push(batch.keys.len());
                batch.states.push(state);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Calls `f` with the next row as it stands, without combining equal keys (for cursors
    /// whose keys are disjoint); false at the end.
    pub(super) fn pass_top(&mut self, f: &mut impl FnMut(&[u8], &S) -> Result<()>) -> Result<bool> {
        let top = self.tree[0];
        if self.cursors.is_empty() || self.done[top] {
            return Ok(false);
        }
        let c = &self.cursors[top];
        f(c.key(), c.state())?;
        self.advance_top()?;
        Ok(true)
    }

    /// [`Merger::next_row`], the key appended to `keys`.
    #[inline]
    pub(super) fn next_appending(&mut self, keys: &mut Vec<u8>) -> Result<Option<S>> {
        let top = self.tree[0];
        if self.cursors.is_empty() || self.done[top] {
            return Ok(None);
        }
        let start = keys.len();
        keys.extend_from_slice(self.cursors[top].key());
        let mut state = self.cursors[top].take_state();
        self.advance_top()?;
        loop {
            let next = self.tree[0];
            if self.done[next]
                || !crate::aggregate::key_eq(self.cursors[next].key(), &keys[start..])
            {
                break;
            }
            state.merge(self.cursors[next].take_state());
            self.advance_top()?;
        }
        Ok(Some(state))
    }
}
