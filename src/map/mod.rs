//! Mappers: each job's per-chunk work. A mapper folds the records of one chunk into a partial
//! aggregate — the combiner of the MapReduce paper — so only partials, never records, travel to
//! the reduce. A new job adds a file here and a line in `lib.rs`.

pub mod fields;
pub mod grep;
pub mod matches;
pub mod words;

pub use crate::chunk::Framing;
pub use crate::engine::{Chunk, Mapper};
