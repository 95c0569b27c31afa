//! The jobs. Each is one file (or folder) implementing [`Job`]: its flags, its parameters (what
//! goes into a partial's header), its mapper, how its partial becomes the canonical
//! [`Keyed`] table, and how it writes final rows. The [`registry!`] line at the end of this file
//! lists them; it generates the command line's job subcommands ([`JobCommand`]), the partial
//! header's job parameters ([`JobParams`]) and the dispatch from parameters to a job.
//!
//! Adding a job is its file plus one line in that list: partials, merge, reduce, shards, state,
//! spill, `--sort`, `--top` and every output format come with the trait.

use std::fmt::Debug;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::Serialize;

pub use crate::aggregate::keyed::{Keyed, Meta};
use crate::aggregate::{KeyedTable, Merge, State};
pub use crate::chunk::Framing;
use crate::emit::{EmitOptions, Value};
pub use crate::engine::{Chunk, InputList, Mapper, Shard};
use crate::error::{Error, Result};
use crate::exit::Outcome;
use crate::order::order_rows;
use crate::spill::Rows;

pub mod args;
pub mod example;
#[macro_use]
mod registry;
pub mod timed;
pub mod timed_emit;
pub mod timed_field;
mod timed_map;
pub mod timed_report;
pub mod timed_sorted;

pub use args::{OutputArgs, RecordArgs, RejectArgs};
pub use registry::JobVisitor;

/// A job's flags resolved: its parameters, and the flags every job shares.
#[derive(Debug)]
pub struct Parsed<P> {
    /// What defines the result.
    pub params: P,
    /// The inputs named on the command line.
    pub files: Vec<PathBuf>,
    /// Order, truncation, format and destination of the output.
    pub output: OutputArgs,
    /// Where bad records go (jobs that cannot reject a record leave the default).
    pub bad: RejectArgs,
}

/// What a run does besides mapping whole inputs, for jobs that cannot do everything.
#[derive(Debug, Clone, Copy)]
pub struct RunShape<'a> {
    /// `--shard I/N`.
    pub shard: Option<Shard>,
    /// `--state FILE`.
    pub state: Option<&'a Path>,
}

/// What is being shown when final rows are written.
#[derive(Debug, Clone)]
pub struct Shown<'a> {
    /// The run's inputs in argument order, when the rows come from mapping them (not from
    /// merged partials).
    pub inputs: Option<&'a InputList>,
    /// True when the rows are this run's alone (not a `--state` running total).
    pub this_run: bool,
    /// Order, truncation and format.
    pub emit: EmitOptions,
}

/// Where the keyed table sits in a worker partial, for jobs whose partials may spill to disk
/// under `--memory` (the rest of the partial stays in memory).
pub struct TableAccess<P, S> {
    /// The keyed table of a worker partial.
    pub table: fn(&mut P) -> &mut KeyedTable<S>,
    /// The same, shared.
    pub table_ref: fn(&P) -> &KeyedTable<S>,
}

