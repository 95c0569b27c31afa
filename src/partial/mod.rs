//! Partial results as files: the partial format (a header naming the job and its parameters,
//! `KEY<TAB>STATE` rows, an end marker), the escaping of keys and paths in it, and the state
//! of incremental runs, which is a partial with the read offsets of its inputs.

pub mod coverage;
pub mod escape;
pub mod format;
pub mod ranked;
pub mod state;

pub use escape::*;
