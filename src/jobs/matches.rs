//! `logmill match`: regex matches counted by their capture groups — the grep-aggregate that
//! otherwise takes `rg -o -r '$1' PATTERN | sort | uniq -c | sort -rn`.
//!
//! - The key is the text of the capture groups, one output column each (named groups name
//!   their column; others are `group1`, `group2`, …). A pattern without groups is keyed by the
//!   whole match. A group that did not take part in the match contributes an empty field.
//! - By default the first non-empty match of each line counts; with `all`, every non-empty
//!   match does. Empty matches never count (as with `grep -o`).
//! - With a sum group, that group is not part of the key: its text is parsed as an exact
//!   decimal ([`crate::num`]) and summed per key. A match whose sum text is not a number is a
//!   rejected record: it counts neither in its key's count nor in its sum (so sum / count stays
//!   an average over the same records), and the run reports how many were rejected.
//!
//! Several key fields are packed with [`crate::aggregate::key::KeyBuilder`] so that any bytes, TAB and
//! newline included, stay unambiguous; TSV output escapes them.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use serde::{Deserialize, Serialize};

use super::args::{record_rule, OutputArgs, RecordArgs, RejectArgs};
use super::pattern::{PatternOptions, PerThread};
use super::search::Search;
use super::{
    Chunk, Framing, InputList, Job, Keyed, Mapper, Meta, Parsed, RunShape, Shown, TableAccess,
};
use crate::chunk::{RecordRule, RecordSpec};
use crate::aggregate::key::{self, KeyBuilder};
use crate::aggregate::{KeyedTable, Merge};
use crate::emit::{EmitOptions, Value};
use crate::error::{Error, Result};
use crate::exit::{ExitCode, Outcome};
use crate::num::{Decimal, SparseSum, NumberError};
use crate::order::order_rows;
use crate::spill::Rows;

pub use crate::aggregate::keyed::Rejected;

use super::bad_records::{where_listed, BadRecords, ChunkRejects, Listed};

/// A group of the pattern, by position or by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupRef {
    /// By position: 1 is the first `(`.
    Index(usize),
    /// By name: `(?P<name>...)` or `(?<name>...)`.
    Name(String),
}

impl GroupRef {
    /// A number is an index, anything else a name.
    pub fn parse(s: &str) -> GroupRef {
        match s.parse() {
            Ok(i) => GroupRef::Index(i),
            Err(_) => GroupRef::Name(s.to_string()),
        }
    }
}

/// Count (and optional exact sum) of one key.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Tally {
    /// Accepted matches.
    pub count: u64,
    /// Sum of the sum group over those matches (zero without a sum group; then no heap).
    pub sum: SparseSum,
}

impl Merge for Tally {
    fn saturated(&self) -> bool {
        self.count.saturated()
    }

    #[inline]
    fn merge(&mut self, other: Self) {
        self.count.merge(other.count);
        self.sum.merge(other.sum);
    }
}

/// The partial of `match`: a tally per key, and the rejected records.
#[derive(Debug, Clone, Default)]
pub struct MatchCounts {
    /// Tally per (encoded) key.
    pub table: KeyedTable<Tally>,
    /// Records whose sum text was not a number.
    pub rejected: Rejected,
    /// Records whose sum text was a number that cannot be held exactly, by reason.
    pub out_of_range: BTreeMap<String, u64>,
    /// Where bad records were (`--rejects`, `--strict`), and failures to spool their text.
    listed: Listed,
}

impl Merge for MatchCounts {
    fn merge(&mut self, other: Self) {
        self.table.merge(other.table);
        self.rejected.merge(other.rejected);
        Merge::merge(&mut self.out_of_range, other.out_of_range);
        self.listed.merge(other.listed);
    }
}

/// The `match` job's mapper.
#[derive(Debug, Clone)]
pub struct MatchMapper {
    regex: PerThread<Search>,
    /// Capture indices forming the key, in order (`[0]` for a pattern without groups).
    key_groups: Vec<usize>,
    /// Output column names of the key fields.
    key_columns: Vec<String>,
    /// The summed group and its column name.
    sum: Option<(usize, String)>,
    all: bool,
}

impl MatchMapper {
    /// Compiles `pattern`; `sum` names the group to sum (excluded from the key); `all` counts
    /// every match of a line instead of the first.
    pub fn new(
        pattern: &str,
        options: PatternOptions,
        sum: Option<GroupRef>,
        all: bool,
    ) -> Result<MatchMapper> {
        MatchMapper::with_records(pattern, options, sum, all, None)
    }

