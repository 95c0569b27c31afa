//! The `fields` job: group the records of structured logs by fields and aggregate fields per
//! group (count, exact sum, min, max, mean, distinct counts, percentiles).
//!
//! Each chunk is parsed by its format ([`crate::jobs::fields::record`]); a record passes the `--where`
//! filters, its group key is built from the `--by` fields (one field: its bytes; several: an
//! order-preserving encoding, so key order is the order of the field tuples), and every
//! aggregation folds its field in ([`crate::jobs::fields::agg`]). A record that does not parse, or whose
//! value under a numeric aggregation is not a number, is rejected before anything is counted:
//! it is counted by reason and, with `--rejects`, its text goes to a spool file while the
//! partial keeps only where it was.
//!
//! Line numbers of rejects: chunks know their byte offset, not their line number. Each chunk
//! records how many lines it holds, and each reject its line within its chunk; at the end the
//! line counts of the earlier chunks of the same input are added up. That costs one counter
//! per chunk and works for streams, which cannot be read twice.

pub mod agg;
pub mod args;
pub mod record;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use memchr::memchr;
use serde::{Deserialize, Serialize};

use self::agg::value::Num;
use self::agg::{AggKind, AggSpec, AggState, GroupState, Input};
use self::args::FieldsArgs;
use self::record::{Bad, Format, LineParser, Locator, Span};
use super::{
    Chunk, Framing, InputList, Job, Keyed, Mapper, Meta, Parsed, RejectArgs, RunShape, Shown,
    TableAccess,
};
use crate::aggregate::{KeyedTable, Merge};
use crate::atomic::OutputFile;
use crate::emit::{EmitOptions, Value};
use crate::error::{Error, Result};
use crate::exit::{ExitCode, Outcome};
use crate::order::order_rows;
use crate::spill::Rows;

/// A `--where` filter.
#[derive(Debug, Clone)]
pub struct Filter {
    /// The field's slot.
    pub slot: usize,
    /// The test.
    pub test: FilterTest,
    /// `!=` or `!~`: keep records that fail the test.
    pub negate: bool,
}

/// What a `--where` filter checks of a field's value (a null reads as empty).
#[derive(Debug, Clone)]
pub enum FilterTest {
    /// `FIELD=VALUE`: equal bytes.
    Equals(Vec<u8>),
    /// `FIELD~REGEX`: the regex matches somewhere in the value.
    Matches(regex::bytes::Regex),
}

impl Filter {
    #[inline]
    fn keeps(&self, v: &[u8]) -> bool {
        let hit = match &self.test {
            FilterTest::Equals(x) => v == x.as_slice(),
            FilterTest::Matches(re) => re.is_match(v),
        };
        hit != self.negate
    }
}

/// What defines a fields job, as given on the command line (and as a partial file's header
/// would name it): plain strings, validated by [`Fields::from_params`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldsParams {
    /// `--format`: ws, csv, jsonl, combined, common or syslog.
    pub format: String,
    /// `-d`.
    pub delimiter: Option<String>,
    /// `--no-headers`.
    pub no_headers: bool,
    /// `--by`, split at commas.
    pub by: Vec<String>,
    /// The aggregations in command-line order: `(kind, value)`, kind as the flag's name
    /// without dashes (`approx-distinct`), value as given (`bytes`, `latency:50,99`).
    pub aggs: Vec<(String, String)>,
    /// `--exact-pct`.
    pub exact_pct: bool,
    /// `--where`.
    pub filters: Vec<String>,
    // Not `--rejects`: where bad records go does not change the result, so partials made
    // with different rejects files merge (older headers still name it; serde skips it).
    /// `--strict`.
    pub strict: bool,
}

impl FieldsParams {
    /// The parameters of the flags of `logmill fields`, aggregations in command-line order.
    pub fn from_args(a: &FieldsArgs) -> Result<FieldsParams> {
        use self::args::RecordFormat;
        let format = match a.format {
            RecordFormat::Ws => "ws",
            RecordFormat::Csv => "csv",
            RecordFormat::Jsonl => "jsonl",
            RecordFormat::Combined => "combined",
            RecordFormat::Common => "common",
            RecordFormat::Syslog => "syslog",
        };
        let mut aggs: Vec<(usize, String, String)> = Vec::new();
        for (values, kind) in [
            (&a.count, "count"),
            (&a.sum, "sum"),
            (&a.min, "min"),
            (&a.max, "max"),
            (&a.mean, "mean"),
            (&a.distinct, "distinct"),
            (&a.approx_distinct, "approx-distinct"),
            (&a.pct, "pct"),
        ] {
            for v in values {
                aggs.push((v.seq, kind.to_string(), v.value.clone()));
            }
        }
        aggs.sort_by_key(|x| x.0);
        Ok(FieldsParams {
            format: format.to_string(),
            delimiter: a.delimiter.clone(),
            no_headers: a.no_headers,
            by: split_by(&a.by)?,
            aggs: aggs.into_iter().map(|(_, k, v)| (k, v)).collect(),
            exact_pct: a.exact_pct,
            filters: a.filters.clone(),
            strict: a.bad.strict,
        })
    }
}

