//! logmill: MapReduce-style counting and aggregation of logs and text on one machine.
//!
//! Inputs are memory-mapped (or streamed in bounded blocks) and cut into newline-aligned chunks
//! ([`chunk`]); a job's [`map::Mapper`] folds each chunk into a partial aggregate on a rayon pool;
//! partials merge through [`merge::Merge`] in a reduce tree ([`reduce::Engine`]); [`emit`] orders
//! the result deterministically and writes it. The binary is a thin layer over [`run`].
//!
//! ```
//! use logmill::{map::words::WordsMapper, Config, InputSpec, Job};
//!
//! let input = InputSpec::Bytes {
//!     name: "example".into(),
//!     data: b"To be, or not to be\nto BE\n".to_vec(),
//! };
//! let mut config = Config::new(Job::Words(WordsMapper::default()), vec![input]);
//! config.threads = 2;
//! config.chunk_size = 8; // tiny chunks still give the same answer
//! let mut out = Vec::new();
//! logmill::run(config, &mut out).unwrap();
//! assert_eq!(out, b"to\t3\nbe\t2\nbe,\t1\nnot\t1\nor\t1\n");
//! ```
#![deny(missing_docs)]

pub mod chunk;
pub mod cli;
pub mod config;
pub mod diag;
pub mod docs;
pub mod emit;
pub mod error;
pub mod exit;
pub mod input;
pub mod key;
pub mod map;
pub mod merge;
pub mod num;
pub mod output;
pub mod partial;
pub mod pattern;
pub mod progress;
pub mod reduce;
pub mod signals;

use std::io::{self, Write};

pub use config::{Config, Job};
pub use error::{Error, Result};
pub use exit::{ExitCode, Outcome};
pub use input::InputSpec;

use emit::{order_rows, EmitOptions, Value};
use merge::KeyedTable;
use reduce::Engine;

/// Runs a job to completion, writing its results to `out` and diagnostics (one line each) to
/// stderr.
pub fn run(config: Config, out: &mut dyn Write) -> Result<ExitCode> {
    let engine = Engine::with_options(config.engine_options())?;
    let outcome = match config.job {
        Job::Words(mapper) => {
            let mapped = engine.run(config.inputs, &mapper)?;
            let failed = mapped.report();
            emit_counts(&["word", "count"], mapped.partial, config.emit, out)
                .map_err(Error::Output)?;
            Outcome::from(if failed {
                ExitCode::Error
            } else {
                ExitCode::Success
            })
        }
        Job::Grep(job) => map::grep::run(&engine, &job, config.inputs, config.emit, out)?,
        Job::Match(job) => map::matches::run(&engine, &job, config.inputs, config.emit, out)?,
    };
    for w in &outcome.warnings {
        diag::warning(w);
    }
    Ok(outcome.code)
}

/// Writes a key → count table in the configured order and format.
fn emit_counts(
    columns: &[&str],
    counts: KeyedTable<u64>,
    opts: EmitOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let rows = order_rows(counts.into_entries().collect(), |c| *c, opts);
    let mut e = emit::emitter(opts.format, opts.header, out);
    e.header(columns)?;
    for (key, count) in &rows {
        e.row(&[Value::Bytes(key), Value::Count(*count)])?;
    }
    e.finish()
}
