//! `logmill grep`: how many lines match (or, inverted, do not match) any of the patterns, in
//! total or per input — `grep -c` over chunks. Line semantics and the pattern rewrite are in
//! [`crate::jobs::pattern`]; this file adds the count per input and the output.
//!
//! The partial is a `Vec<u64>` of selected lines indexed by [`Chunk::input`], merged
//! position-wise. With `invert`, a chunk's count is its lines minus its matching lines.

use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Mutex;

use clap::Args;
use serde::{Deserialize, Serialize};

use super::args::{FormatArgs, OutputArgs, SortArg};
use super::args::{record_rule, RecordArgs};
use super::pattern::{PatternOptions, PerThread};
use super::search::Search;
use super::{
    Chunk, Framing, InputList, Job, Keyed, Mapper, Meta, Parsed, RejectArgs, Shown, TableAccess,
};
use crate::chunk::{RecordRule, RecordSpec};
use crate::emit::{EmitOptions, Value};
use crate::error::{Error, Result};
use crate::exit::{ExitCode, Outcome};
use crate::aggregate::{KeyedTable, Merge};
use crate::spill::{tell_hook, Rows};

/// Flags of `logmill grep`.
#[derive(Debug, Args)]
pub struct GrepArgs {
    /// The regex; with -e, every positional argument is a file.
    ///
    /// Rust regex syntax, in bytes mode: invalid UTF-8 in the input is fine. With -e, every
    /// positional argument is a file.
    #[arg(value_name = "PATTERN", required_unless_present = "regexp")]
    pub pattern: Option<String>,

    /// A pattern; repeat to match any of several.
    ///
    /// A line matching several patterns counts once.
    #[arg(
        short = 'e',
        long = "regexp",
        value_name = "PATTERN",
        allow_hyphen_values = true
    )]
    pub regexp: Vec<String>,

    /// Treat patterns as literal strings.
    #[arg(short = 'F', long)]
    pub fixed_strings: bool,

    /// Match case-insensitively.
    #[arg(short = 'i', long)]
    pub ignore_case: bool,

    /// Count the lines that do not match.
    #[arg(short = 'v', long)]
    pub invert_match: bool,

    /// Only whole-word matches.
    ///
    /// A match must be preceded and followed by a non-word character or a line edge.
    #[arg(short = 'w', long)]
    pub word_regexp: bool,

    /// Only matches of the whole line.
    #[arg(short = 'x', long)]
    pub line_regexp: bool,

    /// Print the count only (the default).
    ///
    /// Accepted for grep habits.
    #[arg(short = 'c', long)]
    pub count: bool,

    /// Print nothing; the exit code tells.
    ///
    /// Exit 0 when a line was selected, 1 when none was.
    #[arg(short = 'q', long, conflicts_with = "by_file")]
    pub quiet: bool,

    /// Print a count per input, then the total.
    ///
    /// `file<TAB>count` per input in argument order, then `total<TAB>count`.
    #[arg(long)]
    pub by_file: bool,

    /// Add a column `example`: FILE:LINE of the row's first selected line.
    ///
    /// Per file, that file's first selected line (record, under --records); on the total row,
    /// the first of all: inputs in argument order (a merge of partials from runs over other
    /// input lists orders inputs by path bytes). FILE@BYTE_OFFSET when the lines before it
    /// were not all counted (a shard merged without the shards before it).
    #[arg(long)]
    pub example: bool,

    /// Like --example, and a column `example_text` with that line.
    ///
    /// Like --example, and a column `example_text` with the selected record's first line (TAB,
    /// LF, CR and backslash escaped in TSV).
    #[arg(long)]
    pub example_text: bool,

    /// Output format and destination.
    #[command(flatten)]
    pub format: FormatArgs,

    /// Multi-line records.
    #[command(flatten)]
    pub records: RecordArgs,

    /// Where bad records go: records without a timestamp under the time options.
    #[command(flatten)]
    pub bad: RejectArgs,

    /// Input files; `-` or none reads stdin.
    #[arg(value_name = "FILE", help_heading = None::<&str>)]
    pub files: Vec<PathBuf>,
}