/// The `fields` job, validated.
#[derive(Debug, Clone)]
pub struct Fields {
    /// What it was built from.
    pub params: FieldsParams,
    /// The record format.
    pub format: Format,
    /// The fields each slot reads, as named by the user.
    pub names: Vec<String>,
    /// How each slot is found.
    pub locators: Vec<Locator>,
    /// The group-by fields' slots, in order.
    pub by: Vec<usize>,
    /// The aggregations, in output order.
    pub aggs: Vec<AggSpec>,
    /// Filters, all of which must keep a record.
    pub filters: Vec<Filter>,
    /// Where to write rejected records (`--rejects`; set by the run, not a parameter of the
    /// result).
    pub rejects: Option<PathBuf>,
    /// Make the first bad record an error.
    pub strict: bool,
}

/// A parse error in the flags of `fields`, with the flag.
type FlagError = (&'static str, String, String);

impl Fields {
    /// Builds the job: checks the format and its options, resolves every field against the
    /// format, assigns slots, parses aggregations and filters. No aggregation means count.
    pub fn from_params(params: &FieldsParams) -> Result<Fields> {
        let format = record_format(params)?;
        let mut aggs = Vec::with_capacity(params.aggs.len());
        for (kind, value) in &params.aggs {
            aggs.push(parse_agg(kind, value, params.exact_pct)?);
        }
        let (by, filters) = (&params.by, &params.filters);
        let (rejects, strict) = (None, params.strict);
        let mut job = Fields {
            params: params.clone(),
            format,
            names: Vec::new(),
            locators: Vec::new(),
            by: Vec::new(),
            aggs: Vec::new(),
            filters: Vec::new(),
            rejects,
            strict,
        };
        let invalid = |(flag, value, reason): FlagError| Error::InvalidArgument {
            flag,
            value,
            reason,
        };
        for f in by {
            let slot = job.slot("--by", f).map_err(invalid)?;
            job.by.push(slot);
        }
        let aggs = if aggs.is_empty() {
            vec![(AggKind::Count, String::new())]
        } else {
            aggs
        };
        for (kind, field) in aggs {
            let slot = if kind == AggKind::Count {
                0
            } else {
                job.slot("aggregation", &field).map_err(invalid)?
            };
            job.aggs.push(AggSpec { kind, field, slot });
        }
        for w in filters {
            let f = job.filter(w).map_err(invalid)?;
            job.filters.push(f);
        }
        Ok(job)
    }

    fn slot(&mut self, flag: &'static str, field: &str) -> std::result::Result<usize, FlagError> {
        if let Some(i) = self.names.iter().position(|n| n == field) {
            return Ok(i);
        }
        let loc = record::locate(&self.format, field).map_err(|r| (flag, field.to_string(), r))?;
        self.names.push(field.to_string());
        self.locators.push(loc);
        Ok(self.names.len() - 1)
    }

    fn filter(&mut self, w: &str) -> std::result::Result<Filter, FlagError> {
        let bad = |r: &str| ("--where", w.to_string(), r.to_string());
        let at = record::find_outside_quotes(w, &['=', '~']).ok_or_else(|| {
            bad("expected FIELD=VALUE, FIELD~REGEX, FIELD!=VALUE or FIELD!~REGEX")
        })?;
        let (mut field, rest) = w.split_at(at);
        let negate = field.ends_with('!');
        if negate {
            field = &field[..field.len() - 1];
        }
        if field.is_empty() {
            return Err(bad("no field before the operator"));
        }
        let slot = self.slot("--where", field)?;
        let value = &rest[1..];
        let test = if rest.starts_with('=') {
            FilterTest::Equals(value.as_bytes().to_vec())
        } else {
            FilterTest::Matches(regex::bytes::Regex::new(value).map_err(|e| bad(&e.to_string()))?)
        };
        Ok(Filter { slot, test, negate })
    }

    /// The output column names: the group-by fields, then each aggregation's columns.
    pub fn columns(&self) -> Vec<String> {
        let mut c: Vec<String> = self.by.iter().map(|&s| self.names[s].clone()).collect();
        for a in &self.aggs {
            c.extend(a.columns());
        }
        c
    }

    /// The name of an aggregation in messages: `sum(bytes)`, `pct(latency)`.
    fn label(a: &AggSpec) -> String {
        let kind = match a.kind {
            AggKind::Count => "count",
            AggKind::Sum => "sum",
            AggKind::Min => "min",
            AggKind::Max => "max",
            AggKind::Mean => "mean",
            AggKind::Distinct => "distinct",
            AggKind::ApproxDistinct => "approx_distinct",
            AggKind::Pct { .. } => "pct",
        };
        format!("{kind}({})", a.field)
    }
}

/// The record format of `params`, with its delimiter and header options checked.
fn record_format(params: &FieldsParams) -> Result<Format> {
    let delimiter = params
        .delimiter
        .as_deref()
        .map(parse_delimiter)
        .transpose()?;
    let format = match params.format.as_str() {
        "ws" => delimiter.map_or(Format::Ws, Format::Delimited),
        "csv" => Format::Csv {
            delimiter: delimiter.unwrap_or(b','),
            headers: !params.no_headers,
        },
        other => {
            let format = match other {
                "jsonl" => Format::Jsonl,
                "combined" => Format::Combined,
                "common" => Format::Common,
                "syslog" => Format::Syslog,
                _ => {
                    return Err(Error::InvalidArgument {
                        flag: "--format",
                        value: other.to_string(),
                        reason: "expected ws, csv, jsonl, combined, common or syslog".into(),
                    })
                }
            };
            if let Some(d) = &params.delimiter {
                return Err(Error::InvalidArgument {
                    flag: "--delimiter",
                    value: d.clone(),
                    reason: format!("--format {} has its own field syntax", format.name()),
                });
            }
            format
        }
    };
    if params.no_headers && !matches!(format, Format::Csv { .. }) {
        return Err(Error::InvalidArgument {
            flag: "--no-headers",
            value: String::new(),
            reason: "only --format csv has headers".into(),
        });
    }
    Ok(format)
}

/// One aggregation flag (`sum`, `pct`, ...) and its value.
/// The fields of the `--by` flags: each a comma-separated list, commas inside double-quoted
/// names kept.
fn split_by(by: &[String]) -> Result<Vec<String>> {
    let mut fields = Vec::new();
    for list in by {
        let parts =
            record::split_outside_quotes(list, ',').map_err(|reason| Error::InvalidArgument {
                flag: "--by",
                value: list.clone(),
                reason,
            })?;
        fields.extend(parts.into_iter().map(str::to_string));
    }
    Ok(fields)
}

fn parse_agg(kind: &str, value: &str, exact_pct: bool) -> Result<(AggKind, String)> {
    let kind = match kind {
        "count" => {
            if !value.is_empty() {
                return Err(Error::InvalidArgument {
                    flag: "--count",
                    value: value.to_string(),
                    reason: "--count takes no value".into(),
                });
            }
            AggKind::Count
        }
        "sum" => AggKind::Sum,
        "min" => AggKind::Min,
        "max" => AggKind::Max,
        "mean" => AggKind::Mean,
        "distinct" => AggKind::Distinct,
        "approx-distinct" => AggKind::ApproxDistinct,
        "pct" => {
            let (field, points) = parse_pct(value)?;
            return Ok((
                AggKind::Pct {
                    points,
                    exact: exact_pct,
                },
                field,
            ));
        }
        other => {
            return Err(Error::InvalidArgument {
                flag: "aggregation",
                value: other.to_string(),
                reason: "unknown aggregation".into(),
            })
        }
    };
    Ok((kind, value.to_string()))
}

/// `-d`: one byte, or `\t`/`tab` for a tab.
fn parse_delimiter(s: &str) -> Result<u8> {
    match s {
        "\\t" | "tab" | "\t" => Ok(b'\t'),
        _ if s.len() == 1 => Ok(s.as_bytes()[0]),
        _ => Err(Error::InvalidArgument {
            flag: "--delimiter",
            value: s.to_string(),
            reason: "expected one byte (or \\t)".into(),
        }),
    }
}

/// `--pct FIELD:P,...`: the field (which may itself contain `:`) and percentiles in 0..=100.
fn parse_pct(s: &str) -> Result<(String, Vec<f64>)> {
    let bad = |reason: &str| Error::InvalidArgument {
        flag: "--pct",
        value: s.to_string(),
        reason: reason.to_string(),
    };
    let (field, list) = s
        .rsplit_once(':')
        .ok_or_else(|| bad("expected FIELD:P,... such as latency:50,90,99"))?;
    let mut points = Vec::new();
    for p in list.split(',') {
        let v: f64 = p
            .trim()
            .parse()
            .ok()
            .filter(|v: &f64| (0.0..=100.0).contains(v))
            .ok_or_else(|| bad("percentiles are numbers from 0 to 100"))?;
        points.push(v);
    }
    if field.is_empty() {
        return Err(bad("no field before the colon"));
    }
    Ok((field.to_string(), points))
}

/// How many lines one chunk holds.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ChunkLines {
    pub(crate) input: usize,
    pub(crate) offset: u64,
    pub(crate) lines: u64,
}