    /// [`MatchMapper::new`] over records of `rule` (lines without one).
    pub fn with_records(
        pattern: &str,
        options: PatternOptions,
        sum: Option<GroupRef>,
        all: bool,
        rule: Option<&'static RecordRule>,
    ) -> Result<MatchMapper> {
        let regex = Search::new(&[pattern], options, rule)?;
        let re = regex.regex();
        let groups = re.captures_len() - 1;
        let column = |i: usize| -> String {
            re.capture_names()
                .nth(i)
                .flatten()
                .map_or_else(|| format!("group{i}"), str::to_string)
        };
        let bad_sum = |value: &str, reason: String| Error::InvalidArgument {
            flag: "--sum",
            value: value.to_string(),
            reason,
        };
        let sum = match sum {
            None => None,
            Some(GroupRef::Index(i)) if (1..=groups).contains(&i) => Some(i),
            Some(GroupRef::Index(i)) if groups == 0 => {
                return Err(bad_sum(
                    &i.to_string(),
                    "the pattern has no capture group to sum; put the number in parentheses, \
                     e.g. 'took ([0-9.]+)ms'"
                        .to_string(),
                ))
            }
            Some(GroupRef::Index(i)) => {
                return Err(bad_sum(
                    &i.to_string(),
                    format!(
                        "the pattern has {groups} capture group{}; give a number from 1 to \
                         {groups} or a group name",
                        if groups == 1 { "" } else { "s" }
                    ),
                ))
            }
            Some(GroupRef::Name(n)) => match re.capture_names().position(|c| c == Some(&n)) {
                Some(i) => Some(i),
                None => {
                    return Err(bad_sum(
                        &n,
                        "the pattern has no capture group of that name".to_string(),
                    ))
                }
            },
        };
        let key_groups: Vec<usize> = if groups == 0 {
            vec![0]
        } else {
            (1..=groups).filter(|&i| Some(i) != sum).collect()
        };
        let key_columns = if groups == 0 {
            vec!["match".to_string()]
        } else {
            key_groups.iter().map(|&i| column(i)).collect()
        };
        Ok(MatchMapper {
            key_columns,
            sum: sum.map(|i| (i, format!("sum_{}", column(i)))),
            key_groups,
            all,
            regex: PerThread::new(regex),
        })
    }

    /// Output column names: the key fields, `count`, and `sum_<group>` when summing.
    pub fn columns(&self) -> Vec<&str> {
        let mut c: Vec<&str> = self.key_columns.iter().map(String::as_str).collect();
        c.push("count");
        if let Some((_, name)) = &self.sum {
            c.push(name);
        }
        c
    }
}

impl Mapper for MatchMapper {
    type Partial = MatchCounts;

    fn map(&self, chunk: Chunk<'_>, partial: &mut MatchCounts) {
        self.map_chunk::<false>(chunk, partial, None, &mut |_, _| {});
    }

    fn map_placing(
        &self,
        chunk: Chunk<'_>,
        partial: &mut MatchCounts,
        first: &mut dyn FnMut(&[u8], usize),
    ) -> bool {
        self.map_chunk::<true>(chunk, partial, None, first);
        true
    }

    fn framing(&self) -> Framing {
        match self.regex.shared() {
            Search::Records { rule, .. } => Framing::Records(rule),
            Search::Lines(_) => Framing::Lines,
        }
    }
}

