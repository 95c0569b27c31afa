//! The end of a `fields` run: the canonical partial (bad records settled), and the rows
//! written through the emitter, key fields then each aggregation's cells.

use std::io::Write;

use super::agg::{AggKind, AggSpec, AggState, GroupState};
use super::mapper::{FieldsMapper, FieldsPartial};
use super::params::Fields;
use crate::aggregate::key;
use crate::emit::{EmitOptions, Value};
use crate::error::{Error, Result};
use crate::exit::{ExitCode, Outcome};
use crate::jobs::bad_records::where_listed;
use crate::jobs::{Keyed, Meta};
use crate::order::order_rows;
use crate::spill::Rows;

/// The canonical partial of a run: hard errors, `--strict` and `--rejects` are settled here
/// (they need the run's line numbers); bad-record counts travel on as job-wide facts.
pub fn export(
    mapper: &FieldsMapper<'_>,
    mut p: FieldsPartial,
    names: &[String],
) -> Result<Keyed<GroupState>> {
    mapper.bad.settle(&mut p.listed, names)?;
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
        let see = where_listed(job.rejects.as_deref());
        outcome.warnings.push(format!(
            "{bad} bad record{} left out ({}); {see}",
            if bad == 1 { "" } else { "s" },
            reasons.join(", "),
        ));
    }
    write_rows(job, &meta, rows, emit, out)?;
    Ok(outcome)
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
        let parts = key::decode(key, job.by.len());
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

/// The aggregate columns besides the count (see [`crate::jobs::Job::value_columns`]).
pub fn value_columns(job: &Fields) -> Vec<String> {
    job.aggs
        .iter()
        .filter(|a| a.kind != AggKind::Count)
        .flat_map(AggSpec::columns)
        .collect()
}

/// The cells of [`value_columns`] for a group.
pub fn value_cells(job: &Fields, g: &GroupState) -> Result<Vec<String>> {
    let no_aggs: Vec<AggState>;
    let aggs = if g.aggs.is_empty() {
        no_aggs = job.aggs.iter().map(AggSpec::state).collect();
        &no_aggs
    } else {
        &g.aggs
    };
    let mut out = Vec::new();
    for (state, spec) in aggs.iter().zip(&job.aggs) {
        if spec.kind == AggKind::Count {
            continue;
        }
        let cells = state.cells(spec, g.count).map_err(|_| {
            Error::Fields(format!(
                "{} does not fit in an exact 128-bit decimal",
                Fields::label(spec)
            ))
        })?;
        out.extend(cells);
    }
    Ok(out)
}