/// Where a rejected record was, and where its text is.
#[derive(Debug, Clone)]
pub(crate) struct Reject {
    pub(crate) input: usize,
    /// Byte offset of the record in its input.
    pub(crate) offset: u64,
    /// Offset of its chunk, and its line within the chunk (0-based).
    pub(crate) chunk_offset: u64,
    pub(crate) line_in_chunk: u64,
    /// Where its text is in the spool (`--rejects`).
    pub(crate) spool: (u64, u64),
    /// The reason and the text, kept in memory for `--strict` only (one record).
    pub(crate) detail: Option<(String, Vec<u8>)>,
}

/// The partial aggregate of the fields job.
#[derive(Debug, Default)]
pub struct FieldsPartial {
    groups: KeyedTable<GroupState>,
    bad: u64,
    bad_by_reason: BTreeMap<String, u64>,
    lines: Vec<ChunkLines>,
    rejects: Vec<Reject>,
    errors: Vec<(usize, String)>,
}

impl Merge for FieldsPartial {
    fn merge(&mut self, other: Self) {
        self.groups.merge(other.groups);
        self.bad.merge(other.bad);
        for (k, v) in other.bad_by_reason {
            self.bad_by_reason.entry(k).or_insert(0).merge(v);
        }
        self.lines.extend(other.lines);
        self.rejects.extend(other.rejects);
        self.errors.extend(other.errors);
    }
}

