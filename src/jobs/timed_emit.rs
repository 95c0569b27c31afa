//! The final rows of a `--per` run: the keys' bucket prefix ([`super::timed::bucket_key`])
//! becomes a leading `time` column. Rows are grouped by bucket ([`crate::order::group_rows`]
//! with the bucket's bytes as the group prefix), buckets come in time order, and each bucket's
//! rows are what the job itself writes for that bucket alone (its own order, its `--top N`, so
//! `--top` is per bucket), captured as cells ([`crate::emit::capture`]) and written again
//! behind the bucket's label. `--fill` writes the job's output for an empty bucket for every
//! bucket missing between the first and the last.

use std::io::Write;
use std::sync::Arc;

use super::timed::{key_bucket, TimeRun, BUCKET_KEY_LEN};
use super::timed_report::{per_report, per_report_spilled};
use super::{Job, Keyed, Meta, Shown};
use crate::aggregate::KeyedTable;
use crate::emit::capture::{decode, Captured, Cell};
use crate::emit::html::DEFAULT_ROWS;
use crate::emit::{EmitOptions, Emitter, OutputFormat, Value};
use crate::error::{Error, Result};
use crate::exit::{ExitCode, Outcome};
use crate::order::group_rows;
use crate::spill::{Rows, RowsOrder, Spilled};
use crate::timestamp::Bucketer;

/// The rows of a `--per` result, in memory or spilled.
pub enum PerRows<S> {
    /// The whole table.
    Memory(Keyed<S>),
    /// Spilled runs (read back in key order, so bucket by bucket), with the job-wide facts.
    Spilled(Spilled<S>, Meta),
}

/// Writes a `--per` result: `time` then the job's columns, bucket by bucket. An HTML report
/// also gets the buckets' time range and a chart of the top keys (of a spilled result too,
/// read for it before its rows are streamed), and `--top` applies per bucket as in every
/// other format.
pub fn write_per<J: Job>(
    job: &J,
    run: &TimeRun,
    fill: bool,
    rows: PerRows<J::State>,
    mut shown: Shown<'_>,
    out: &mut dyn Write,
) -> Result<Outcome> {
    let bucketer = run.bucketer().ok_or_else(|| Error::InvalidArgument {
        flag: "--per",
        value: String::new(),
        reason: "the result has no time buckets".into(),
    })?;
    let chart = matches!(shown.emit.format, OutputFormat::Chart(_));
    let (meta, mut rows) = match rows {
        PerRows::Memory(keyed) => {
            let entries: Vec<(Box<[u8]>, J::State)> = keyed.table.into_entries().collect();
            (keyed.meta, Ok(entries))
        }
        PerRows::Spilled(spilled, meta) => (meta, Err(spilled)),
    };
    let mut page = shown.emit.clone();
    if let Some(report) = page.report.as_mut() {
        let report = Arc::make_mut(report);
        // The job's `--top N` is per bucket; the page shows at most its own bound of rows.
        shown.emit.top = report.rows;
        report.rows = Some(DEFAULT_ROWS.max(report.rows.unwrap_or(0)));
        // A spilled result is read for its chart first (in bounded memory), then for its rows.
        let drawn = match &mut rows {
            Ok(entries) => per_report(job, &bucketer, &run.params.zone, entries),
            Err(spilled) => per_report_spilled(job, &bucketer, &run.params.zone, spilled)?,
        };
        if let Some((covered, chart)) = drawn {
            report.covered = Some(covered);
            report.chart = Some(chart);
        }
    }
    let mut w = PerWriter {
        job,
        bucketer,
        fill: fill || chart,
        chart,
        e: crate::emit::emitter_for(&page, &meta, out),
        shown,
        header: false,
        empty: None,
        last: None,
        outcome: None,
        example: meta.example.clone(),
        meta: Some(meta),
    };
    match rows {
        Ok(entries) => {
            for (prefix, group) in group_rows(entries, BUCKET_KEY_LEN) {
                let bucket = bucket_of(&prefix)?;
                let table = group
                    .into_iter()
                    .map(|(k, s)| (k[BUCKET_KEY_LEN..].to_vec(), s))
                    .collect();
                w.group(bucket, table)?;
            }
        }
        Err(spilled) => {
            let mut current: Option<(i64, BucketRows<J::State>)> = None;
            Rows::Spilled(spilled, RowsOrder::by_key(J::count)).for_each(|k, s| {
                let bucket = bucket_of(k)?;
                if current.as_ref().is_some_and(|c| c.0 != bucket) {
                    let (b, rows) = current.take().expect("a group");
                    w.group(b, rows.into_iter().collect())?;
                }
                current
                    .get_or_insert_with(|| (bucket, Vec::new()))
                    .1
                    .push((k[BUCKET_KEY_LEN..].to_vec(), s.clone()));
                Ok(())
            })?;
            if let Some((b, rows)) = current {
                w.group(b, rows.into_iter().collect())?;
            }
        }
    }
    w.finish()
}

