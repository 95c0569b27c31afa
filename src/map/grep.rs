//! `logmill grep`: how many lines match (or, inverted, do not match) any of the patterns, in
//! total or per input — `grep -c` over chunks. Line semantics and the pattern rewrite are in
//! [`crate::pattern`]; this file adds the count per input and the output.
//!
//! The partial is a `Vec<u64>` of selected lines indexed by [`Chunk::input`], merged
//! position-wise. With `invert`, a chunk's count is its lines minus its matching lines.

use std::io::{self, Write};

use super::{Chunk, Mapper};
use crate::emit::{EmitOptions, Value};
use crate::engine::InputList;
use crate::error::{Error, Result};
use crate::exit::{ExitCode, Outcome};
use crate::job::Keyed;
use crate::pattern::{count_lines, LineRegex, PatternOptions, PerThread};

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
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
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
    /// The parameters the job was built from (for partial headers).
    pub params: crate::job::JobParams,
}

/// The canonical partial of a run: one key per input name (zero counts included, so
/// `--by-file` lists every input), its count of selected lines as the state.
pub(crate) fn export(counts: Vec<u64>, inputs: &[String]) -> Keyed<u64> {
    let mut k = Keyed::default();
    for (i, name) in inputs.iter().enumerate() {
        *k.table.entry(name.as_bytes()) += counts.get(i).copied().unwrap_or(0);
    }
    k
}

/// Prints the result: success when at least one line was selected, [`ExitCode::NoMatch`]
/// otherwise. `--by-file` rows follow `order` (the inputs in argument order, for a direct run:
/// one row per argument, a failed input left out, names as their exact bytes), counted by
/// `per_input` when given (by input index), else by name from the table; after a merge, where
/// argument order is not known, they are the table's keys in key order. The total row's file
/// cell is empty: no input is named by the empty string, so it cannot be mistaken for a file
/// named `total`.
pub(crate) fn finish(
    job: &GrepJob,
    keyed: Keyed<u64>,
    order: Option<&InputList>,
    per_input: Option<&[u64]>,
    emit: EmitOptions,
    out: &mut dyn Write,
) -> Result<Outcome> {
    let mut rows: Vec<(Vec<u8>, u64)> = Vec::new();
    match order {
        Some(list) => {
            for (i, raw) in list.raw.iter().enumerate() {
                if list.failed.get(i).copied().unwrap_or(false) {
                    continue;
                }
                let count = match per_input {
                    Some(c) => c.get(i).copied().unwrap_or(0),
                    None => {
                        let name = list.names.get(i).map_or("", String::as_str);
                        keyed.table.get(name.as_bytes()).copied().unwrap_or(0)
                    }
                };
                rows.push((raw.clone(), count));
            }
        }
        None => {
            let mut all: Vec<(&[u8], u64)> = keyed.table.iter().map(|(k, c)| (k, *c)).collect();
            all.sort_unstable();
            rows = all.into_iter().map(|(k, c)| (k.to_vec(), c)).collect();
        }
    }
    let total: u64 = keyed.table.iter().map(|(_, c)| *c).sum();
    let shown_total: u64 = match job.output {
        GrepOutput::ByFile => rows.iter().map(|r| r.1).sum(),
        _ => total,
    };
    write(job.output, &rows, shown_total, emit, out).map_err(Error::Output)?;
    Ok(Outcome::from(if total > 0 {
        ExitCode::Success
    } else {
        ExitCode::NoMatch
    }))
}

fn write(
    output: GrepOutput,
    rows: &[(Vec<u8>, u64)],
    total: u64,
    emit: EmitOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut e = crate::emit::emitter(emit.format, emit.header, out);
    match output {
        GrepOutput::Quiet => return Ok(()),
        GrepOutput::Total => {
            e.header(&["count"])?;
            e.row(&[Value::Count(total)])?;
        }
        GrepOutput::ByFile => {
            e.header(&["file", "count"])?;
            for (name, count) in rows {
                e.row(&[Value::Text(name), Value::Count(*count)])?;
            }
            e.row(&[Value::Text(b""), Value::Count(total)])?;
        }
    }
    e.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Engine;
    use crate::input::InputSpec;

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
        let mapped = engine.run(specs, &job.mapper).unwrap();
        let per_input = mapped.partial.clone();
        let list = mapped.input_list();
        let keyed = export(mapped.partial, &mapped.inputs);
        let outcome = finish(
            job,
            keyed,
            Some(&list),
            Some(&per_input),
            EmitOptions::default(),
            &mut out,
        )
        .unwrap();
        (String::from_utf8(out).unwrap(), outcome.code)
    }

    fn job(p: &str, invert: bool, output: GrepOutput) -> GrepJob {
        let params = crate::job::JobParams::Grep {
            patterns: vec![p.to_string()],
            options: PatternOptions::default(),
            invert,
            output,
        };
        match params.build().unwrap() {
            crate::config::Job::Grep(g) => g,
            _ => unreachable!(),
        }
    }

    #[test]
    fn totals_by_file_and_exit_codes() {
        let a: &[u8] = b"GET /a\nPOST /b\nGET /c";
        let b: &[u8] = b"HEAD /\n";
        let j = job("GET", false, GrepOutput::ByFile);
        assert_eq!(
            run_on(&j, &[a, b], 2, 3),
            ("in\\t0\t2\nin\\t1\t0\n\t2\n".into(), ExitCode::Success)
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
