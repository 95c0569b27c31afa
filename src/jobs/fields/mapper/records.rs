//! `fields` over multi-line records (`--records`, `--record-start`): each record's first line
//! is parsed by the line format; the lines after it (a stack trace) are not fields. A bad
//! record is listed at its first line's number, its whole text with line ends escaped.

use super::super::params::FieldsParams;
use super::super::record::LineParser;
use super::{fold_line, FieldsMapper, FieldsPartial};
use crate::chunk::{records, RecordRule};
use crate::error::{Error, Result};
use crate::jobs::search::escape_line_ends;
use crate::jobs::Chunk;

/// The record rule of `params`, refused for formats whose records are not lines.
pub(crate) fn rule(params: &FieldsParams) -> Result<Option<&'static RecordRule>> {
    if params.records.is_some() && matches!(params.format.as_str(), "csv" | "jsonl") {
        return Err(Error::InvalidArgument {
            flag: "--format",
            value: params.format.clone(),
            reason: "has records of its own and cannot be read with --records or \
                     --record-start (they work with ws, combined, common and syslog)"
                .into(),
        });
    }
    crate::jobs::args::record_rule(params.records.as_ref())
}

impl FieldsMapper<'_> {
    /// [`FieldsMapper::map_lines`] over records: the first line of each is parsed.
    pub(super) fn map_records(&self, parser: &LineParser, chunk: Chunk<'_>, p: &mut FieldsPartial) {
        let Some(rule) = self.job.records else {
            return self.map_lines(parser, chunk, p);
        };
        let mut s = self.scratch();
        let data = chunk.data;
        let mut line_no = 0u64;
        let mut counted = 0usize;
        let mut escaped = Vec::new();
        for r in rule.records(data) {
            line_no += memchr::memchr_iter(b'\n', &data[counted..r.start]).count() as u64;
            counted = r.start;
            let record = &data[r.clone()];
            let line = records::first_line(record);
            if parser.skips_blank_lines() && line.trim_ascii().is_empty() {
                continue;
            }
            let result = fold_line(self.job, parser, line, &mut s, p);
            if let Err(bad) = result {
                escaped.clear();
                escape_line_ends(records::trim_end(record), &mut escaped);
                self.reject(chunk, p, &mut s, bad, r.start, &escaped, line_no);
                if s.stop {
                    break;
                }
            }
        }
        let lines = memchr::memchr_iter(b'\n', data).count() as u64
            + u64::from(data.last().is_some_and(|&b| b != b'\n'));
        self.finish_chunk(chunk, p, &mut s, lines);
    }
}