/// One bucket's rows, keys without the bucket.
type BucketRows<S> = Vec<(Vec<u8>, S)>;

fn bucket_of(key: &[u8]) -> Result<i64> {
    key_bucket(key).ok_or_else(|| Error::BadPartial {
        path: "<partial>".into(),
        line: 0,
        reason: "a key without its time bucket (made without --per?)".into(),
    })
}

struct PerWriter<'a, 'o, J: Job> {
    job: &'a J,
    bucketer: Bucketer,
    fill: bool,
    chart: bool,
    shown: Shown<'a>,
    e: Box<dyn Emitter + 'o>,
    header: bool,
    /// The job's output for an empty bucket, once needed.
    empty: Option<Captured>,
    last: Option<i64>,
    outcome: Option<Outcome>,
    /// The job-wide facts, handed to the first bucket's output only.
    meta: Option<Meta>,
    /// The line index of `--example`, which every bucket's output needs to name lines.
    example: crate::aggregate::example::ExampleMeta,
}

impl<J: Job> PerWriter<'_, '_, J> {
    /// What the job writes for `table` alone, as cells.
    fn capture(&mut self, table: KeyedTable<J::State>) -> Result<Captured> {
        let mut buf = Vec::new();
        let emit = EmitOptions {
            format: OutputFormat::Capture,
            header: true,
            ..self.shown.emit.clone()
        };
        let keyed = Keyed {
            table,
            meta: self.meta.take().unwrap_or_else(|| Meta {
                example: self.example.clone(),
                ..Meta::default()
            }),
        };
        let shown = Shown {
            inputs: self.shown.inputs,
            this_run: false,
            emit,
        };
        let o = self.job.finish(keyed, shown, &mut buf)?;
        match &mut self.outcome {
            None => self.outcome = Some(o),
            Some(all) => {
                if o.code == ExitCode::Success {
                    all.code = ExitCode::Success;
                }
                for w in o.warnings {
                    if !all.warnings.contains(&w) {
                        all.warnings.push(w);
                    }
                }
            }
        }
        Ok(decode(&buf))
    }

    fn empty(&mut self) -> Result<Captured> {
        if self.empty.is_none() {
            let c = self.capture(KeyedTable::default())?;
            self.empty = Some(c);
        }
        Ok(self.empty.clone().unwrap_or_default())
    }

    fn write(&mut self, bucket: i64, c: &Captured) -> Result<()> {
        if !self.header {
            self.header = true;
            let mut cols = vec!["time"];
            if let Some(h) = &c.header {
                cols.extend(h.iter().map(String::as_str));
            }
            self.e.header(&cols).map_err(Error::Output)?;
        }
        let label = self.bucketer.label(bucket);
        if c.rows.is_empty() && self.chart {
            let row = [Value::Bytes(label.as_bytes()), Value::Count(0)];
            return self.e.row(&row).map_err(Error::Output);
        }
        for r in &c.rows {
            let mut cells = Vec::with_capacity(r.len() + 1);
            cells.push(Value::Bytes(label.as_bytes()));
            cells.extend(r.iter().map(Cell::value));
            self.e.row(&cells).map_err(Error::Output)?;
        }
        Ok(())
    }

    fn group(&mut self, bucket: i64, table: KeyedTable<J::State>) -> Result<()> {
        if self.fill {
            if let Some(last) = self.last {
                let mut b = self.bucketer.next_start(last);
                while b < bucket {
                    let empty = self.empty()?;
                    self.write(b, &empty)?;
                    b = self.bucketer.next_start(b);
                }
            }
        }
        let c = self.capture(table)?;
        self.write(bucket, &c)?;
        self.last = Some(bucket);
        Ok(())
    }

    fn finish(mut self) -> Result<Outcome> {
        if !self.header {
            // No bucket at all: the job's header (and its messages) for an empty result.
            let empty = self.empty()?;
            self.header = true;
            let mut cols = vec!["time"];
            if let Some(h) = &empty.header {
                cols.extend(h.iter().map(String::as_str));
            }
            self.e.header(&cols).map_err(Error::Output)?;
        }
        self.e.finish().map_err(Error::Output)?;
        Ok(self.outcome.unwrap_or_else(|| ExitCode::NoMatch.into()))
    }
}
