//! Mappers: each job's per-chunk work. A mapper folds the records of one chunk into a partial
//! aggregate — the combiner of the MapReduce paper — so only partials, never records, travel to
//! the reduce. A new job adds a file here and a line in `lib.rs`.

pub mod grep;
pub mod matches;
pub mod words;

use crate::merge::Merge;

/// A piece of input handed to a mapper: whole lines (the last may lack its newline).
#[derive(Debug, Clone, Copy)]
pub struct Chunk<'a> {
    /// Which input (by position on the command line) the bytes belong to.
    pub input: usize,
    /// The bytes: whole lines, the last possibly without its `\n`.
    pub data: &'a [u8],
}

/// A job's map step: folds a chunk into a partial aggregate.
pub trait Mapper: Sync {
    /// The partial aggregate this mapper builds.
    type Partial: Merge;

    /// Folds every record of `chunk` into `partial`. Must not depend on where the chunk's
    /// boundaries fall beyond their being line boundaries.
    fn map(&self, chunk: Chunk<'_>, partial: &mut Self::Partial);
}