/// A job: everything that differs between `words`, `grep`, `match`, `lines` and `fields`.
pub trait Job: Sized + Send + Sync + 'static {
    /// The name on the command line and in partial headers.
    const NAME: &'static str;
    /// One line for `logmill -h`.
    const ABOUT: &'static str;
    /// Examples and notes after the job's `--help`.
    const EXAMPLES: &'static str;

    /// The job's own flags (with the shared groups of [`args`] flattened in).
    type Args: clap::Args + clap::FromArgMatches + Debug;
    /// What defines the result: written in partial headers, compared when partials merge.
    type Params: Serialize + DeserializeOwned + Clone + PartialEq + Debug + Send + Sync;
    /// A worker's partial aggregate.
    type Partial: Merge;
    /// The state of one key, as partial files carry it.
    type State: State;
    /// The mapper of one run (it may hold the run's resources, such as a rejects spool).
    type Mapper<'j>: Mapper<Partial = Self::Partial>
    where
        Self: 'j;

    /// Rewrites a key of a version-1 partial into today's key bytes, for a job whose key
    /// encoding changed since (users may hold version-1 partials).
    fn upgrade_v1_key(_params: &Self::Params, _key: &mut Vec<u8>) {}

    /// Resolves the job's flags.
    fn parse(args: Self::Args) -> Result<Parsed<Self::Params>>;

    /// The runnable job (patterns compiled) with where its bad records go.
    fn build(params: &Self::Params, bad: &RejectArgs) -> Result<Self>;

    /// Refuses what the job cannot do in a run of this shape.
    fn check(&self, _run: RunShape<'_>) -> Result<()> {
        Ok(())
    }

    /// Whether the job wants the names of a run's inputs before its mapper is made
    /// ([`Job::name_inputs`]). No by default.
    fn wants_input_names(&self) -> bool {
        false
    }

    /// Told, before the mapper of a run is made, the run's whole input list in argument order
    /// (`all`, directories expanded) and the inputs the mapper sees, by `Chunk::input`
    /// (`mapped`: fewer under `--state`, which reads only what is new).
    fn name_inputs(&self, _all: &[Vec<u8>], _mapped: &[Vec<u8>]) {}

    /// The mapper of one run.
    fn mapper(&self) -> Result<Self::Mapper<'_>>;

    /// Turns the merged partial of a run into the canonical keyed table (handling what needs
    /// the whole run, such as line numbers of bad records).
    fn export(
        &self,
        mapper: &Self::Mapper<'_>,
        partial: Self::Partial,
        inputs: &InputList,
    ) -> Result<Keyed<Self::State>>;

    /// Where the mapper sends bad records, for a job that rejects records itself: a timed run
    /// ([`timed::TimedMapper`]) sends records without a timestamp to the same spool, so one
    /// `--rejects` file lists both in line order.
    fn bad_records<'m>(_mapper: &'m Self::Mapper<'_>) -> Option<&'m bad_records::BadRecords> {
        None
    }

    /// Where a worker partial lists its bad records (with [`Job::bad_records`]).
    fn listed(_partial: &mut Self::Partial) -> Option<&mut bad_records::Listed> {
        None
    }

    /// Where the keyed table sits in a worker partial, when it may spill to disk.
    fn spill_access() -> Option<TableAccess<Self::Partial, Self::State>> {
        None
    }

    /// How many columns a key has (composite keys of [`crate::aggregate::key`] when more than
    /// one): `--top-per` needs two or more.
    fn key_fields(&self) -> usize {
        1
    }

    /// A key split into its columns, as the job shows them (by default the composite keys of
    /// [`crate::aggregate::key`]).
    fn key_parts<'k>(&self, key: &'k [u8]) -> Vec<std::borrow::Cow<'k, [u8]>> {
        crate::aggregate::key::decode(key, self.key_fields())
    }

    /// The names of the key columns, as the job's header names them (`logmill diff` shows
    /// the key under these).
    fn key_columns(&self) -> Vec<String> {
        vec!["key".into()]
    }

    /// Whether the output has no key column of its own (grep's count, `fields` without
    /// `--by`): then `--per` makes the time its only key, and `--fill` may add empty buckets.
    fn time_only(&self) -> bool {
        false
    }

    /// The count that ranks a key's state under `--sort count`.
    fn count(state: &Self::State) -> u64;

    /// The names of the aggregate columns a row shows besides its key and count (`fields`'
    /// `--sum` and the like, `match --sum`): `logmill diff` shows them old and new.
    fn value_columns(&self) -> Vec<String> {
        Vec::new()
    }

    /// The cells of [`Job::value_columns`] for a state.
    fn value_cells(&self, _state: &Self::State) -> Result<Vec<String>> {
        Ok(Vec::new())
    }

    /// Columns a wrapper job adds after every other (`example`, `example_text`).
    fn extra_columns(&self) -> Vec<String> {
        Vec::new()
    }

    /// The cells of [`Job::extra_columns`] for a state of a result whose job-wide facts are
    /// `meta` (`resolver`: what [`crate::aggregate::example::ExampleMeta::resolver`] made of
    /// them).
    fn extra_cells(
        &self,
        _resolver: &crate::aggregate::example::Resolver,
        _state: &Self::State,
    ) -> Vec<Vec<u8>> {
        Vec::new()
    }

    /// Writes the final result held in memory. By default: the rows in the final order
    /// ([`crate::order`]), through [`Job::write_rows`].
    fn finish(
        &self,
        keyed: Keyed<Self::State>,
        shown: Shown<'_>,
        out: &mut dyn Write,
    ) -> Result<Outcome> {
        let rows = order_rows(
            keyed.table.into_entries().collect(),
            Self::count,
            &shown.emit,
        );
        self.write_rows(keyed.meta, Rows::Memory(rows), shown.emit, out)
    }

    /// Writes final rows already in order (from memory, or streamed from a spilled merge).
    fn write_rows(
        &self,
        meta: Meta,
        rows: Rows<Self::State>,
        emit: EmitOptions,
        out: &mut dyn Write,
    ) -> Result<Outcome>;
}

/// Writes `KEY<TAB>COUNT` rows (the table of `words` and `lines`) in the configured format,
/// the key column named `key_column`: a run that printed them succeeded.
pub fn write_counts(
    key_column: &str,
    meta: &Meta,
    rows: Rows<u64>,
    emit: EmitOptions,
    out: &mut dyn Write,
) -> Result<Outcome> {
    let mut e = crate::emit::emitter_for(&emit, meta, out);
    e.header(&[key_column, "count"]).map_err(Error::Output)?;
    rows.for_each(|key, count| {
        e.row(&[Value::Bytes(key), Value::Count(*count)])
            .map_err(Error::Output)
    })?;
    e.finish().map_err(Error::Output)?;
    Ok(crate::exit::ExitCode::Success.into())
}

/// The keyed table of a partial that is nothing but the table (`words`, `lines`).
pub fn whole_table<S>() -> TableAccess<KeyedTable<S>, S> {
    TableAccess {
        table: |p| p,
        table_ref: |p| p,
    }
}

pub mod bad_records;
pub mod pattern;
pub mod search;

registry! {
    words::Words,
    grep::Grep,
    matches::Match,
    lines::Lines,
    fields::Fields,
}