/// What defines a `grep` result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrepParams {
    /// The patterns (`-e`, or the one positional pattern).
    pub patterns: Vec<String>,
    /// `-i`, `-F`, `-w`, `-x`.
    pub options: PatternOptions,
    /// `-v`.
    pub invert: bool,
    /// What is printed: the total, per file, or nothing.
    pub output: GrepOutput,
    /// `--records`/`--record-start`: count records instead of lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub records: Option<RecordSpec>,
}

/// Counts selected lines per input.
#[derive(Debug, Clone)]
pub struct GrepMapper {
    regex: PerThread<Search>,
    invert: bool,
}

impl GrepMapper {
    /// A mapper selecting the lines that match any of `patterns` (or, with `invert`, none).
    pub fn new<S: AsRef<str>>(
        patterns: &[S],
        options: PatternOptions,
        invert: bool,
    ) -> Result<GrepMapper> {
        GrepMapper::with_records(patterns, options, invert, None)
    }

    /// A mapper selecting records of `rule` (lines without one).
    pub fn with_records<S: AsRef<str>>(
        patterns: &[S],
        options: PatternOptions,
        invert: bool,
        rule: Option<&'static RecordRule>,
    ) -> Result<GrepMapper> {
        Ok(GrepMapper {
            regex: PerThread::new(Search::new(patterns, options, rule)?),
            invert,
        })
    }
}

/// A worker's partial: counts by input index; under `--example`, counts by input name instead
/// (only names with a selected line), so the example wrapper finds each name's first record.
#[derive(Debug, Default)]
pub struct GrepPartial {
    counts: Vec<u64>,
    table: KeyedTable<u64>,
}

impl Merge for GrepPartial {
    fn merge(&mut self, other: Self) {
        self.counts.merge(other.counts);
        self.table.merge(other.table);
    }
}

/// The mapper of one run: the line counter, and under `--example` the inputs' names.
pub struct GrepRun<'j> {
    mapper: &'j GrepMapper,
    names: Option<Vec<Vec<u8>>>,
}

impl GrepMapper {
    fn selected(&self, data: &[u8]) -> u64 {
        let search = self.regex.get();
        let matching = search.count_matching(data);
        if self.invert {
            search.count_units(data) - matching
        } else {
            matching
        }
    }

    fn candidates(&self, chunk: Chunk<'_>, line: &mut dyn FnMut(usize)) -> bool {
        // Inverted, every line that does not match counts: no line can be left out.
        if self.invert {
            return false;
        }
        self.regex.get().matching_units(chunk.data, line);
        true
    }

    fn framing(&self) -> Framing {
        match self.regex.shared() {
            Search::Records { rule, .. } => Framing::Records(rule),
            Search::Lines(_) => Framing::Lines,
        }
    }
}

