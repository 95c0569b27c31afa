//! Aggregation: the merge law every partial obeys, the keyed table that holds per-key states,
//! and the composite-key encoding.

pub mod key;
mod table;

pub use table::*;
