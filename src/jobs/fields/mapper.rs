//! The mapper of `fields`: parses each record of a chunk, filters it, and folds it into its
//! group; a record that does not parse, or whose value under a numeric aggregation is not a
//! number, is rejected ([`crate::jobs::bad_records`]) before anything is counted.

pub(super) mod records;

use std::collections::BTreeMap;

use memchr::memchr;

use super::agg::value::Num;
use super::agg::{AggKind, AggSpec, GroupState, Input};
use super::params::Fields;
use super::record::{self, Bad, Format, LineParser, Span};
use crate::aggregate::key::KeyBuilder;
use crate::aggregate::{KeyedTable, Merge};
use crate::jobs::{Chunk, Framing, Mapper};
use crate::error::Result;
use crate::jobs::bad_records::{BadRecords, ChunkRejects, Listed};

/// The partial aggregate of the fields job.
#[derive(Debug, Default)]
pub struct FieldsPartial {
    pub(super) groups: KeyedTable<GroupState>,
    bad: u64,
    pub(super) bad_by_reason: BTreeMap<String, u64>,
    /// Where bad records were, and hard errors.
    pub(super) listed: Listed,
}

impl Merge for FieldsPartial {
    fn merge(&mut self, other: Self) {
        self.groups.merge(other.groups);
        self.bad.merge(other.bad);
        Merge::merge(&mut self.bad_by_reason, other.bad_by_reason);
        self.listed.merge(other.listed);
    }
}

/// The mapper of the fields job.
pub struct FieldsMapper<'j> {
    job: &'j Fields,
    parser: Option<LineParser>,
    /// Where bad records go.
    pub(super) bad: BadRecords,
}

/// Per-chunk working buffers, reused for every record.
struct Scratch {
    spans: Vec<Span>,
    json: Vec<u8>,
    key: KeyBuilder,
    nums: Vec<Option<Num>>,
    rejects: ChunkRejects,
    stop: bool,
}

