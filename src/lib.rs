//! logmill: MapReduce-style counting and aggregation of logs and text on one machine.
//!
//! Inputs are memory-mapped (or streamed in bounded blocks) and cut into newline-aligned chunks
//! ([`chunk`]); a job's [`map::Mapper`] folds each chunk into a partial aggregate on a rayon pool;
//! partials merge through [`merge::Merge`] in a reduce tree ([`reduce::Engine`]); [`emit`] orders
//! the result deterministically and writes it. The binary is a thin layer over [`run`].
#![deny(missing_docs)]

pub mod agg;
pub mod chunk;
pub mod cli;
pub mod config;
pub mod diag;
pub mod emit;
pub mod error;
pub mod exit;
pub mod input;
pub mod map;
pub mod merge;
pub mod num;
pub mod progress;
pub mod record;
pub mod reduce;

use std::io::{self, Write};

pub use config::{Config, Job};
pub use error::{Error, Result};
pub use exit::ExitCode;
pub use input::InputSpec;

use emit::{order_rows, EmitOptions, Emitter, TsvEmitter, Value};
use merge::KeyedTable;
use reduce::Engine;

/// Runs a job to completion, writing its results to `out` and diagnostics to stderr.
pub fn run(config: Config, out: &mut dyn Write) -> Result<ExitCode> {
    let engine = Engine::with_options(config.engine_options())?;
    match config.job {
        Job::Words(mapper) => {
            let mapped = engine.run(config.inputs, &mapper)?;
            let failed = report_inputs(&mapped);
            emit_counts(&["word", "count"], mapped.partial, config.emit, out)
                .map_err(Error::Output)?;
            Ok(if failed {
                ExitCode::Error
            } else {
                ExitCode::Success
            })
        }
        Job::Fields(job) => {
            let (failed, _bad) = map::fields::run(&engine, &job, config.inputs, config.emit, out)?;
            Ok(if failed {
                ExitCode::Error
            } else {
                ExitCode::Success
            })
        }
    }
}

/// Reports inputs that failed (with `--keep-going`) and files skipped as binary; true when any
/// input failed, which makes the run's exit code 2.
fn report_inputs<P>(mapped: &reduce::Mapped<P>) -> bool {
    for (_, e) in &mapped.failed {
        diag::error(e);
    }
    if mapped.skipped_binary > 0 {
        diag::note(format_args!(
            "skipped {} binary file(s) found by -r (use --binary to read them)",
            mapped.skipped_binary
        ));
    }
    !mapped.failed.is_empty()
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