impl MatchMapper {
    /// Folds the matches of `chunk` into `partial`. A match whose sum text is not a number
    /// that can be held exactly is a bad record: counted by reason, and with `bad`, listed
    /// (its line's text spooled, or kept for `--strict`). With `PLACE`, calls `first(key, at)`
    /// when a key enters the table, `at` being the start of its line or record
    /// ([`Mapper::map_placing`]); without, `first` is never called.
    fn map_chunk<const PLACE: bool>(
        &self,
        chunk: Chunk<'_>,
        partial: &mut MatchCounts,
        bad: Option<&BadRecords>,
        first: &mut dyn FnMut(&[u8], usize),
    ) {
        let regex = self.regex.get();
        let mut scratch = regex.scratch();
        let mut key = KeyBuilder::default();
        let data = chunk.data;
        // Line numbers are counted only as far as the last bad record (never past it).
        let mut cursor = (0usize, 0u64);
        let mut buffer = ChunkRejects::default();
        let mut strict_done = false;
        let MatchCounts {
            table,
            rejected,
            out_of_range,
            listed,
        } = partial;
        regex.for_each_match(data, &mut scratch, self.all, |hay, locs| {
            let group = |i: usize| locs.get(i).map_or(&[][..], |(s, e)| &hay[s..e]);
            // Parse first: a rejected record must not create its key.
            let value = match self.sum {
                None => None,
                Some((g, _)) => match Decimal::parse(group(g)) {
                    Ok(d) => Some(d),
                    Err(e) => {
                        match e {
                            NumberError::NotANumber => rejected.add(group(g)),
                            e => *out_of_range.entry(e.reason().to_string()).or_insert(0) += 1,
                        }
                        let Some(sink) = bad else { return };
                        if strict_done {
                            return;
                        }
                        // `hay` is the chunk or one of its lines: where it starts in `data`.
                        let hay_at = hay.as_ptr() as usize - data.as_ptr() as usize;
                        let at = hay_at + locs.get(0).map_or(0, |(s, _)| s);
                        // A record is its haystack; a line is found around the match.
                        let (start, end) = if regex.is_records() {
                            (hay_at, hay_at + hay.len())
                        } else {
                            let start = memchr::memrchr(b'\n', &data[..at]).map_or(0, |i| i + 1);
                            let end =
                                memchr::memchr(b'\n', &data[at..]).map_or(data.len(), |i| at + i);
                            (start, end)
                        };
                        let text = &data[start..end];
                        let text = text.strip_suffix(b"\r").unwrap_or(text);
                        let escaped;
                        let text = if regex.is_records() {
                            let mut e = Vec::with_capacity(text.len() + 8);
                            crate::jobs::search::escape_line_ends(text, &mut e);
                            escaped = e;
                            &escaped[..]
                        } else {
                            text
                        };
                        if start >= cursor.0 {
                            cursor.1 +=
                                memchr::memchr_iter(b'\n', &data[cursor.0..start]).count() as u64;
                            cursor.0 = start;
                        }
                        let why = || format!("group {} is {}", self.sum_group_name(g), e.reason());
                        strict_done =
                            sink.reject(chunk, start, cursor.1, text, why, &mut buffer, listed);
                        return;
                    }
                },
            };
            let k = match self.key_groups.as_slice() {
                [one] => group(*one),
                groups => {
                    key.clear();
                    for &g in groups {
                        key.push(group(g));
                    }
                    key.key()
                }
            };
            let tally = if PLACE {
                let (tally, fresh) = table.entry_fresh(k);
                if fresh {
                    // `hay` is the chunk, one of its lines or a record (see above).
                    let hay_at = hay.as_ptr() as usize - data.as_ptr() as usize;
                    let at = if regex.is_records() {
                        hay_at
                    } else {
                        let m = hay_at + locs.get(0).map_or(0, |(s, _)| s);
                        memchr::memrchr(b'\n', &data[..m]).map_or(0, |i| i + 1)
                    };
                    first(k, at);
                }
                tally
            } else {
                table.entry(k)
            };
            tally.count += 1;
            if let Some(d) = value {
                tally.sum.add(d);
            }
        });
        if let Some(sink) = bad {
            let lines = memchr::memchr_iter(b'\n', data).count() as u64;
            sink.chunk_done(chunk, lines, &mut buffer, &mut partial.listed);
        }
    }

    /// The summed group as messages name it: `'name'`, or its number.
    fn sum_group_name(&self, g: usize) -> String {
        self.regex
            .shared()
            .regex()
            .capture_names()
            .nth(g)
            .flatten()
            .map_or_else(|| g.to_string(), |n| format!("'{n}'"))
    }
}

/// The `match` mapper of one run: the job's mapper with where its bad records go.
pub struct MatchRun<'j> {
    job: &'j Match,
    bad: BadRecords,
}

impl<'j> MatchRun<'j> {
    /// The run of `job`; opens the rejects spool when the job writes rejects.
    pub fn new(job: &'j Match) -> Result<MatchRun<'j>> {
        let bad = BadRecords::new(job.rejects.as_deref(), job.strict)?;
        Ok(MatchRun { job, bad })
    }
}

impl Mapper for MatchRun<'_> {
    type Partial = MatchCounts;

