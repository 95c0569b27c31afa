//! The `fields` job: group the records of structured logs by fields and aggregate fields per
//! group (count, exact sum, min, max, mean, distinct counts, percentiles).
//!
//! Each chunk is parsed by its format ([`record`]); a record passes the `--where` filters,
//! its group key is built from the `--by` fields (one field: its bytes; several: the
//! composite-key encoding of [`crate::aggregate::key`], so key order is the order of the field
//! tuples), and every aggregation folds its field in ([`agg`]). A record that does not parse,
//! or whose value under a numeric aggregation is not a number, is rejected before anything is
//! counted: it is counted by reason and, with `--rejects` or `--strict`, listed as
//! [`crate::jobs::bad_records`] says.
//!
//! The files, in the order of the data path:
//! - [`args`]: the flags; [`params`]: the parameters and the job built from them;
//! - [`mapper`]: the mapper and its partial (parsing, filtering and folding records);
//! - [`rows`]: the canonical partial of a run and the rows written through the emitter;
//! - here: the [`Job`] implementation and what a run of this shape cannot do.

pub mod agg;
pub mod args;
pub mod mapper;
pub mod params;
pub mod record;
pub mod rows;

use self::args::FieldsArgs;
use self::record::Format;
use super::{
    InputList, Job, Keyed, Meta, Parsed, RejectArgs, RunShape, Shown, TableAccess,
};
use crate::emit::EmitOptions;
use crate::error::{Error, Result};
use crate::exit::Outcome;
use crate::spill::Rows;
use std::io::Write;

pub use self::agg::GroupState;
pub use self::mapper::{FieldsMapper, FieldsPartial};
pub use self::params::{Fields, FieldsParams, Filter, FilterTest};
pub use self::rows::{export, finish, finish_rows};

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

    /// Version 1 ended every field of a key of two or more `--by` fields with the separator;
    /// today's encoding (`aggregate::key`) separates fields, so the last separator goes.
    fn upgrade_v1_key(params: &FieldsParams, key: &mut Vec<u8>) {
        if params.by.len() >= 2 && key.ends_with(&[0, 1]) {
            key.truncate(key.len() - 2);
        }
    }

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
        export(mapper, partial, &inputs.names)
    }

    fn bad_records<'m>(
        mapper: &'m FieldsMapper<'_>,
    ) -> Option<&'m crate::jobs::bad_records::BadRecords> {
        Some(&mapper.bad)
    }

    fn listed(p: &mut FieldsPartial) -> Option<&mut crate::jobs::bad_records::Listed> {
        Some(&mut p.listed)
    }

    fn spill_access() -> Option<TableAccess<FieldsPartial, GroupState>> {
        Some(TableAccess {
            table: |p| &mut p.groups,
            table_ref: |p| &p.groups,
        })
    }

    fn key_fields(&self) -> usize {
        self.by.len()
    }

    fn key_columns(&self) -> Vec<String> {
        let mut c = self.columns();
        c.truncate(self.by.len());
        c
    }

    fn time_only(&self) -> bool {
        self.by.is_empty()
    }

    fn count(group: &GroupState) -> u64 {
        group.count
    }

    fn value_columns(&self) -> Vec<String> {
        rows::value_columns(self)
    }

    fn value_cells(&self, group: &GroupState) -> Result<Vec<String>> {
        rows::value_cells(self, group)
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