/// Rejected records' texts, appended by the mappers (in no particular order) and read back
/// by position at the end. Only the positions stay in memory.
pub(crate) struct Spool {
    file: Mutex<(BufWriter<File>, u64)>,
    /// The `--rejects` file, written atomically as `-o` is: created (as a temporary file
    /// beside it) with the spool, so an unwritable path fails before any work, and put in
    /// place only once every reject is written.
    output: Mutex<Option<OutputFile>>,
}

impl Spool {
    /// The spool of a run writing its rejects to `path`.
    pub(crate) fn for_rejects(path: &Path) -> Result<Spool> {
        let temp = tempfile::tempfile().map_err(|source| Error::Open {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(Spool {
            file: Mutex::new((BufWriter::with_capacity(1 << 16, temp), 0)),
            output: Mutex::new(Some(OutputFile::create(path)?)),
        })
    }

    /// The rejects file, once (the first caller writes it).
    fn take_output(&self) -> Option<OutputFile> {
        self.output
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
    }

    /// Appends `bytes`, returning where they start.
    pub(crate) fn append(&self, bytes: &[u8]) -> io::Result<u64> {
        let mut g = self.file.lock().unwrap_or_else(|p| p.into_inner());
        let at = g.1;
        g.0.write_all(bytes)?;
        g.1 += bytes.len() as u64;
        Ok(at)
    }

    /// Flushes what the mappers wrote and gives a handle to read it back.
    fn flushed(&self) -> io::Result<File> {
        let mut guard = self.file.lock().unwrap_or_else(|p| p.into_inner());
        guard.0.flush()?;
        guard.0.get_ref().try_clone()
    }
}

/// The mapper of the fields job.
pub struct FieldsMapper<'j> {
    job: &'j Fields,
    parser: Option<LineParser>,
    spool: Option<Spool>,
    /// With `--strict`: the earliest bad record found so far, `(input, offset)`; chunks that
    /// start after it are skipped.
    first_bad: Mutex<Option<(usize, u64)>>,
}

/// Rejected texts buffered per chunk before they go to the spool.
const REJECT_BUFFER: usize = 1 << 16;

/// Per-chunk working buffers, reused for every record.
struct Scratch {
    spans: Vec<Span>,
    json: Vec<u8>,
    key: Vec<u8>,
    nums: Vec<Option<Num>>,
    reject_text: Vec<u8>,
    pending: Vec<Reject>,
    stop: bool,
}

impl<'j> FieldsMapper<'j> {
    /// A mapper for `job`; opens the rejects spool when the job writes rejects.
    pub fn new(job: &'j Fields) -> Result<FieldsMapper<'j>> {
        let spool = match &job.rejects {
            Some(path) if !job.strict => Some(Spool::for_rejects(path)?),
            _ => None,
        };
        Ok(FieldsMapper {
            job,
            parser: LineParser::new(&job.format, &job.locators),
            spool,
            first_bad: Mutex::new(None),
        })
    }

    fn scratch(&self) -> Scratch {
        Scratch {
            spans: vec![None; self.job.locators.len()],
            json: Vec::new(),
            key: Vec::new(),
            nums: Vec::with_capacity(self.job.aggs.len()),
            reject_text: Vec::new(),
            pending: Vec::new(),
            stop: false,
        }
    }

    fn past_first_bad(&self, input: usize, offset: u64) -> bool {
        if !self.job.strict {
            return false;
        }
        let g = self.first_bad.lock().unwrap_or_else(|p| p.into_inner());
        g.is_some_and(|first| (input, offset) > first)
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
                let Scratch {
                    spans,
                    json,
                    key,
                    nums,
                    ..
                } = &mut s;
                let result = parser
                    .parse(line, spans, json)
                    .and_then(|base| fold(self.job, base, spans, p, key, nums));
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
                p.errors.push((chunk.input, e));
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
        let offset = chunk.offset + start as u64;
        let mut r = Reject {
            input: chunk.input,
            offset,
            chunk_offset: chunk.offset,
            line_in_chunk,
            spool: (0, 0),
            detail: None,
        };
        if self.job.strict {
            let mut g = self.first_bad.lock().unwrap_or_else(|p| p.into_inner());
            if g.is_none_or(|first| (chunk.input, offset) < first) {
                *g = Some((chunk.input, offset));
            }
            r.detail = Some((bad.detail, text.to_vec()));
            p.rejects.push(r);
            s.stop = true;
        } else {
            *p.bad_by_reason.entry(bad.category).or_insert(0) += 1;
            if self.spool.is_some() {
                r.spool = (s.reject_text.len() as u64, text.len() as u64);
                s.reject_text.extend_from_slice(text);
                s.pending.push(r);
                if s.reject_text.len() >= REJECT_BUFFER {
                    self.flush_rejects(chunk, p, s);
                }
            }
        }
    }

    fn flush_rejects(&self, chunk: Chunk<'_>, p: &mut FieldsPartial, s: &mut Scratch) {
        let Some(spool) = &self.spool else { return };
        if s.pending.is_empty() {
            return;
        }
        match spool.append(&s.reject_text) {
            Ok(base) => {
                for mut r in s.pending.drain(..) {
                    r.spool.0 += base;
                    p.rejects.push(r);
                }
            }
            Err(e) => {
                p.errors.push((
                    chunk.input,
                    format!("writing rejected records to a temporary file: {e}"),
                ));
                s.pending.clear();
            }
        }
        s.reject_text.clear();
    }

    fn finish_chunk(&self, chunk: Chunk<'_>, p: &mut FieldsPartial, s: &mut Scratch, lines: u64) {
        self.flush_rejects(chunk, p, s);
        p.lines.push(ChunkLines {
            input: chunk.input,
            offset: chunk.offset,
            lines,
        });
    }
}

/// Filters, parses the numbers of, groups and aggregates one parsed record.
#[inline]
fn fold(
    job: &Fields,
    base: &[u8],
    spans: &[Span],
    p: &mut FieldsPartial,
    key: &mut Vec<u8>,
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
                encode_key_part(key, value(slot).unwrap_or(b""));
            }
            key
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

/// Appends one field of a composite key: `0x00` is written `0x00 0xFF` and each field ends
/// with `0x00 0x01`, so comparing encoded keys byte by byte compares the field tuples.
fn encode_key_part(key: &mut Vec<u8>, field: &[u8]) {
    for &b in field {
        key.push(b);
        if b == 0 {
            key.push(0xFF);
        }
    }
    key.extend_from_slice(&[0, 1]);
}

/// Splits an encoded composite key back into its fields.
fn decode_key(key: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut cur = Vec::new();
    let mut i = 0;
    while i < key.len() {
        if key[i] == 0 {
            if key.get(i + 1) == Some(&1) {
                out.push(std::mem::take(&mut cur));
            } else {
                cur.push(0);
            }
            i += 2;
        } else {
            cur.push(key[i]);
            i += 1;
        }
    }
    out
}

impl Mapper for FieldsMapper<'_> {
    type Partial = FieldsPartial;