    fn map(&self, chunk: Chunk<'_>, partial: &mut MatchCounts) {
        let bad = self.bad.listed().then_some(&self.bad);
        self.job
            .mapper
            .map_chunk::<false>(chunk, partial, bad, &mut |_, _| {});
    }

    fn map_placing(
        &self,
        chunk: Chunk<'_>,
        partial: &mut MatchCounts,
        first: &mut dyn FnMut(&[u8], usize),
    ) -> bool {
        let bad = self.bad.listed().then_some(&self.bad);
        self.job.mapper.map_chunk::<true>(chunk, partial, bad, first);
        true
    }

    fn framing(&self) -> Framing {
        self.job.mapper.framing()
    }
}

/// Refuses what needs line numbers the run cannot know: `--rejects` and `--strict` of a shard
/// or of an incremental run (which reads from the middle of a file).
fn check(config: RunShape<'_>, job: &Match) -> Result<()> {
    if job.rejects.is_none() && !job.strict {
        return Ok(());
    }
    let flag = if job.strict { "--strict" } else { "--rejects" };
    let refuse = |reason: &str| {
        Err(Error::InvalidArgument {
            flag,
            value: String::new(),
            reason: reason.into(),
        })
    };
    if config.shard.is_some() {
        return refuse("line numbers of bad records need the whole input, not a --shard");
    }
    if config.state.is_some() {
        return refuse("line numbers of bad records need the whole input, not --state");
    }
    Ok(())
}

/// What defines a `match` result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchParams {
    /// The regex.
    pub pattern: String,
    /// `-i` and friends.
    pub options: PatternOptions,
    /// `--sum GROUP`, as given.
    pub sum: Option<String>,
    /// `--all`.
    pub all: bool,
    /// `--records`/`--record-start`: match over records instead of lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub records: Option<RecordSpec>,
}

/// Flags of `logmill match`.
#[derive(Debug, Args)]
pub struct MatchArgs {
    /// The regex; its capture groups form the key.
    #[arg(value_name = "PATTERN")]
    pub pattern: String,

    /// Match case-insensitively.
    #[arg(short = 'i', long)]
    pub ignore_case: bool,

    /// Count every match on a line, not only the first.
    #[arg(long)]
    pub all: bool,

    /// Sum this capture group per key, exactly.
    ///
    /// GROUP is a number or a name; the group leaves the key. Matches where it is not a number (or not one that can be held exactly) are bad
    /// records: left out, counted on stderr and listed by --rejects.
    #[arg(long, value_name = "GROUP")]
    pub sum: Option<String>,

    /// Where bad records go: `--rejects FILE`, `--strict`.
    #[command(flatten)]
    pub bad: RejectArgs,

    /// Output order and truncation.
    #[command(flatten)]
    pub output: OutputArgs,

    /// Multi-line records.
    #[command(flatten)]
    pub records: RecordArgs,

    /// Input files; `-` or none reads stdin.
    #[arg(value_name = "FILE", help_heading = None::<&str>)]
    pub files: Vec<PathBuf>,
}

/// The `match` job.
#[derive(Debug, Clone)]
pub struct Match {
    /// The mapper (pattern, key and sum groups).
    pub mapper: MatchMapper,
    /// `--rejects FILE`: where bad records are listed.
    pub rejects: Option<std::path::PathBuf>,
    /// `--strict`: the first bad record is an error.
    pub strict: bool,
}

impl Job for Match {
    const NAME: &'static str = "match";
    const ABOUT: &'static str = "Count regex matches grouped by their capture groups, like \
         `rg -o -r '$1' PATTERN | sort | uniq -c | sort -rn`";
    const EXAMPLES: &'static str = "\
Examples:
  logmill match 'HTTP/1\\.[01]\" (\\d{3}) ' access.log     requests per status code
  logmill match '^(\\S+)' --top 10 access.log            the ten busiest client IPs
  logmill match '\" (?P<status>\\d{3}) (?P<bytes>\\S+)' --sum bytes access.log
                                                        requests and bytes per status
  logmill match --all 'user=(\\w+)' app.log              every user= on each line

Output: one column per capture group (the whole match without groups), then count, then
sum_<group> with --sum. TSV cells escape \\, TAB, LF and CR as \\\\, \\t, \\n, \\r.

With --records PRESET or --record-start REGEX the regex runs over whole records (a log line
with its stack trace): ^ and $ match at the lines inside it, . stops at a line end unless (?s).
  logmill match --records java '(?m)^(?:Caused by: )?([\\w.$]+(?:Exception|Error))' --all app.log";

