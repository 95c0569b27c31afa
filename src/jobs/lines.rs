//! `logmill lines`: how many times each distinct line occurs — the answer of
//! `sort | uniq -c | sort -rn`. A line is its bytes without the line end (`\n`, or `\r\n`, so
//! CRLF and LF files count alike); the last line counts even without a newline, and an empty
//! line is the empty key.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use memchr::memchr_iter;
use serde::{Deserialize, Serialize};

use super::args::{record_framing, record_rule};
use super::{
    whole_table, write_counts, Chunk, Framing, InputList, Job, Keyed, Mapper, Meta, OutputArgs,
    Parsed, RecordArgs, RejectArgs, TableAccess,
};
use crate::chunk::{records, RecordRule, RecordSpec};
use crate::aggregate::KeyedTable;
use crate::emit::{EmitOptions, Value};
use crate::error::{Error, Result};
use crate::exit::{ExitCode, Outcome};
use crate::spill::Rows;

/// Flags of `logmill lines`.
#[derive(Debug, Args)]
pub struct LinesArgs {
    /// Output order and truncation.
    #[command(flatten)]
    pub output: OutputArgs,

    /// Multi-line records: identical records are counted.
    #[command(flatten)]
    pub records: RecordArgs,

    /// Where bad records go: records without a timestamp under the time options.
    #[command(flatten)]
    pub bad: RejectArgs,

    /// Input files; `-` or none reads stdin.
    #[arg(value_name = "FILE", help_heading = None::<&str>)]
    pub files: Vec<PathBuf>,
}

/// What defines a `lines` result: lines, or the records counted instead.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LinesParams {
    /// `--records`/`--record-start`: count identical records instead of lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub records: Option<RecordSpec>,
}

/// The `lines` job; it is its own mapper.
#[derive(Debug, Clone, Copy, Default)]
pub struct Lines {
    rule: Option<&'static RecordRule>,
}

impl Mapper for Lines {
    type Partial = KeyedTable<u64>;

    fn map(&self, chunk: Chunk<'_>, counts: &mut KeyedTable<u64>) {
        let data = chunk.data;
        if let Some(rule) = self.rule {
            // A record is its bytes without its final line end; a CRLF inside counts as LF.
            let mut key = Vec::new();
            for r in rule.records(data) {
                let rec = records::trim_end(&data[r]);
                if memchr::memchr(b'\r', rec).is_none() {
                    *counts.entry(rec) += 1;
                } else {
                    key.clear();
                    let mut start = 0;
                    for end in memchr_iter(b'\n', rec) {
                        key.extend_from_slice(strip_cr(&rec[start..end]));
                        key.push(b'\n');
                        start = end + 1;
                    }
                    key.extend_from_slice(&rec[start..]);
                    *counts.entry(&key) += 1;
                }
            }
            return;
        }
        let mut start = 0;
        for end in memchr_iter(b'\n', data) {
            *counts.entry(strip_cr(&data[start..end])) += 1;
            start = end + 1;
        }
        if start < data.len() {
            *counts.entry(strip_cr(&data[start..])) += 1;
        }
    }

    fn framing(&self) -> Framing {
        record_framing(self.rule)
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
  cut -d' ' -f1 access.log | logmill lines  requests per client, from a pipe
  logmill lines --records java app.log      identical log lines with their stack traces

With --records or --record-start, a key is a whole record, in a column named record
(TSV escapes \\, TAB, LF and CR as \\\\, \\t, \\n, \\r).";

    type Args = LinesArgs;
    type Params = LinesParams;
    type Partial = KeyedTable<u64>;
    type State = u64;
    type Mapper<'j> = &'j Lines;

    fn parse(args: LinesArgs) -> Result<Parsed<LinesParams>> {
        Ok(Parsed {
            params: LinesParams {
                records: args.records.spec(),
            },
            files: args.files,
            output: args.output,
            bad: args.bad,
        })
    }

    fn build(p: &LinesParams, _: &RejectArgs) -> Result<Lines> {
        Ok(Lines {
            rule: record_rule(p.records.as_ref())?,
        })
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
        if self.rule.is_none() {
            return write_counts("line", &meta, rows, emit, out);
        }
        // A record holds line ends: written as text (TSV escapes \\, TAB, LF and CR).
        let mut e = crate::emit::emitter_for(&emit, &meta, out);
        e.header(&["record", "count"]).map_err(Error::Output)?;
        rows.for_each(|key, count| {
            e.row(&[Value::Text(key), Value::Count(*count)])
                .map_err(Error::Output)
        })?;
        e.finish().map_err(Error::Output)?;
        Ok(ExitCode::Success.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_counted_without_their_ends() {
        let mut t = KeyedTable::default();
        Lines::default().map(Chunk::whole(0, b"a\r\nb\na\n\n\nb"), &mut t);
        assert_eq!(t.get(b"a"), Some(&2));
        assert_eq!(t.get(b"b"), Some(&2));
        assert_eq!(t.get(b""), Some(&2));
        assert_eq!(t.len(), 3);
    }
}
