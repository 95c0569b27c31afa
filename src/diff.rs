//! `logmill diff OLD NEW` (and `--diff` with `--state`): what changed between two results of
//! the same job and parameters. Rows: the key columns, `old`, `new`, `delta` (new − old) and
//! `change` (`new`, `gone`, `up`, `down`; `same` with `--unchanged`), ordered by the absolute
//! delta descending, then key ascending by bytes (the count order of [`crate::order`] on
//! |delta|), in every output format. The job's other aggregate columns follow, old then new
//! (`sum_bytes_old`, …, `sum_bytes_new`, …), then, for results with `--example`, the example
//! of the new result (of the old one for a gone key).
//!
//! Both files stream into one table of [`Sides`], which spills under `--memory` as a merge's
//! table does and comes back from disk already in the diff's order, so a diff of partials
//! larger than memory works as their merge does.

use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::aggregate::keyed::{Keyed, Meta};
use crate::aggregate::{KeyedTable, Merge};
use crate::config::{Config, DiffOptions};
use crate::emit::Value;
use crate::engine::Spiller;
use crate::error::{Error, Result};
use crate::exit::{ExitCode, Outcome};
use crate::input::{self, InputSpec};
use crate::jobs::Job;
use crate::order::{compare, OrderOptions, SortOrder};
use crate::partial::format;
use crate::spill::{Rows, RowsOrder, TableSpiller};

/// Both sides of a key: its state in the old result and in the new one. Merging merges each
/// side, so both files stream into one table that spills under `--memory` as a merge's does,
/// and comes back from disk in the diff's order (the count order of the absolute delta).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Sides<S> {
    old: Option<S>,
    new: Option<S>,
}

impl<S> Default for Sides<S> {
    fn default() -> Self {
        Sides {
            old: None,
            new: None,
        }
    }
}

impl<S: Merge> Merge for Sides<S> {
    fn saturated(&self) -> bool {
        self.old.saturated() || self.new.saturated()
    }

    fn merge(&mut self, other: Self) {
        self.old.merge(other.old);
        self.new.merge(other.new);
    }
}

/// The absolute delta of a key: what the diff's rows are ordered by.
fn abs_delta<J: Job>(s: &Sides<J::State>) -> u64 {
    let (a, b) = (
        s.old.as_ref().map_or(0, J::count),
        s.new.as_ref().map_or(0, J::count),
    );
    a.abs_diff(b)
}

type SidesTable<S> = KeyedTable<Sides<S>>;

/// A key with both its sides.
type SidesRow<S> = (Box<[u8]>, Sides<S>);

/// `logmill diff OLD NEW`: reads both partial or state files of the config's job (their
/// headers must match the job's parameters; the error names the first difference) into one
/// table that spills to disk when it would pass `--memory`, and writes the diff.
pub fn diff_files<J: Job>(
    job: &J,
    config: &Config,
    opts: &DiffOptions,
    out: &mut dyn Write,
) -> Result<Outcome> {
    let spiller: TableSpiller<SidesTable<J::State>, Sides<J::State>> =
        TableSpiller::new(&config.spill, 1, |t| t, |t| t, abs_delta::<J>);
    let mut both = SidesTable::default();
    let old = read_side(config, &config.inputs[0], false, &mut both, &spiller)?;
    let new = read_side(config, &config.inputs[1], true, &mut both, &spiller)?;
    if let Some(e) = spiller.take_error() {
        return Err(e);
    }
    let rows = if spiller.must_spill_result(&both) {
        let order = RowsOrder::new(
            OrderOptions {
                sort: SortOrder::Count,
                top: None,
                top_per: None,
            },
            abs_delta::<J>,
        )
        .refusing_saturated(format::count_overflow);
        Rows::Spilled(spiller.into_spilled(&mut both)?, order)
    } else {
        if let Some(k) = both
            .iter()
            .filter(|(_, s)| s.saturated())
            .map(|(k, _)| k)
            .min()
        {
            return Err(format::count_overflow(k));
        }
        in_order::<J>(both, opts)
    };
    write_sides(job, rows, &old, &new, config, opts, out)
}

