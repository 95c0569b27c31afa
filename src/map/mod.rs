//! Mappers: each job's per-chunk work. A mapper folds the records of one chunk into a partial
//! aggregate — the combiner of the MapReduce paper — so only partials, never records, travel to
//! the reduce. A new job adds a file here and a line in `lib.rs`.

pub mod fields;
pub mod grep;
pub mod matches;
pub mod words;

use crate::aggregate::Merge;
pub use crate::chunk::Framing;

/// A piece of input handed to a mapper: whole lines (the last may lack its newline), or whole
/// records under the mapper's [`Framing`].
#[derive(Debug, Clone, Copy)]
pub struct Chunk<'a> {
    /// Which input (by position on the command line) the bytes belong to.
    pub input: usize,
    /// Where `data` starts in its input, in bytes (after decompression), so a mapper can name
    /// the place of a record (the fields job turns it into a line number for rejects).
    pub offset: u64,
    /// The input's first record (see [`Framing::head_end`]), the same for every chunk of the
    /// input: a header that chunks far from the start need too. Only quoted (CSV) framing
    /// reads it; under line framing a stream leaves it empty.
    pub head: &'a [u8],
    /// The bytes: whole lines, the last possibly without its `\n`.
    pub data: &'a [u8],
}

impl<'a> Chunk<'a> {
    /// A chunk holding a whole input (offset 0, head found by `Framing::Lines`); for tests
    /// and library users that map bytes directly.
    pub fn whole(input: usize, data: &'a [u8]) -> Chunk<'a> {
        Chunk {
            input,
            offset: 0,
            head: &data[..Framing::Lines.head_end(data)],
            data,
        }
    }
}

/// A job's map step: folds a chunk into a partial aggregate.
pub trait Mapper: Sync {
    /// The partial aggregate this mapper builds.
    type Partial: Merge;

    /// Folds every record of `chunk` into `partial`. Must not depend on where the chunk's
    /// boundaries fall beyond their being line boundaries.
    fn map(&self, chunk: Chunk<'_>, partial: &mut Self::Partial);

    /// Where this mapper's records end, so chunks are cut between records. Lines by default.
    fn framing(&self) -> Framing {
        Framing::Lines
    }
}