    fn map(&self, chunk: Chunk<'_>, p: &mut FieldsPartial) {
        if self.past_first_bad(chunk.input, chunk.offset) {
            return;
        }
        match (&self.job.format, &self.parser) {
            (Format::Csv { delimiter, headers }, _) => self.map_csv(*delimiter, *headers, chunk, p),
            (_, Some(parser)) => self.map_lines(parser, chunk, p),
            (_, None) => {}
        }
    }

    fn framing(&self) -> Framing {
        match self.job.format {
            Format::Csv { delimiter, .. } => Framing::Quoted { delimiter },
            _ => Framing::Lines,
        }
    }
}

/// Line numbers (1-based) of records, from the chunks' line counts.
pub(crate) struct LineIndex {
    /// Per input: `(chunk offset, lines before the chunk)`, by offset.
    starts: BTreeMap<usize, Vec<(u64, u64)>>,
}

impl LineIndex {
    pub(crate) fn new(mut chunks: Vec<ChunkLines>) -> LineIndex {
        chunks.sort_unstable_by_key(|c| (c.input, c.offset));
        let mut starts: BTreeMap<usize, Vec<(u64, u64)>> = BTreeMap::new();
        for c in chunks {
            let v = starts.entry(c.input).or_default();
            let before = v.last().map_or(0, |&(_, b)| b);
            // Store the running total *after* each chunk; look-ups subtract.
            v.push((c.offset, before + c.lines));
        }
        LineIndex { starts }
    }