    type Args = MatchArgs;
    type Params = MatchParams;
    type Partial = MatchCounts;
    type State = Tally;
    type Mapper<'j> = MatchRun<'j>;

    fn parse(a: MatchArgs) -> Result<Parsed<MatchParams>> {
        Ok(Parsed {
            params: MatchParams {
                pattern: a.pattern,
                options: PatternOptions {
                    ignore_case: a.ignore_case,
                    ..PatternOptions::default()
                },
                sum: a.sum,
                all: a.all,
                records: a.records.spec(),
            },
            files: a.files,
            output: a.output,
            bad: a.bad,
        })
    }

    fn build(p: &MatchParams, bad: &RejectArgs) -> Result<Match> {
        Ok(Match {
            mapper: MatchMapper::with_records(
                &p.pattern,
                p.options,
                p.sum.as_deref().map(GroupRef::parse),
                p.all,
                record_rule(p.records.as_ref())?,
            )?,
            rejects: bad.rejects.clone(),
            strict: bad.strict,
        })
    }

    fn check(&self, run: RunShape<'_>) -> Result<()> {
        check(run, self)
    }

    fn mapper(&self) -> Result<MatchRun<'_>> {
        MatchRun::new(self)
    }

    fn export(
        &self,
        run: &MatchRun<'_>,
        counts: MatchCounts,
        inputs: &InputList,
    ) -> Result<Keyed<Tally>> {
        export(Some(run), counts, &inputs.names)
    }

    fn bad_records<'m>(run: &'m MatchRun<'_>) -> Option<&'m BadRecords> {
        Some(&run.bad)
    }

    fn listed(counts: &mut MatchCounts) -> Option<&mut Listed> {
        Some(&mut counts.listed)
    }

    fn spill_access() -> Option<TableAccess<MatchCounts, Tally>> {
        Some(TableAccess {
            table: |p| &mut p.table,
            table_ref: |p| &p.table,
        })
    }

    fn key_fields(&self) -> usize {
        self.mapper.key_groups.len()
    }

    fn key_columns(&self) -> Vec<String> {
        let c = self.mapper.columns();
        let n = self.mapper.key_groups.len();
        c.into_iter().take(n).map(String::from).collect()
    }

    fn count(tally: &Tally) -> u64 {
        tally.count
    }

    fn value_columns(&self) -> Vec<String> {
        self.mapper.sum.iter().map(|(_, name)| name.clone()).collect()
    }

    fn value_cells(&self, tally: &Tally) -> Result<Vec<String>> {
        match &self.mapper.sum {
            None => Ok(Vec::new()),
            Some((_, column)) => match tally.sum.total() {
                Ok(d) => Ok(vec![d.to_string()]),
                Err(_) => Err(Error::SumOverflow {
                    column: column.clone(),
                    key: String::new(),
                    reason: OVERFLOW_REASON.into(),
                }),
            },
        }
    }

    fn finish(&self, keyed: Keyed<Tally>, shown: Shown<'_>, out: &mut dyn Write) -> Result<Outcome> {
        finish(self, keyed, shown.emit, out)
    }

    fn write_rows(
        &self,
        meta: Meta,
        rows: Rows<Tally>,
        emit: EmitOptions,
        out: &mut dyn Write,
    ) -> Result<Outcome> {
        // A table spills only when it holds keys, and every key matched.
        finish_rows(self, meta, rows, true, emit, out)
    }
}

/// The canonical partial of a run: the tally table, with rejected records as job-wide facts
/// (numbers that are not numbers in `rejected`, out-of-range ones in `bad` by reason).
/// `--strict` and `--rejects` are handled here, with the run's line numbers (`run` is `None`
/// when bad records are only counted).
pub(crate) fn export(
    run: Option<&MatchRun<'_>>,
    mut counts: MatchCounts,
    names: &[String],
) -> Result<Keyed<Tally>> {
    if let Some(run) = run {
        run.bad.settle(&mut counts.listed, names)?;
    }
    Ok(Keyed {
        table: counts.table,
        meta: Meta {
            rejected: counts.rejected,
            bad: counts.out_of_range,
            ..Meta::default()
        },
    })
}