impl Mapper for GrepRun<'_> {
    type Partial = GrepPartial;

    fn map(&self, chunk: Chunk<'_>, partial: &mut GrepPartial) {
        let selected = self.mapper.selected(chunk.data);
        match &self.names {
            Some(names) => {
                if selected > 0 {
                    let name = names.get(chunk.input).map_or(&[][..], Vec::as_slice);
                    *partial.table.entry(name) += selected;
                }
            }
            None => {
                let counts = &mut partial.counts;
                if counts.len() <= chunk.input {
                    counts.resize(chunk.input + 1, 0);
                }
                counts[chunk.input] += selected;
            }
        }
    }

    fn framing(&self) -> Framing {
        self.mapper.framing()
    }

    fn candidates(&self, chunk: Chunk<'_>, line: &mut dyn FnMut(usize)) -> bool {
        self.mapper.candidates(chunk, line)
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
#[derive(Debug)]
pub struct Grep {
    /// The line counter.
    pub mapper: GrepMapper,
    /// What to print.
    pub output: GrepOutput,
    /// The last run's count per input (by index), for `--by-file`: one row per argument, so
    /// the same file given twice is two rows, which a table keyed by name cannot tell.
    per_input: Mutex<Option<Vec<u64>>>,
    /// Under `--example`: the inputs the mapper sees, by index (`None` without).
    names: Option<Mutex<Vec<Vec<u8>>>>,
}

impl Job for Grep {
    const NAME: &'static str = "grep";
    const ABOUT: &'static str =
        "Count the lines that match a regex, like `grep -c` (exit 1 when none match)";
    const EXAMPLES: &'static str = "\
Examples:
  logmill grep ' 404 ' access.log           lines containing \" 404 \"
  logmill grep -F -e GET -e HEAD access.log  lines containing GET or HEAD (literal strings)
  logmill grep -v -i bot --by-file *.log     per file: lines without \"bot\" in any case
  logmill grep -q ERROR app.log && echo hit  exit code only: 0 found, 1 none, 2 error

Lines end at \\n (a \\r before it is part of the line); ^ and $ match at line edges and so do
\\A and \\z. Matches never span lines.

With --records PRESET or --record-start REGEX, records (a log line with its stack trace) are
counted instead: the regex runs over the whole record, ^ and $ match at the lines inside it.";

    type Args = GrepArgs;
    type Params = GrepParams;
    type Partial = GrepPartial;
    type State = u64;
    type Mapper<'j> = GrepRun<'j>;

    fn parse(a: GrepArgs) -> Result<Parsed<GrepParams>> {
        let mut files = a.files;
        let patterns = if a.regexp.is_empty() {
            a.pattern.into_iter().collect()
        } else {
            if let Some(first) = a.pattern {
                files.insert(0, first.into());
            }
            a.regexp
        };
        let output = if a.quiet {
            GrepOutput::Quiet
        } else if a.by_file {
            GrepOutput::ByFile
        } else {
            GrepOutput::Total
        };
        Ok(Parsed {
            params: GrepParams {
                patterns,
                options: PatternOptions {
                    ignore_case: a.ignore_case,
                    fixed_strings: a.fixed_strings,
                    word: a.word_regexp,
                    line: a.line_regexp,
                },
                invert: a.invert_match,
                output,
                records: a.records.spec(),
            },
            files,
            output: OutputArgs {
                sort: SortArg::Count,
                top: None,
                top_per: None,
                example: a.example,
                example_text: a.example_text,
                format: a.format,
            },
            bad: a.bad,
        })
    }

    fn build(p: &GrepParams, _: &RejectArgs) -> Result<Grep> {
        Ok(Grep {
            mapper: GrepMapper::with_records(
                &p.patterns,
                p.options,
                p.invert,
                record_rule(p.records.as_ref())?,
            )?,
            output: p.output,
            per_input: Mutex::new(None),
            names: None,
        })
    }

    fn keep_examples(&mut self) {
        self.names = Some(Mutex::new(Vec::new()));
    }

    fn example_access() -> Option<TableAccess<GrepPartial, u64>> {
        Some(TableAccess {
            table: |p| &mut p.table,
            table_ref: |p| &p.table,
        })
    }

    fn example_total(&self) -> bool {
        true
    }

    fn wants_input_names(&self) -> bool {
        self.names.is_some()
    }

    fn name_inputs(&self, _all: &[Vec<u8>], mapped: &[Vec<u8>]) {
        if let Some(n) = &self.names {
            *n.lock().unwrap_or_else(|p| p.into_inner()) = mapped.to_vec();
        }
    }

    fn mapper(&self) -> Result<GrepRun<'_>> {
        Ok(GrepRun {
            mapper: &self.mapper,
            names: self
                .names
                .as_ref()
                .map(|n| n.lock().unwrap_or_else(|p| p.into_inner()).clone()),
        })
    }

    /// One key per input that was read, its name's exact bytes (zero counts included, so
    /// `--by-file` lists every input), its count of selected lines as the state.
    /// Under `--example` the counts come by name (the same file given twice is one row's
    /// count, shown on each of its rows).
    fn export(&self, run: &GrepRun<'_>, p: GrepPartial, inputs: &InputList) -> Result<Keyed<u64>> {
        let mut k = Keyed::default();
        let counts = p.counts;
        for (i, name) in inputs.raw.iter().enumerate() {
            if !inputs.failed.get(i).copied().unwrap_or(false) {
                *k.table.entry(name) += counts.get(i).copied().unwrap_or(0);
            }
        }
        for (name, c) in p.table.into_entries() {
            *k.table.entry(&name) += c;
        }
        let per_input = run.names.is_none().then_some(counts);
        *self.per_input.lock().unwrap_or_else(|p| p.into_inner()) = per_input;
        Ok(k)
    }

    fn time_only(&self) -> bool {
        self.output == GrepOutput::Total
    }

    fn count(count: &u64) -> u64 {
        *count
    }

    fn finish(&self, keyed: Keyed<u64>, shown: Shown<'_>, out: &mut dyn Write) -> Result<Outcome> {
        let per_input = self
            .per_input
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .filter(|_| shown.this_run);
        finish(self, keyed, shown.inputs, per_input.as_deref(), shown.emit, out)
    }

    fn write_rows(&self, _: Meta, rows: Rows<u64>, emit: EmitOptions, out: &mut dyn Write) -> Result<Outcome> {
        // Grep's partial never spills: its rows are always in memory. Written as a merge's
        // rows are (key order).
        let mut table = crate::aggregate::KeyedTable::default();
        rows.for_each(|k, c| {
            *table.entry(k) += *c;
            Ok(())
        })?;
        let shown = Shown {
            inputs: None,
            this_run: false,
            emit,
        };
        self.finish(Keyed { table, meta: Meta::default() }, shown, out)
    }
}

