//! `logmill grep`: how many lines match (or, inverted, do not match) any of the patterns, in
//! total or per input — `grep -c` over chunks. Line semantics and the pattern rewrite are in
//! [`crate::pattern`]; this file adds the count per input and the output.
//!
//! The partial is a `Vec<u64>` of selected lines indexed by [`Chunk::input`], merged
//! position-wise. With `invert`, a chunk's count is its lines minus its matching lines.

use std::io::{self, Write};

use super::{Chunk, Mapper};
use crate::emit::{Emitter, TsvEmitter, Value};
use crate::error::{Error, Result};
use crate::exit::{ExitCode, Outcome};
use crate::input::InputSpec;
use crate::pattern::{count_lines, LineRegex, PatternOptions, PerThread};
use crate::reduce::Engine;

/// Counts selected lines per input.
#[derive(Debug, Clone)]
pub struct GrepMapper {
    regex: PerThread<LineRegex>,
    invert: bool,
}

impl GrepMapper {
    /// A mapper selecting the lines that match any of `patterns` (or, with `invert`, none).
    pub fn new<S: AsRef<str>>(
        patterns: &[S],
        options: PatternOptions,
        invert: bool,
    ) -> Result<GrepMapper> {
        Ok(GrepMapper {
            regex: PerThread::new(LineRegex::new(patterns, options)?),
            invert,
        })
    }
}

impl Mapper for GrepMapper {
    type Partial = Vec<u64>;

    fn map(&self, chunk: Chunk<'_>, counts: &mut Vec<u64>) {
        let matching = self.regex.get().count_matching_lines(chunk.data);
        let selected = if self.invert {
            count_lines(chunk.data) - matching
        } else {
            matching
        };
        if counts.len() <= chunk.input {
            counts.resize(chunk.input + 1, 0);
        }
        counts[chunk.input] += selected;
    }
}

/// What `logmill grep` prints.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum GrepOutput {
    /// The total count alone.
    #[default]
    Total,
    /// `file<TAB>count` per input in argument order, then `total<TAB>count`.
    ByFile,
    /// Nothing: the exit code tells.
    Quiet,
}

/// The `grep` job: a mapper and what to print.
#[derive(Debug, Clone)]
pub struct GrepJob {
    /// The line counter.
    pub mapper: GrepMapper,
    /// What to print.
    pub output: GrepOutput,
}

/// Runs the job: success when at least one line was selected, [`ExitCode::NoMatch`] otherwise.
pub(crate) fn run(
    engine: &Engine,
    job: &GrepJob,
    inputs: Vec<InputSpec>,
    out: &mut dyn Write,
) -> Result<Outcome> {
    let names: Vec<String> = inputs.iter().map(InputSpec::name).collect();
    let mut counts = engine.run(inputs, &job.mapper)?;
    counts.resize(names.len(), 0);
    let total: u64 = counts.iter().sum();
    write(job.output, &names, &counts, total, out).map_err(Error::Output)?;
    Ok(Outcome::from(if total > 0 {
        ExitCode::Success
    } else {
        ExitCode::NoMatch
    }))
}

fn write(
    output: GrepOutput,
    names: &[String],
    counts: &[u64],
    total: u64,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut e = TsvEmitter::new(io::BufWriter::new(out), false);
    match output {
        GrepOutput::Quiet => return Ok(()),
        GrepOutput::Total => {
            e.header(&["count"])?;
            e.row(&[Value::Count(total)])?;
        }
        GrepOutput::ByFile => {
            e.header(&["file", "count"])?;
            for (name, count) in names.iter().zip(counts) {
                e.row(&[Value::Text(name.as_bytes()), Value::Count(*count)])?;
            }
            e.row(&[Value::Bytes(b"total"), Value::Count(total)])?;
        }
    }
    e.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_on(job: &GrepJob, inputs: &[&[u8]], threads: usize, chunk: usize) -> (String, ExitCode) {
        let engine = Engine::new(threads, chunk).unwrap();
        let specs = inputs
            .iter()
            .enumerate()
            .map(|(i, d)| InputSpec::Bytes {
                name: format!("in\t{i}"),
                data: d.to_vec(),
            })
            .collect();
        let mut out = Vec::new();
        let outcome = run(&engine, job, specs, &mut out).unwrap();
        (String::from_utf8(out).unwrap(), outcome.code)
    }

    fn job(p: &str, invert: bool, output: GrepOutput) -> GrepJob {
        GrepJob {
            mapper: GrepMapper::new(&[p], PatternOptions::default(), invert).unwrap(),
            output,
        }
    }

    #[test]
    fn totals_by_file_and_exit_codes() {
        let a: &[u8] = b"GET /a\nPOST /b\nGET /c";
        let b: &[u8] = b"HEAD /\n";
        let j = job("GET", false, GrepOutput::ByFile);
        assert_eq!(
            run_on(&j, &[a, b], 2, 3),
            ("in\\t0\t2\nin\\t1\t0\ntotal\t2\n".into(), ExitCode::Success)
        );
        let j = job("GET", true, GrepOutput::Total);
        assert_eq!(run_on(&j, &[a, b], 1, 1), ("2\n".into(), ExitCode::Success));
        let j = job("PUT", false, GrepOutput::Total);
        assert_eq!(
            run_on(&j, &[a, b], 1, 64),
            ("0\n".into(), ExitCode::NoMatch)
        );
        let j = job("", true, GrepOutput::Quiet);
        assert_eq!(
            run_on(&j, &[a, b], 3, 5),
            (String::new(), ExitCode::NoMatch)
        );
    }
}