    pub(crate) fn line(&self, r: &Reject) -> u64 {
        let before = self.starts.get(&r.input).map_or(0, |v| {
            let i = v.partition_point(|&(off, _)| off < r.chunk_offset);
            if i == 0 {
                0
            } else {
                v[i - 1].1
            }
        });
        before + r.line_in_chunk + 1
    }
}

impl Job for Fields {
    const NAME: &'static str = "fields";
    const ABOUT: &'static str = "Group the records of structured logs (whitespace-split, CSV, \
         JSON lines, access logs, syslog) by fields and aggregate fields per group";
    const EXAMPLES: &'static str = args::FIELDS_EXAMPLES;

    type Args = FieldsArgs;
    type Params = FieldsParams;
    type Partial = FieldsPartial;
    type State = GroupState;
    type Mapper<'j> = FieldsMapper<'j>;

    fn parse(a: FieldsArgs) -> Result<Parsed<FieldsParams>> {
        Ok(Parsed {
            params: FieldsParams::from_args(&a)?,
            files: a.files,
            output: a.output,
            bad: a.bad,
        })
    }

    fn build(params: &FieldsParams, bad: &RejectArgs) -> Result<Fields> {
        let mut job = Fields::from_params(params)?;
        job.rejects = bad.rejects.clone();
        Ok(job)
    }

    fn check(&self, run: RunShape<'_>) -> Result<()> {
        check(run, self)
    }

    fn mapper(&self) -> Result<FieldsMapper<'_>> {
        FieldsMapper::new(self)
    }

    fn export(
        &self,
        mapper: &FieldsMapper<'_>,
        partial: FieldsPartial,
        inputs: &InputList,
    ) -> Result<Keyed<GroupState>> {
        export(self, mapper, partial, &inputs.names)
    }

    fn spill_access() -> Option<TableAccess<FieldsPartial, GroupState>> {
        Some(TableAccess {
            table: |p| &mut p.groups,
            table_ref: |p| &p.groups,
        })
    }

    fn count(group: &GroupState) -> u64 {
        group.count
    }

    fn finish(
        &self,
        keyed: Keyed<GroupState>,
        shown: Shown<'_>,
        out: &mut dyn Write,
    ) -> Result<Outcome> {
        finish(self, keyed, shown.emit, out)
    }

    fn write_rows(
        &self,
        meta: Meta,
        rows: Rows<GroupState>,
        emit: EmitOptions,
        out: &mut dyn Write,
    ) -> Result<Outcome> {
        finish_rows(self, meta, rows, emit, out)
    }
}

