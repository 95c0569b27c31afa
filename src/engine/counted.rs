//! [`Counted`]: a mapper that also counts the records it is given, for reports that say how
//! many records a run read and for the partials and state files that carry the count to a
//! merge (the pipeline switches it on for those). The count is a sum over chunks, so it is
//! the same for any thread count and chunk size, and over the shards of a run; it costs a
//! pass over each chunk only when switched on.

use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};

use super::{Chunk, InputSpec, Mapper};
use crate::chunk::Framing;

/// `inner`, counting the records of every chunk it maps (when `on`).
pub struct Counted<M> {
    inner: M,
    on: bool,
    records: AtomicU64,
}

impl<M: Mapper> Counted<M> {
    /// `inner`, counting its records when `on` (else it maps as `inner` alone does).
    pub fn new(inner: M, on: bool) -> Self {
        Counted {
            inner,
            on,
            records: AtomicU64::new(0),
        }
    }

    /// The records mapped so far, when counting.
    pub fn records(&self) -> Option<u64> {
        self.on.then(|| self.records.load(Ordering::Relaxed))
    }
}

impl<M: Mapper> Mapper for Counted<M> {
    type Partial = M::Partial;

    #[inline]
    fn map(&self, chunk: Chunk<'_>, partial: &mut Self::Partial) {
        if self.on {
            let n = self.inner.framing().count_records(chunk.data);
            self.records.fetch_add(n, Ordering::Relaxed);
        }
        self.inner.map(chunk, partial)
    }

    fn framing(&self) -> Framing {
        self.inner.framing()
    }

    fn wants_sample(&self) -> bool {
        self.inner.wants_sample()
    }

    fn select_chunks(&self, chunks: &[Chunk<'_>]) -> Range<usize> {
        self.inner.select_chunks(chunks)
    }

    fn begin(&self, inputs: &[InputSpec]) {
        self.inner.begin(inputs)
    }

    fn sees_chunks(&self) -> bool {
        self.inner.sees_chunks()
    }

    fn see_chunk(&self, chunk: Chunk<'_>, partial: &mut Self::Partial) {
        self.inner.see_chunk(chunk, partial)
    }

    fn map_piece(&self, piece: Chunk<'_>, partial: &mut Self::Partial) {
        self.inner.map_piece(piece, partial)
    }

    fn candidates(&self, chunk: Chunk<'_>, line: &mut dyn FnMut(usize)) -> bool {
        self.inner.candidates(chunk, line)
    }
}
