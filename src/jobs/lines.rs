//! `logmill lines`: how many times each distinct line occurs — the answer of
//! `sort | uniq -c | sort -rn`. A line is its bytes without the line end (`\n`, or `\r\n`, so
//! CRLF and LF files count alike); the last line counts even without a newline, and an empty
//! line is the empty key.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use memchr::memchr_iter;
use serde::{Deserialize, Serialize};

use super::{
    whole_table, write_counts, Chunk, InputList, Job, Keyed, Mapper, Meta, OutputArgs, Parsed,
    RejectArgs, TableAccess,
};
use crate::aggregate::KeyedTable;
use crate::emit::EmitOptions;
use crate::error::Result;
use crate::exit::Outcome;
use crate::spill::Rows;

/// Flags of `logmill lines`.
#[derive(Debug, Args)]
pub struct LinesArgs {
    /// Output order and truncation.
    #[command(flatten)]
    pub output: OutputArgs,

    /// Input files; `-` or none reads stdin.
    #[arg(value_name = "FILE", help_heading = None::<&str>)]
    pub files: Vec<PathBuf>,
}

/// What defines a `lines` result: nothing but the job (a line is always the same thing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LinesParams {}

/// The `lines` job; it is its own mapper.
#[derive(Debug, Clone, Copy, Default)]
pub struct Lines;

impl Mapper for Lines {
    type Partial = KeyedTable<u64>;

    fn map(&self, chunk: Chunk<'_>, counts: &mut KeyedTable<u64>) {
        let data = chunk.data;
        let mut start = 0;
        for end in memchr_iter(b'\n', data) {
            *counts.entry(strip_cr(&data[start..end])) += 1;
            start = end + 1;
        }
        if start < data.len() {
            *counts.entry(strip_cr(&data[start..])) += 1;
        }
    }
}

/// A line without the `\r` of a CRLF line end.
#[inline]
fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

impl Job for Lines {
    const NAME: &'static str = "lines";
    const ABOUT: &'static str =
        "Count identical lines, like `sort | uniq -c | sort -rn` (CRLF counts as LF)";
    const EXAMPLES: &'static str = "\
Examples:
  logmill lines app.log | head              the most repeated lines
  logmill lines --sort key --top 20 a.log   the first 20 distinct lines in byte order
  cut -d' ' -f1 access.log | logmill lines  requests per client, from a pipe";

    type Args = LinesArgs;
    type Params = LinesParams;
    type Partial = KeyedTable<u64>;
    type State = u64;
    type Mapper<'j> = &'j Lines;

    fn parse(args: LinesArgs) -> Result<Parsed<LinesParams>> {
        Ok(Parsed {
            params: LinesParams {},
            files: args.files,
            output: args.output,
            bad: RejectArgs::default(),
        })
    }

    fn build(_: &LinesParams, _: &RejectArgs) -> Result<Lines> {
        Ok(Lines)
    }

    fn mapper(&self) -> Result<&Lines> {
        Ok(self)
    }

    fn export(&self, _: &&Lines, counts: KeyedTable<u64>, _: &InputList) -> Result<Keyed<u64>> {
        Ok(Keyed::from(counts))
    }

    fn spill_access() -> Option<TableAccess<KeyedTable<u64>, u64>> {
        Some(whole_table())
    }

    fn key_columns(&self) -> Vec<String> {
        vec!["line".into()]
    }

    fn count(count: &u64) -> u64 {
        *count
    }

    fn write_rows(
        &self,
        meta: Meta,
        rows: Rows<u64>,
        emit: EmitOptions,
        out: &mut dyn Write,
    ) -> Result<Outcome> {
        write_counts("line", &meta, rows, emit, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_counted_without_their_ends() {
        let mut t = KeyedTable::default();
        Lines.map(Chunk::whole(0, b"a\r\nb\na\n\n\nb"), &mut t);
        assert_eq!(t.get(b"a"), Some(&2));
        assert_eq!(t.get(b"b"), Some(&2));
        assert_eq!(t.get(b""), Some(&2));
        assert_eq!(t.len(), 3);
    }
}