/// Refuses what the fields job cannot do: shards of CSV (records may span lines, and the header
/// is at the start of the file), line numbers (`--rejects`, `--strict`) of a shard, and
/// incremental runs of CSV (the header is not in the appended part).
fn check(config: RunShape<'_>, job: &Fields) -> Result<()> {
    let value = |flag: &str| match (flag, config.shard, config.state) {
        ("--shard", Some(sh), _) => format!("{}/{}", sh.index, sh.count),
        (_, _, Some(p)) => p.display().to_string(),
        _ => String::new(),
    };
    let refuse = |flag: &'static str, reason: &str| {
        Err(Error::InvalidArgument {
            flag,
            value: value(flag),
            reason: reason.into(),
        })
    };
    let csv = matches!(job.format, Format::Csv { .. });
    if config.shard.is_some() {
        if csv {
            return refuse(
                "--shard",
                "CSV records may span lines; shard line formats only",
            );
        }
        if job.rejects.is_some() || job.strict {
            return refuse(
                "--shard",
                "line numbers of --rejects and --strict need the whole input",
            );
        }
    }
    if config.state.is_some() && (csv || job.rejects.is_some() || job.strict) {
        return refuse(
            "--state",
            "incremental runs of fields need a line format, without --rejects or --strict",
        );
    }
    Ok(())
}

/// The canonical partial of a run: hard errors, `--strict` and `--rejects` are handled here
/// (they need the run's line numbers); bad-record counts travel on as job-wide facts.
pub fn export(
    job: &Fields,
    mapper: &FieldsMapper<'_>,
    mut p: FieldsPartial,
    names: &[String],
) -> Result<Keyed<GroupState>> {
    if let Some((input, msg)) = p.errors.iter().min() {
        let name = names.get(*input).map_or("-", String::as_str);
        return Err(Error::Fields(format!("{name}: {msg}")));
    }
    let lines = LineIndex::new(std::mem::take(&mut p.lines));
    if job.strict {
        if let Some(r) = p.rejects.iter().min_by_key(|r| (r.input, r.offset)) {
            let (reason, text) = r.detail.clone().unwrap_or_default();
            return Err(Error::BadRecord {
                input: names.get(r.input).cloned().unwrap_or_default(),
                line: lines.line(r),
                reason,
                text: String::from_utf8_lossy(&text[..text.len().min(200)]).into_owned(),
            });
        }
    }
    if let (Some(path), Some(spool)) = (&job.rejects, &mapper.spool) {
        write_rejects(path, spool, &mut p.rejects, &lines, names)?;
    }
    Ok(Keyed {
        table: p.groups,
        meta: Meta {
            bad: p.bad_by_reason,
            ..Meta::default()
        },
    })
}

/// Prints the table, and a warning when bad records were left out.
pub fn finish(
    job: &Fields,
    keyed: Keyed<GroupState>,
    emit: EmitOptions,
    out: &mut dyn Write,
) -> Result<Outcome> {
    let mut groups = keyed.table;
    if job.by.is_empty() && groups.is_empty() {
        // One group for everything, even when there is nothing: count 0.
        groups.entry(b"");
    }
    let rows = order_rows(groups.into_entries().collect(), |g| g.count, &emit);
    finish_rows(job, keyed.meta, Rows::Memory(rows), emit, out)
}

/// Prints rows already in order (from memory, or merged from spilled runs), and a warning
/// when bad records were left out.
pub fn finish_rows(
    job: &Fields,
    meta: Meta,
    rows: Rows<GroupState>,
    emit: EmitOptions,
    out: &mut dyn Write,
) -> Result<Outcome> {
    let mut outcome = Outcome::from(ExitCode::Success);
    let bad: u64 = meta.bad.values().sum();
    if bad > 0 {
        let reasons: Vec<String> = meta.bad.iter().map(|(k, v)| format!("{v} {k}")).collect();
        let see = match &job.rejects {
            Some(path) => format!("; they are listed in {}", path.display()),
            None => "; --rejects FILE lists them".into(),
        };
        outcome.warnings.push(format!(
            "{bad} bad record{} left out ({}){see}",
            if bad == 1 { "" } else { "s" },
            reasons.join(", "),
        ));
    }
    write_rows(job, &meta, rows, emit, out)?;
    Ok(outcome)
}

/// Writes `path:line:text` lines for the rejects, in input and line order, to the spool's
/// output file, and puts it in place at `path` (atomically: a failure leaves the previous file
/// as it was).
pub(crate) fn write_rejects(
    path: &Path,
    spool: &Spool,
    rejects: &mut [Reject],
    lines: &LineIndex,
    names: &[String],
) -> Result<()> {
    use std::os::unix::fs::FileExt;
    let write_err = |source| Error::Open {
        path: path.to_path_buf(),
        source,
    };
    let Some(mut file) = spool.take_output() else {
        return Ok(());
    };
    let spool = spool.flushed().map_err(write_err)?;
    rejects.sort_unstable_by_key(|r| (r.input, r.offset));
    let mut w = BufWriter::with_capacity(1 << 16, file.file_mut());
    let mut text = Vec::new();
    for r in rejects.iter() {
        text.resize(r.spool.1 as usize, 0);
        spool
            .read_exact_at(&mut text, r.spool.0)
            .map_err(write_err)?;
        let name = names.get(r.input).map_or("-", String::as_str);
        write!(w, "{name}:{}:", lines.line(r)).map_err(write_err)?;
        w.write_all(&text).map_err(write_err)?;
        w.write_all(b"\n").map_err(write_err)?;
    }
    w.flush().map_err(write_err)?;
    drop(w);
    file.commit()
}

