//! `logmill diff OLD NEW` (and `--diff` with `--state`): what changed between two results of
//! the same job and parameters. Rows: the key columns, `old`, `new`, `delta` (new − old) and
//! `change` (`new`, `gone`, `up`, `down`; `same` with `--unchanged`), ordered by the absolute
//! delta descending, then key ascending by bytes (the count order of [`crate::order`] on
//! |delta|), in every output format.

use std::io::Write;
use std::path::Path;

use crate::aggregate::keyed::{Keyed, Meta};
use crate::config::{Config, DiffOptions};
use crate::emit::Value;
use crate::error::{Error, Result};
use crate::exit::{ExitCode, Outcome};
use crate::input::{self, InputSpec};
use crate::jobs::Job;
use crate::order::{compare, SortOrder};
use crate::partial::format;

/// Reads one partial or state file of the config's job (its header must match the job's
/// parameters; the error names the first difference).
pub fn read_one<S: crate::aggregate::State>(config: &Config, spec: &InputSpec) -> Result<Keyed<S>> {
    let (name, mut reader) = input::open_lines(spec, config.limits)?;
    let mut keyed = Keyed::default();
    let header: Option<crate::jobs::JobParams> = format::read_partial_with(
        &name,
        &mut *reader,
        Some(&config.params),
        &mut keyed,
        &mut Vec::new(),
        None,
        &mut |_| Ok(()),
    )?;
    if header.is_none() {
        return Err(not_a_partial(&name));
    }
    keyed.check_counts()?;
    Ok(keyed)
}

fn not_a_partial(name: &Path) -> Error {
    Error::BadPartial {
        path: name.to_path_buf(),
        line: 1,
        reason: "not a logmill partial or state file (no '#logmill-partial' header)".into(),
    }
}

/// One row of a diff.
struct Change {
    key: Box<[u8]>,
    old: Option<u64>,
    new: Option<u64>,
}

impl Change {
    fn delta(&self) -> i128 {
        self.new.unwrap_or(0) as i128 - self.old.unwrap_or(0) as i128
    }

    fn abs_delta(&self) -> u64 {
        self.delta().unsigned_abs().min(u64::MAX as u128) as u64
    }

    fn label(&self) -> &'static str {
        match (self.old, self.new) {
            (None, _) => "new",
            (_, None) => "gone",
            (Some(a), Some(b)) if b > a => "up",
            (Some(a), Some(b)) if b < a => "down",
            _ => "same",
        }
    }

    fn kept(&self, o: &DiffOptions) -> bool {
        let label = self.label();
        if label == "same" && !o.unchanged {
            return false;
        }
        if o.min_delta.is_some_and(|d| self.abs_delta() < d) {
            return false;
        }
        match (o.min_ratio, self.old, self.new) {
            // New and gone keys always pass the ratio.
            (Some(r), Some(a), Some(b)) => {
                let (lo, hi) = (a.min(b) as f64, a.max(b) as f64);
                lo == 0.0 && hi > 0.0 || hi >= lo * r
            }
            _ => true,
        }
    }
}

/// Writes the diff of `old` and `new` (final rows of a job) to `out`.
pub fn write_diff<J: Job>(
    job: &J,
    old: Keyed<J::State>,
    new: Keyed<J::State>,
    config: &Config,
    opts: &DiffOptions,
    out: &mut dyn Write,
) -> Result<Outcome> {
    let mut rows: Vec<Change> = Vec::new();
    let mut old_table = old.table;
    for (k, s) in new.table.into_entries() {
        let before = old_table.get(&k).map(J::count);
        rows.push(Change {
            key: k,
            old: before,
            new: Some(J::count(&s)),
        });
    }
    let new_keys: crate::aggregate::FastMap<&[u8], ()> =
        rows.iter().map(|c| (&c.key[..], ())).collect();
    let mut gone = Vec::new();
    for (k, s) in old_table.iter() {
        if !new_keys.contains_key(k) {
            gone.push(Change {
                key: k.into(),
                old: Some(J::count(s)),
                new: None,
            });
        }
    }
    drop(new_keys);
    old_table.clear();
    rows.extend(gone);
    rows.retain(|c| c.kept(opts));
    rows.sort_unstable_by(|a, b| {
        compare(
            SortOrder::Count,
            (a.abs_delta(), &a.key),
            (b.abs_delta(), &b.key),
        )
    });
    rows.truncate(config.emit.top.unwrap_or(usize::MAX));

    let mut columns = job.key_columns();
    columns.extend(["old", "new", "delta", "change"].map(String::from));
    let names: Vec<&str> = columns.iter().map(String::as_str).collect();
    // An HTML report marks the rows of new and gone keys.
    let mut emit = config.emit.clone();
    if let Some(report) = emit.report.as_mut() {
        std::sync::Arc::make_mut(report).change_column = Some("change".into());
    }
    let mut e = crate::emit::emitter_for(&emit, &Meta::default(), out);
    e.header(&names).map_err(Error::Output)?;
    for c in &rows {
        let parts = job.key_parts(&c.key);
        let delta = c.delta().to_string();
        let mut cells: Vec<Value<'_>> = parts.iter().map(|p| Value::Text(p)).collect();
        cells.push(Value::Count(c.old.unwrap_or(0)));
        cells.push(Value::Count(c.new.unwrap_or(0)));
        cells.push(Value::Number(&delta));
        cells.push(Value::Bytes(c.label().as_bytes()));
        e.row(&cells).map_err(Error::Output)?;
    }
    e.finish().map_err(Error::Output)?;
    Ok(ExitCode::Success.into())
}