/// Reads one side into `both`, moving the rows over every few thousand records so the
/// spiller can keep the table within `--memory`. Returns the side's job-wide facts.
fn read_side<S: crate::aggregate::State>(
    config: &Config,
    spec: &InputSpec,
    new: bool,
    both: &mut SidesTable<S>,
    spiller: &TableSpiller<SidesTable<S>, Sides<S>>,
) -> Result<Meta>
where
    Sides<S>: crate::aggregate::State,
{
    let (name, mut reader) = input::open_lines(spec, config.limits)?;
    let mut side: Keyed<S> = Keyed::default();
    let mut counted = 0;
    let mut move_over = |side: &mut Keyed<S>| -> Result<()> {
        for (k, s) in std::mem::take(&mut side.table).into_entries() {
            let (old, new) = if new {
                (None, Some(s))
            } else {
                (Some(s), None)
            };
            both.entry(&k).merge(Sides { old, new });
        }
        spiller.account(both, &mut counted);
        spiller.make_room(both, &mut counted, 2 * format::RECORDS_PER_HOOK);
        spiller.take_error().map_or(Ok(()), Err)
    };
    let header: Option<crate::jobs::timed::RunParams> = format::read_partial_with(
        &name,
        &mut *reader,
        Some(&config.header()),
        &mut side,
        &mut Vec::new(),
        None,
        &mut move_over,
    )?;
    if header.is_none() {
        return Err(not_a_partial(&name));
    }
    move_over(&mut side)?;
    side.check_meta_counts()?;
    Ok(side.meta)
}

/// Rows in memory in the diff's order, the kept ones only.
fn in_order<J: Job>(both: SidesTable<J::State>, opts: &DiffOptions) -> Rows<Sides<J::State>> {
    let mut rows: Vec<SidesRow<J::State>> = both
        .into_entries()
        .filter(|(_, s)| kept::<J>(s, opts))
        .collect();
    rows.sort_unstable_by(|a, b| {
        compare(
            SortOrder::Count,
            (abs_delta::<J>(&a.1), &a.0),
            (abs_delta::<J>(&b.1), &b.0),
        )
    });
    Rows::Memory(rows)
}

fn not_a_partial(name: &Path) -> Error {
    Error::BadPartial {
        path: name.to_path_buf(),
        line: 1,
        reason: "not a logmill partial or state file (no '#logmill-partial' header)".into(),
    }
}

/// What a change is called: `new`, `gone`, `up`, `down` or `same`.
fn label(old: Option<u64>, new: Option<u64>) -> &'static str {
    match (old, new) {
        (None, _) => "new",
        (_, None) => "gone",
        (Some(a), Some(b)) if b > a => "up",
        (Some(a), Some(b)) if b < a => "down",
        _ => "same",
    }
}

/// Whether a key's change passes `--unchanged`, `--min-delta` and `--min-ratio`.
fn kept<J: Job>(s: &Sides<J::State>, o: &DiffOptions) -> bool {
    let (old, new) = (s.old.as_ref().map(J::count), s.new.as_ref().map(J::count));
    if label(old, new) == "same" && !o.unchanged {
        return false;
    }
    if o.min_delta.is_some_and(|d| abs_delta::<J>(s) < d) {
        return false;
    }
    match (o.min_ratio, old, new) {
        // New and gone keys always pass the ratio.
        (Some(r), Some(a), Some(b)) => {
            let (lo, hi) = (a.min(b) as f64, a.max(b) as f64);
            lo == 0.0 && hi > 0.0 || hi >= lo * r
        }
        _ => true,
    }
}

