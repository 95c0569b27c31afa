//! Memory accounting for `--memory`: the budget that workers' partials share, and the
//! engine's side of spilling.
//!
//! Every worker's partial reports what it holds (a table's allocation, its heap keys, and the
//! buffer it would need to be sorted for a spill) into one atomic counter. Before a worker maps
//! a chunk it asks how much more the chunk could make its partial allocate — a table that may
//! double counts the whole new allocation, since the old one lives until the move is done —
//! and spills instead when that would pass the limit (a [`Spiller`], implemented in `spill/`).
//! The counter is only touched once per chunk, so the hot loops stay as they are.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use super::{Chunk, Mapper};
use crate::aggregate::Merge;

/// A memory limit shared by every worker, with the bytes accounted so far.
#[derive(Debug)]
pub struct Budget {
    limit: usize,
    used: AtomicUsize,
}

impl Budget {
    /// A budget of `limit` bytes, nothing used.
    pub fn new(limit: usize) -> Budget {
        Budget {
            limit,
            used: AtomicUsize::new(0),
        }
    }

    /// The limit in bytes.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Bytes accounted now.
    pub fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }

    /// True when `more` bytes on top of what is used would pass the limit.
    pub fn would_exceed(&self, more: usize) -> bool {
        self.used().saturating_add(more) > self.limit
    }

    /// Moves an account from `old` to `new` bytes.
    pub fn update(&self, old: usize, new: usize) {
        if new >= old {
            self.used.fetch_add(new - old, Ordering::Relaxed);
        } else {
            self.used.fetch_sub(old - new, Ordering::Relaxed);
        }
    }
}

/// How the engine keeps a job's worker partials within a memory budget. The engine asks before
/// each chunk; the spiller writes runs and keeps them until the merge.
pub trait Spiller<P>: Sync {
    /// The shared budget.
    fn budget(&self) -> &Budget;
    /// Bytes `p` holds, as accounted.
    fn mem_bytes(&self, p: &P) -> usize;
    /// Bytes mapping `chunk_len` more input bytes into `p` may allocate at most.
    fn growth(&self, p: &P, chunk_len: usize) -> usize;
    /// Bytes merging `b` into `a` may allocate at most.
    fn merge_growth(&self, a: &P, b: &P) -> usize;
    /// True when spilling `p` would free enough to be worth a run.
    fn worth_spilling(&self, p: &P) -> bool;
    /// Writes `p`'s keyed table as a run and empties it. A failure is kept for
    /// the spiller's own error accessor (`TableSpiller::take_error`) and makes [`Spiller::failed`] true.
    fn spill(&self, p: &mut P);
    /// True once a spill failed: the engine stops mapping.
    fn failed(&self) -> bool;
    /// True once any run was written.
    fn spilled(&self) -> bool;

    /// Moves `p`'s account in the budget (`*counted` bytes so far) to what it holds now.
    fn account(&self, p: &P, counted: &mut usize) {
        let now = self.mem_bytes(p);
        self.budget().update(*counted, now);
        *counted = now;
    }

    /// Before `input_len` more input bytes go into `p`: spills `p` first when they could take
    /// the budget past its limit (and spilling frees enough to be worth a run).
    fn make_room(&self, p: &mut P, counted: &mut usize, input_len: usize) {
        if self.budget().would_exceed(self.growth(p, input_len)) && self.worth_spilling(p) {
            self.spill(p);
            self.account(p, counted);
        }
    }
}

/// One partial per worker thread, each with the bytes it has accounted in the budget. Only the
/// worker that owns a slot locks it, so the lock is never contended.
pub(super) struct WorkerSlots<P> {
    slots: Vec<Mutex<(P, usize)>>,
}

impl<P: Merge> WorkerSlots<P> {
    pub(super) fn new(threads: usize) -> Self {
        WorkerSlots {
            slots: (0..threads.max(1))
                .map(|_| Mutex::new((P::default(), 0)))
                .collect(),
        }
    }

    /// Maps `c` into the calling worker's partial, spilling that partial first when the
    /// chunk could take the budget past its limit.
    pub(super) fn map<M: Mapper<Partial = P>>(&self, c: Chunk<'_>, mapper: &M, s: &dyn Spiller<P>) {
        let i = rayon::current_thread_index().unwrap_or(0) % self.slots.len();
        let mut slot = self.slots[i].lock().unwrap_or_else(PoisonError::into_inner);
        let (p, counted) = &mut *slot;
        s.make_room(p, counted, c.data.len());
        mapper.map(c, p);
        s.account(p, counted);
    }

    /// The partials, their bytes given back to the budget.
    pub(super) fn into_partials(self, s: &dyn Spiller<P>) -> Vec<P> {
        self.slots
            .into_iter()
            .map(|m| {
                let (p, counted) = m.into_inner().unwrap_or_else(PoisonError::into_inner);
                s.budget().update(counted, 0);
                p
            })
            .collect()
    }
}

/// Merges partials within the budget: once anything was spilled, or when a merge could pass
/// the limit, the smaller side goes to disk instead of into the other.
pub(super) fn merge_budgeted<P: Merge>(parts: Vec<P>, s: &dyn Spiller<P>) -> P {
    let budget = s.budget();
    let mut acc = P::default();
    let mut counted = 0;
    for mut p in parts {
        let held = s.mem_bytes(&p);
        budget.update(0, held);
        if s.spilled() || budget.would_exceed(s.merge_growth(&acc, &p)) {
            if s.mem_bytes(&p) <= s.mem_bytes(&acc) {
                s.spill(&mut p);
            } else {
                s.spill(&mut acc);
            }
        }
        acc.merge(p);
        budget.update(held, 0);
        let now = s.mem_bytes(&acc);
        budget.update(counted, now);
        counted = now;
    }
    budget.update(counted, 0);
    acc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_accounts_moves() {
        let b = Budget::new(100);
        b.update(0, 60);
        assert!(!b.would_exceed(40));
        assert!(b.would_exceed(41));
        b.update(60, 10);
        assert_eq!(b.used(), 10);
    }
}