/// Orders the groups and writes them: key fields, then each aggregation's cells.
fn write_rows(
    job: &Fields,
    meta: &Meta,
    rows: Rows<GroupState>,
    opts: EmitOptions,
    out: &mut dyn Write,
) -> Result<()> {
    // A group that never saw a value has no aggregate states yet: print the empty ones.
    let no_aggs: Vec<AggState> = job.aggs.iter().map(AggSpec::state).collect();
    let columns = job.columns();
    let column_refs: Vec<&str> = columns.iter().map(String::as_str).collect();
    let mut e = crate::emit::emitter_for(&opts, meta, out);
    e.header(&column_refs).map_err(Error::Output)?;
    let mut texts: Vec<String> = Vec::new();
    rows.for_each(|key, g| {
        let aggs = if g.aggs.is_empty() { &no_aggs } else { &g.aggs };
        let parts: Vec<Vec<u8>> = match job.by.len() {
            0 => Vec::new(),
            1 => vec![key.to_vec()],
            _ => decode_key(key),
        };
        texts.clear();
        for (state, spec) in aggs.iter().zip(&job.aggs) {
            let cells = state.cells(spec, g.count).map_err(|_| {
                Error::Fields(format!(
                    "{} of group {:?} does not fit in an exact 128-bit decimal",
                    Fields::label(spec),
                    String::from_utf8_lossy(&parts.join(&b'\t'))
                ))
            })?;
            texts.extend(cells);
        }
        let mut cells: Vec<Value<'_>> = parts.iter().map(|p| Value::Text(p)).collect();
        let mut t = texts.iter();
        for spec in &job.aggs {
            if spec.kind == AggKind::Count {
                t.next();
                cells.push(Value::Count(g.count));
            } else {
                for _ in spec.columns() {
                    if let Some(s) = t.next() {
                        cells.push(if s.is_empty() {
                            Value::Text(b"")
                        } else {
                            Value::Number(s)
                        });
                    }
                }
            }
        }
        e.row(&cells).map_err(Error::Output)
    })?;
    e.finish().map_err(Error::Output)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn composite_keys_sort_like_tuples_and_decode() {
        let tuples: Vec<Vec<&[u8]>> = vec![
            vec![b"", b"z"],
            vec![b"\0", b""],
            vec![b"\0\x01", b""],
            vec![b"a", b"\0"],
            vec![b"a", b"\x01"],
            vec![b"ab", b""],
            vec![b"b", b"a"],
        ];
        let enc: Vec<Vec<u8>> = tuples
            .iter()
            .map(|t| {
                let mut k = Vec::new();
                for f in t {
                    encode_key_part(&mut k, f);
                }
                k
            })
            .collect();
        for i in 0..tuples.len() {
            assert_eq!(
                decode_key(&enc[i]),
                tuples[i].iter().map(|f| f.to_vec()).collect::<Vec<_>>()
            );
            for j in 0..tuples.len() {
                assert_eq!(enc[i].cmp(&enc[j]), tuples[i].cmp(&tuples[j]), "{i} {j}");
            }
        }
    }

    #[test]
    fn line_numbers_add_up_earlier_chunks() {
        let chunks = vec![
            ChunkLines {
                input: 0,
                offset: 100,
                lines: 5,
            },
            ChunkLines {
                input: 0,
                offset: 0,
                lines: 3,
            },
            ChunkLines {
                input: 1,
                offset: 0,
                lines: 7,
            },
            ChunkLines {
                input: 0,
                offset: 250,
                lines: 1,
            },
        ];
        let idx = LineIndex::new(chunks);
        let r = |input, chunk_offset, line_in_chunk| Reject {
            input,
            offset: 0,
            chunk_offset,
            line_in_chunk,
            spool: (0, 0),
            detail: None,
        };
        assert_eq!(idx.line(&r(0, 0, 0)), 1);
        assert_eq!(idx.line(&r(0, 100, 2)), 6);
        assert_eq!(idx.line(&r(0, 250, 0)), 9);
        assert_eq!(idx.line(&r(1, 0, 6)), 7);
    }
}