impl<'j> FieldsMapper<'j> {
    /// A mapper for `job`; opens the rejects spool when the job writes rejects.
    pub fn new(job: &'j Fields) -> Result<FieldsMapper<'j>> {
        Ok(FieldsMapper {
            job,
            parser: LineParser::new(&job.format, &job.locators),
            bad: BadRecords::new(job.rejects.as_deref(), job.strict)?,
        })
    }

    fn scratch(&self) -> Scratch {
        Scratch {
            spans: vec![None; self.job.locators.len()],
            json: Vec::new(),
            key: KeyBuilder::default(),
            nums: Vec::with_capacity(self.job.aggs.len()),
            rejects: ChunkRejects::default(),
            stop: false,
        }
    }

    fn map_lines(&self, parser: &LineParser, chunk: Chunk<'_>, p: &mut FieldsPartial) {
        let mut s = self.scratch();
        let data = chunk.data;
        let mut pos = 0;
        let mut line_no = 0u64;
        while pos < data.len() {
            let end = memchr(b'\n', &data[pos..]).map_or(data.len(), |k| pos + k);
            let mut line = &data[pos..end];
            if let [rest @ .., b'\r'] = line {
                line = rest;
            }
            if !(parser.skips_blank_lines() && line.trim_ascii().is_empty()) {
                let result = fold_line(self.job, parser, line, &mut s, p);
                if let Err(bad) = result {
                    self.reject(chunk, p, &mut s, bad, pos, line, line_no);
                    if s.stop {
                        break;
                    }
                }
            }
            line_no += 1;
            pos = end + 1;
        }
        self.finish_chunk(chunk, p, &mut s, line_no);
    }

    fn map_csv(&self, delimiter: u8, headers: bool, chunk: Chunk<'_>, p: &mut FieldsPartial) {
        let header = if headers {
            record::csv::header(delimiter, chunk.head)
        } else {
            None
        };
        let positions = match record::csv::resolve(&self.job.locators, header.as_ref()) {
            Ok(v) => v,
            Err(e) => {
                p.listed.error(chunk.input, e);
                return;
            }
        };
        let expected = header.as_ref().map(|h| h.len());
        let mut s = self.scratch();
        let data = chunk.data;
        let mut reader = record::csv::reader(delimiter, data);
        let mut rec = csv::ByteRecord::new();
        // Reading from memory with `flexible` cannot fail; stop if it ever does.
        while let Ok(true) = reader.read_byte_record(&mut rec) {
            let (mut start, mut line) = rec
                .position()
                .map_or((0, 1), |q| (q.byte() as usize, q.line()));
            // The csv crate places a record after a CRLF at that CRLF's `\n`, and after blank
            // lines at their start: step over line ends to the record's first byte.
            while let Some(b'\r' | b'\n') = data.get(start) {
                if data[start] == b'\n' {
                    line += 1;
                }
                start += 1;
            }
            if headers && chunk.offset + (start as u64) < chunk.head.len() as u64 {
                continue;
            }
            let after = (reader.position().byte() as usize).min(data.len());
            let mut text = &data[start.min(after)..after];
            while let [rest @ .., b'\n' | b'\r'] = text {
                text = rest;
            }
            if let Some(n) = expected.filter(|&n| n != rec.len()) {
                let bad = Bad {
                    category: "wrong number of CSV fields".into(),
                    detail: format!("{} fields where the header has {n}", rec.len()),
                };
                self.reject(chunk, p, &mut s, bad, start, text, line.saturating_sub(1));
            } else {
                for sp in s.spans.iter_mut() {
                    *sp = None;
                }
                for &(index, slot) in &positions {
                    s.spans[slot] = rec.range(index);
                }
                if let Err(bad) = fold(
                    self.job,
                    rec.as_slice(),
                    &s.spans,
                    p,
                    &mut s.key,
                    &mut s.nums,
                ) {
                    self.reject(chunk, p, &mut s, bad, start, text, line.saturating_sub(1));
                }
            }
            if s.stop {
                break;
            }
        }
        let lines = memchr::memchr_iter(b'\n', data).count() as u64;
        self.finish_chunk(chunk, p, &mut s, lines);
    }

    #[allow(clippy::too_many_arguments)]
    fn reject(
        &self,
        chunk: Chunk<'_>,
        p: &mut FieldsPartial,
        s: &mut Scratch,
        bad: Bad,
        start: usize,
        text: &[u8],
        line_in_chunk: u64,
    ) {
        p.bad += 1;
        if !self.job.strict {
            *p.bad_by_reason.entry(bad.category).or_insert(0) += 1;
        }
        s.stop = self.bad.reject(
            chunk,
            start,
            line_in_chunk,
            text,
            || bad.detail,
            &mut s.rejects,
            &mut p.listed,
        );
    }

    fn finish_chunk(&self, chunk: Chunk<'_>, p: &mut FieldsPartial, s: &mut Scratch, lines: u64) {
        self.bad
            .chunk_done(chunk, lines, &mut s.rejects, &mut p.listed);
    }
}

/// Filters, parses the numbers of, groups and aggregates one parsed record.
#[inline]
/// Parses one line (a record's first line) and folds it into `p`.
fn fold_line(
    job: &Fields,
    parser: &LineParser,
    line: &[u8],
    s: &mut Scratch,
    p: &mut FieldsPartial,
) -> std::result::Result<(), Bad> {
    let Scratch {
        spans,
        json,
        key,
        nums,
        ..
    } = s;
    parser
        .parse(line, spans, json)
        .and_then(|base| fold(job, base, spans, p, key, nums))
}

fn fold(
    job: &Fields,
    base: &[u8],
    spans: &[Span],
    p: &mut FieldsPartial,
    key: &mut KeyBuilder,
    nums: &mut Vec<Option<Num>>,
) -> std::result::Result<(), Bad> {
    // `get`: count has no field, and its slot may be past the table.
    let value = |slot: usize| spans.get(slot).cloned().flatten().map(|r| &base[r]);
    for f in &job.filters {
        if !f.keeps(value(f.slot).unwrap_or(b"")) {
            return Ok(());
        }
    }
    // Every number is parsed before anything is counted: a bad record leaves no trace.
    nums.clear();
    let clf = matches!(job.format, Format::Combined | Format::Common);
    for a in &job.aggs {
        let n = match value(a.slot) {
            Some(v) if a.kind.numeric() && !v.is_empty() => Some(match Num::parse(v) {
                Ok(n) => n,
                // Access logs write "-" for "no bytes".
                Err(_) if clf && v == b"-" => Num::Int(0),
                Err(e) => {
                    let what = e.reason();
                    let label = Fields::label(a);
                    return Err(Bad {
                        category: format!("{what} in {label}"),
                        detail: format!("{what} in {label}: {:?}", String::from_utf8_lossy(v)),
                    });
                }
            }),
            _ => None,
        };
        nums.push(n);
    }
    let k: &[u8] = match job.by.as_slice() {
        [] => b"",
        [one] => value(*one).unwrap_or(b""),
        many => {
            key.clear();
            for &slot in many {
                key.push(value(slot).unwrap_or(b""));
            }
            key.key()
        }
    };
    let g = p.groups.entry(k);
    if g.aggs.is_empty() {
        g.aggs = job.aggs.iter().map(AggSpec::state).collect();
    }
    g.count += 1;
    for ((state, spec), num) in g.aggs.iter_mut().zip(&job.aggs).zip(nums.iter()) {
        if spec.kind != AggKind::Count {
            let bytes = value(spec.slot).filter(|v| !v.is_empty());
            state.add(Input { bytes, num: *num });
        }
    }
    Ok(())
}

impl Mapper for FieldsMapper<'_> {
    type Partial = FieldsPartial;

    fn map(&self, chunk: Chunk<'_>, p: &mut FieldsPartial) {
        if self.bad.past_first_bad(chunk.input, chunk.offset) {
            return;
        }
        match (&self.job.format, &self.parser) {
            (Format::Csv { delimiter, headers }, _) => self.map_csv(*delimiter, *headers, chunk, p),
            (_, Some(parser)) if self.job.records.is_some() => {
                self.map_records(parser, chunk, p)
            }
            (_, Some(parser)) => self.map_lines(parser, chunk, p),
            (_, None) => {}
        }
    }

    fn framing(&self) -> Framing {
        match self.job.format {
            Format::Csv { delimiter, .. } => Framing::Quoted { delimiter },
            _ => crate::jobs::args::record_framing(self.job.records),
        }
    }
}