/// Writes the diff of `old` and `new` (results of a job held in memory: `--diff` with
/// `--state`) to `out`.
pub fn write_diff<J: Job>(
    job: &J,
    old: Keyed<J::State>,
    new: Keyed<J::State>,
    config: &Config,
    opts: &DiffOptions,
    out: &mut dyn Write,
) -> Result<Outcome> {
    let mut both = SidesTable::default();
    for (k, s) in old.table.into_entries() {
        both.entry(&k).old = Some(s);
    }
    for (k, s) in new.table.into_entries() {
        both.entry(&k).new = Some(s);
    }
    let rows = in_order::<J>(both, opts);
    write_sides(job, rows, &old.meta, &new.meta, config, opts, out)
}

/// Writes the rows of a diff, already in order: the kept ones, up to `--top`.
fn write_sides<J: Job>(
    job: &J,
    rows: Rows<Sides<J::State>>,
    old_meta: &Meta,
    new_meta: &Meta,
    config: &Config,
    opts: &DiffOptions,
    out: &mut dyn Write,
) -> Result<Outcome> {
    let mut columns = job.key_columns();
    columns.extend(["old", "new", "delta", "change"].map(String::from));
    let value_columns = job.value_columns();
    columns.extend(value_columns.iter().map(|c| format!("{c}_old")));
    columns.extend(value_columns.iter().map(|c| format!("{c}_new")));
    let extra = job.extra_columns();
    columns.extend(extra.iter().cloned());
    let names: Vec<&str> = columns.iter().map(String::as_str).collect();
    let old_names = old_meta.example.resolver();
    let new_names = new_meta.example.resolver();
    // An HTML report marks the rows of new and gone keys.
    let mut emit = config.emit.clone();
    // The example columns are the diff's own (of the new side, or the old for a gone key).
    emit.extra.clear();
    if let Some(report) = emit.report.as_mut() {
        let report = std::sync::Arc::make_mut(report);
        report.change_column = Some("change".into());
        // The records each side's runs read (unknown for a side that does not say).
        report.old_records = Some(old_meta.records);
        report.records = Some(new_meta.records);
    }
    let mut e = crate::emit::emitter_for(&emit, &Meta::default(), out);
    e.header(&names).map_err(Error::Output)?;
    let mut left = config.emit.top.unwrap_or(usize::MAX);
    let empty = vec![String::new(); value_columns.len()];
    rows.for_each(|key, s| {
        if left == 0 || !kept::<J>(s, opts) {
            return Ok(());
        }
        left -= 1;
        let (old, new) = (s.old.as_ref().map(J::count), s.new.as_ref().map(J::count));
        let delta = (i128::from(new.unwrap_or(0)) - i128::from(old.unwrap_or(0))).to_string();
        let parts = job.key_parts(key);
        let mut cells: Vec<Value<'_>> = parts.iter().map(|p| Value::Text(p)).collect();
        cells.push(Value::Count(old.unwrap_or(0)));
        cells.push(Value::Count(new.unwrap_or(0)));
        cells.push(Value::Number(&delta));
        cells.push(Value::Bytes(label(old, new).as_bytes()));
        let values = |side: &Option<J::State>| match side {
            Some(st) => job.value_cells(st),
            None => Ok(empty.clone()),
        };
        let (vo, vn) = (values(&s.old)?, values(&s.new)?);
        for v in vo.iter().chain(&vn) {
            cells.push(if v.is_empty() {
                Value::Text(b"")
            } else {
                Value::Number(v)
            });
        }
        // The example of the new result; of the old one for a gone key.
        let shown = match &s.new {
            Some(st) => job.extra_cells(&new_names, st),
            None => s
                .old
                .as_ref()
                .map(|st| job.extra_cells(&old_names, st))
                .unwrap_or_default(),
        };
        for i in 0..extra.len() {
            cells.push(Value::Text(shown.get(i).map_or(&b""[..], Vec::as_slice)));
        }
        e.row(&cells).map_err(Error::Output)
    })?;
    e.finish().map_err(Error::Output)?;
    Ok(ExitCode::Success.into())
}