/// Prints the result: success when at least one line was selected, [`ExitCode::NoMatch`]
/// otherwise. `--by-file` rows follow `order` (the inputs in argument order, for a direct run:
/// one row per argument, a failed input left out, names as their exact bytes), counted by
/// `per_input` when given (by input index), else by name from the table; after a merge, where
/// argument order is not known, they are the table's keys in key order. The total row's file
/// cell is empty: no input is named by the empty string, so it cannot be mistaken for a file
/// named `total`.
fn finish(
    job: &Grep,
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
                    None => keyed.table.get(raw).copied().unwrap_or(0),
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
    let shown_total: u64 = match (job.output, per_input) {
        (GrepOutput::ByFile, Some(_)) => rows.iter().map(|r| r.1).sum(),
        // Counted by name, a file given twice shows its combined count on both of its rows:
        // the total counts it once.
        (GrepOutput::ByFile, None) => {
            let mut names: Vec<&(Vec<u8>, u64)> = rows.iter().collect();
            names.sort_unstable();
            names.dedup_by(|a, b| a.0 == b.0);
            names.iter().map(|r| r.1).sum()
        }
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
    let mut e = crate::emit::emitter_for(&emit, &Meta::default(), out);
    match output {
        GrepOutput::Quiet => return Ok(()),
        GrepOutput::Total => {
            e.header(&["count"])?;
            tell_hook(b"");
            e.row(&[Value::Count(total)])?;
        }
        GrepOutput::ByFile => {
            e.header(&["file", "count"])?;
            for (name, count) in rows {
                tell_hook(name);
                e.row(&[Value::Text(name), Value::Count(*count)])?;
            }
            tell_hook(b"");
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

    fn run_on(job: &Grep, inputs: &[&[u8]], threads: usize, chunk: usize) -> (String, ExitCode) {
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
        let run = job.mapper().unwrap();
        let mapped = engine.run(specs, &run).unwrap();
        let list = mapped.input_list();
        let keyed = job.export(&run, mapped.partial, &list).unwrap();
        let shown = Shown {
            inputs: Some(&list),
            this_run: true,
            emit: EmitOptions::default(),
        };
        let outcome = job.finish(keyed, shown, &mut out).unwrap();
        (String::from_utf8(out).unwrap(), outcome.code)
    }

    fn job(p: &str, invert: bool, output: GrepOutput) -> Grep {
        let params = GrepParams {
            patterns: vec![p.to_string()],
            options: PatternOptions::default(),
            invert,
            output,
            records: None,
        };
        Grep::build(&params, &RejectArgs::default()).unwrap()
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