/// Prints the result: success when anything was counted, [`ExitCode::NoMatch`] otherwise.
/// Rejected records become a warning.
pub(crate) fn finish(
    job: &Match,
    keyed: Keyed<Tally>,
    emit: EmitOptions,
    out: &mut dyn Write,
) -> Result<Outcome> {
    let m = &job.mapper;
    let counts = MatchCounts {
        table: keyed.table,
        ..MatchCounts::default()
    };
    let fields = m.key_groups.len();
    if let Some((_, column)) = &m.sum {
        // The smallest overflowing key, so the message does not depend on hashing.
        if let Some(key) = counts
            .table
            .iter()
            .filter(|(_, t)| t.sum.total().is_err())
            .map(|(k, _)| k)
            .min()
        {
            return Err(Error::SumOverflow {
                column: column.clone(),
                key: key_text(key, fields),
                reason: OVERFLOW_REASON.into(),
            });
        }
    }
    // Whether anything matched, before `--top` cuts the rows (`--top 0` prints none).
    let matched = counts.table.iter().any(|(_, t)| t.count > 0);
    let rows = order_rows(counts.table.into_entries().collect(), |t| t.count, &emit);
    finish_rows(job, keyed.meta, Rows::Memory(rows), matched, emit, out)
}

/// Prints rows already in order (from memory or streamed from a spilled merge): success when
/// `matched` (anything matched, whether or not `--top` prints it), [`ExitCode::NoMatch`]
/// otherwise; rejected records become a warning. A sum
/// out of range is an error naming its key (checked for every key beforehand in memory; when
/// streaming, the first such key in output order, which ends the output there).
pub(crate) fn finish_rows(
    job: &Match,
    meta: Meta,
    rows: Rows<Tally>,
    matched: bool,
    emit: EmitOptions,
    out: &mut dyn Write,
) -> Result<Outcome> {
    let m = &job.mapper;
    let fields = m.key_groups.len();
    let mut e = crate::emit::emitter_for(&emit, &meta, out);
    e.header(&m.columns()).map_err(Error::Output)?;
    rows.for_each(|key, tally| {
        let sum =
            match &m.sum {
                None => None,
                Some((_, column)) => {
                    Some(tally.sum.total().map(|d| d.to_string()).map_err(|_| {
                        Error::SumOverflow {
                            column: column.clone(),
                            key: key_text(key, fields),
                            reason: OVERFLOW_REASON.into(),
                        }
                    })?)
                }
            };
        let parts = key::decode(key, fields);
        let mut cells: Vec<Value<'_>> = parts.iter().map(|p| Value::Text(p)).collect();
        cells.push(Value::Count(tally.count));
        if let Some(s) = &sum {
            cells.push(Value::Number(s));
        }
        e.row(&cells).map_err(Error::Output)
    })?;
    e.finish().map_err(Error::Output)?;
    let mut outcome = Outcome::from(if matched {
        ExitCode::Success
    } else {
        ExitCode::NoMatch
    });
    if let Some((g, _)) = &m.sum {
        let r = &meta.rejected;
        let mut reasons = Vec::new();
        if r.count > 0 {
            let example = String::from_utf8_lossy(r.example.as_deref().unwrap_or_default());
            reasons.push(format!("{} not a number (e.g. {example:?})", r.count));
        }
        for (why, n) in &meta.bad {
            reasons.push(format!("{n} {why}"));
        }
        let total: u64 = r.count.saturating_add(meta.bad.values().sum());
        if total > 0 {
            let see = where_listed(job.rejects.as_deref());
            outcome.warnings.push(format!(
                "{total} match{} rejected in group {}: {}; left out of the counts and sums; {see}",
                if total == 1 { "" } else { "es" },
                m.sum_group_name(*g),
                reasons.join(", "),
            ));
        }
    }
    Ok(outcome)
}

/// Why an exact sum overflowed.
const OVERFLOW_REASON: &str =
    "the exact sum needs more than 128 bits (at most 38 significant digits)";

/// A key for a message: its fields joined by TAB, lossily as UTF-8.
fn key_text(key: &[u8], fields: usize) -> String {
    key::decode(key, fields)
        .iter()
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect::<Vec<_>>()
        .join("\t")
}

#[cfg(test)]
mod tests;
