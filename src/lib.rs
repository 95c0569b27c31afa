//! logmill: MapReduce-style counting and aggregation of logs and text on one machine.
//!
//! Inputs are memory-mapped (or streamed in bounded blocks) and cut into newline-aligned chunks
//! ([`chunk`]); a job's [`map::Mapper`] folds each chunk into a partial aggregate on a rayon pool;
//! partials merge through [`merge::Merge`] in a reduce tree ([`reduce::Engine`]); [`emit`] orders
//! the result deterministically and writes it. The binary is a thin layer over [`run`].
#![deny(missing_docs)]

pub mod chunk;
pub mod cli;
pub mod config;
pub mod emit;
pub mod error;
pub mod exit;
pub mod input;
pub mod key;
pub mod map;
pub mod merge;
pub mod num;
pub mod pattern;
pub mod reduce;

use std::io::{self, Write};

pub use config::{Config, Job};
pub use error::{Error, Result};
pub use exit::{ExitCode, Outcome};
pub use input::InputSpec;

use emit::{order_rows, EmitOptions, Emitter, TsvEmitter, Value};
use merge::KeyedTable;
use reduce::Engine;

/// Runs a job to completion, writing its results to `out`; warnings come back in the outcome.
pub fn run(config: Config, out: &mut dyn Write) -> Result<Outcome> {
    let engine = Engine::new(config.threads, config.chunk_size)?;
    match config.job {
        Job::Words(mapper) => {
            let counts = engine.run(config.inputs, &mapper)?;
            emit_counts(&["word", "count"], counts, config.emit, out).map_err(Error::Output)?;
            Ok(ExitCode::Success.into())
        }
        Job::Grep(job) => map::grep::run(&engine, &job, config.inputs, out),
        Job::Match(job) => map::matches::run(&engine, &job, config.inputs, config.emit, out),
    }
}

/// Writes a key → count table as `key<TAB>count` lines in the configured order.
fn emit_counts(
    columns: &[&str],
    counts: KeyedTable<u64>,
    opts: EmitOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let rows = order_rows(counts.into_entries().collect(), |c| *c, opts);
    let mut e = TsvEmitter::new(io::BufWriter::with_capacity(1 << 16, out), false);
    e.header(columns)?;
    for (key, count) in &rows {
        e.row(&[Value::Bytes(key), Value::Count(*count)])?;
    }
    e.finish()
}
