//! logmill: MapReduce-style counting and aggregation of logs and text on one machine.
//!
//! Inputs are memory-mapped (or streamed in bounded blocks) and cut into newline-aligned chunks
//! ([`chunk`]); a job's [`map::Mapper`] folds each chunk into a partial aggregate on a rayon pool;
//! partials merge through [`aggregate::Merge`] in a reduce tree ([`engine::Engine`]); [`emit`] orders
//! the result deterministically and writes it. The binary is a thin layer over [`run`].
//!
//! ```
//! use logmill::{map::words::WordsMapper, Config, InputSpec, Job};
//!
//! let input = InputSpec::Bytes {
//!     name: "example".into(),
//!     data: b"To be, or not to be\nto BE\n".to_vec(),
//! };
//! let mut config = Config::new(Job::Words(WordsMapper::default()), vec![input]);
//! config.threads = 2;
//! config.chunk_size = 8; // tiny chunks still give the same answer
//! let mut out = Vec::new();
//! logmill::run(config, &mut out).unwrap();
//! assert_eq!(out, b"to\t3\nbe\t2\nbe,\t1\nnot\t1\nor\t1\n");
//! ```
#![deny(missing_docs)]

pub mod agg;
pub mod aggregate;
pub mod chunk;
pub mod cli;
pub mod config;
pub mod diag;
pub mod docs;
pub mod emit;
pub mod engine;
pub mod error;
pub mod exit;
pub mod input;
pub mod job;
pub mod map;
pub mod num;
pub mod order;
pub mod output;
pub mod partial;
pub mod pattern;
pub mod progress;
pub mod record;
pub mod same_file;
pub mod signals;
pub mod size;
pub mod spill;
pub mod state;
pub mod timestamp;

use std::io::Write;

pub use config::{Config, Job};
pub use error::{Error, Result};
pub use exit::{ExitCode, Outcome};
pub use input::InputSpec;

use aggregate::KeyedTable;
use aggregate::Merge;
use emit::{order_rows, EmitOptions, Value};
use engine::{Engine, InputList, Spiller};
use map::Mapper;
use spill::{Rows, RowsOrder, TableSpiller};

/// Runs a job to completion, writing its results to `out` and diagnostics (one line each) to
/// stderr.
pub fn run(config: Config, out: &mut dyn Write) -> Result<ExitCode> {
    run_to(config, &mut output::Flushed(out))
}

/// [`run`] into a [`output::Sink`]: with `--state`, the new state is put in place only once the
/// sink delivered every result (an `-o` file renamed into place, stdout flushed).
pub fn run_to(config: Config, out: &mut dyn output::Sink) -> Result<ExitCode> {
    let job = config.job.clone();
    let emit = config.emit;
    let outcome = match &job {
        Job::Words(mapper) => drive_with(
            &config,
            mapper,
            |counts, _| {
                Ok(job::Keyed {
                    table: counts,
                    meta: job::Meta::default(),
                })
            },
            |keyed, _, out| {
                emit_counts(&["word", "count"], keyed.table, emit, out)?;
                Ok(ExitCode::Success.into())
            },
            Some(SpillJob {
                table: |p| p,
                table_ref: |p| p,
                count: |c| *c,
                write: Box::new(|_, rows, out| {
                    write_counts(&["word", "count"], rows, emit, out)?;
                    Ok(ExitCode::Success.into())
                }),
            }),
            out,
        )?,
        Job::Grep(g) => {
            // `--by-file` prints one row per argument, so the count of each input (the same
            // file given twice is two rows) is kept beside the partial keyed by name. A
            // `--state` run without `--since-last` shows the running total instead, by name.
            let per_input = std::cell::RefCell::new(None);
            let shows_this_run = config.state.is_none() || config.since_last;
            drive(
                &config,
                &g.mapper,
                |counts, names| {
                    if shows_this_run {
                        *per_input.borrow_mut() = Some(counts.clone());
                    }
                    Ok(map::grep::export(counts, names))
                },
                |keyed, order, out| {
                    let per_input = per_input.borrow_mut().take();
                    map::grep::finish(g, keyed, order, per_input.as_deref(), emit, out)
                },
                out,
            )?
        }
        Job::Match(m) => {
            map::matches::check(&config, m)?;
            let run = map::matches::MatchRun::new(m)?;
            drive_with(
                &config,
                &run,
                |counts, names| map::matches::export(Some(&run), counts, names),
                |keyed, _, out| map::matches::finish(m, keyed, emit, out),
                Some(SpillJob {
                    table: |p| &mut p.table,
                    table_ref: |p| &p.table,
                    count: |t| t.count,
                    write: Box::new(|meta, rows, out| {
                        // A table spills only when it holds keys, and every key matched.
                        map::matches::finish_rows(m, meta, rows, true, emit, out)
                    }),
                }),
                out,
            )?
        }
        Job::Fields(f) => {
            map::fields::check(&config, f)?;
            let mapper = map::fields::FieldsMapper::new(f)?;
            drive_with(
                &config,
                &mapper,
                |p, names| map::fields::export(f, &mapper, p, names),
                |keyed, _, out| map::fields::finish(f, keyed, emit, out),
                Some(SpillJob {
                    table: map::fields::groups_mut,
                    table_ref: map::fields::groups,
                    count: |g| g.count,
                    write: Box::new(|meta, rows, out| {
                        map::fields::finish_rows(f, meta, rows, emit, out)
                    }),
                }),
                out,
            )?
        }
    };
    for w in &outcome.warnings {
        diag::warning(w);
    }
    Ok(outcome.code)
}

/// How a job's result streams from disk when its partials spilled (`--memory`): where the
/// keyed table sits in a worker partial, what ranks a state, and how final rows are written.
struct SpillJob<'a, P, S> {
    /// The keyed table of a worker partial (the rest of it stays in memory).
    table: fn(&mut P) -> &mut KeyedTable<S>,
    /// The same, shared.
    table_ref: fn(&P) -> &KeyedTable<S>,
    /// The count that ranks a state under `--sort count`.
    count: fn(&S) -> u64,
    /// Writes the final rows, already in order, given the job-wide facts.
    #[allow(clippy::type_complexity)]
    write: Box<dyn FnOnce(job::Meta, Rows<S>, &mut dyn Write) -> Result<Outcome> + 'a>,
}

/// One run of any job: map the inputs (or read partials), then print final results or a
/// partial. `export` turns the mapper's partial into the canonical [`job::Keyed`] form (given
/// the input names); `finish` prints final results from it (given the inputs' order when known).
/// Its partials are never spilled: see [`drive_with`].
fn drive<M: Mapper, S: job::State>(
    config: &Config,
    mapper: &M,
    export: impl FnOnce(M::Partial, &[String]) -> Result<job::Keyed<S>>,
    finish: impl FnOnce(job::Keyed<S>, Option<&InputList>, &mut dyn Write) -> Result<Outcome>,
    out: &mut dyn output::Sink,
) -> Result<Outcome> {
    drive_with::<M, S>(config, mapper, export, finish, None, out)
}

/// [`drive`] for a job whose partial holds a keyed table that may spill to disk: with `spill`,
/// a run over inputs (not an incremental one) keeps its partials within `--memory` and, when
/// they spilled, streams its output from a merge of the runs instead of calling `finish`.
fn drive_with<M: Mapper, S: job::State>(
    config: &Config,
    mapper: &M,
    export: impl FnOnce(M::Partial, &[String]) -> Result<job::Keyed<S>>,
    finish: impl FnOnce(job::Keyed<S>, Option<&InputList>, &mut dyn Write) -> Result<Outcome>,
    spill: Option<SpillJob<'_, M::Partial, S>>,
    sink: &mut dyn output::Sink,
) -> Result<Outcome> {
    let params = config.job.params();
    match config.action {
        config::Action::Run if config.state.is_some() => {
            run_incremental(config, &params, mapper, export, finish, sink)
        }
        config::Action::Run => {
            let out = sink.writer();
            let engine = Engine::with_options(config.engine_options())?;
            let Some(job) = spill else {
                let mapped = engine.run(config.inputs.clone(), mapper)?;
                let failed = mapped.report();
                let list = mapped.input_list();
                return finish_run(
                    config,
                    &params,
                    export(mapped.partial, &mapped.inputs)?,
                    Some(&list),
                    failed,
                    finish,
                    out,
                );
            };
            let spiller = TableSpiller::new(
                &config.spill,
                config.threads,
                job.table,
                job.table_ref,
                job.count,
            );
            let mapped = engine.run_with(config.inputs.clone(), mapper, Some(&spiller))?;
            if let Some(e) = spiller.take_error() {
                return Err(e);
            }
            let failed = mapped.report();
            let list = mapped.input_list();
            let mut partial = mapped.partial;
            if !spiller.must_spill_result(&partial) {
                let keyed = export(partial, &mapped.inputs)?;
                return finish_run(config, &params, keyed, Some(&list), failed, finish, out);
            }
            let spilled = spiller.into_spilled(&mut partial)?;
            // The table went to disk; what is left is the job-wide facts.
            let meta = export(partial, &mapped.inputs)?.meta;
            write_spilled(config, &params, job, spilled, meta, false, failed, out)
        }
        config::Action::Reduce | config::Action::Merge => {
            let out = sink.writer();
            let needs_header = config.action == config::Action::Merge;
            let Some(job) = spill else {
                let keyed = read_partials(config, &params, needs_header, None)?;
                keyed.check_counts()?;
                return finish_run(config, &params, keyed, None, false, finish, out);
            };
            // Partials too big for `--memory` spill as the map's tables do.
            let spiller: TableSpiller<job::Keyed<S>, S> =
                TableSpiller::new(&config.spill, 1, |k| &mut k.table, |k| &k.table, job.count);
            let mut keyed = read_partials(config, &params, needs_header, Some(&spiller))?;
            if let Some(e) = spiller.take_error() {
                return Err(e);
            }
            keyed.check_meta_counts()?;
            if !spiller.must_spill_result(&keyed) {
                keyed.check_counts()?;
                return finish_run(config, &params, keyed, None, false, finish, out);
            }
            let spilled = spiller.into_spilled(&mut keyed)?;
            write_spilled(config, &params, job, spilled, keyed.meta, true, false, out)
        }
    }
}

/// An incremental run (`--state`): under the state's lock, map what is new since the last run,
/// prepare the new state before printing anything, print, and put the state in place only when
/// every result was delivered. Exit 0 means the state was saved.
fn run_incremental<M: Mapper, S: job::State>(
    config: &Config,
    params: &job::JobParams,
    mapper: &M,
    export: impl FnOnce(M::Partial, &[String]) -> Result<job::Keyed<S>>,
    finish: impl FnOnce(job::Keyed<S>, Option<&InputList>, &mut dyn Write) -> Result<Outcome>,
    sink: &mut dyn output::Sink,
) -> Result<Outcome> {
    let path = config.state.as_deref().expect("checked");
    // Held until the new state is in place (or the run fails): a second run waits or fails.
    let _lock = state::lock(path, config.lock_timeout)?;
    let loaded = state::load::<S>(path, params)?;
    let expanded = input::walk::expand(config.inputs.clone(), config.walk);
    if let Some(e) = expanded.errors.into_iter().next() {
        return Err(e);
    }
    let plan = state::plan(&expanded.inputs, loaded.marks)?;
    for f in &plan.restarted {
        diag::note(format_args!(
            "{f}: rotated or truncated since the last run; reading it from the start"
        ));
    }
    let engine = Engine::with_options(config.engine_options())?;
    let mapped = engine.run(plan.inputs, mapper)?;
    let failed = mapped.report();
    let list = mapped.input_list();
    let new = export(mapped.partial, &mapped.inputs)?;
    let mut total = loaded.total;
    let shown = if config.since_last {
        total.merge(new.clone());
        new
    } else {
        total.merge(new);
        total.clone()
    };
    total.check_counts()?;
    // Before any result is printed: a state that cannot be written fails the run here. A run
    // with a failed input leaves the state as it was.
    let prepared = if failed {
        None
    } else {
        Some(state::prepare(path, params, &plan.marks, &total)?)
    };
    let not_delivered = |e: Error| match e {
        Error::Output(source) => Error::NotDelivered {
            path: path.to_path_buf(),
            source,
        },
        Error::OutputFile { source, .. } => Error::NotDelivered {
            path: path.to_path_buf(),
            source,
        },
        other => other,
    };
    let outcome = finish_run(
        config,
        params,
        shown,
        Some(&list),
        failed,
        finish,
        sink.writer(),
    )
    .map_err(not_delivered)?;
    sink.deliver().map_err(not_delivered)?;
    if let Some(p) = prepared {
        p.publish()?;
    }
    Ok(outcome)
}

/// Prints a result held in memory: final results through `finish`, or a partial.
fn finish_run<S: job::State>(
    config: &Config,
    params: &job::JobParams,
    keyed: job::Keyed<S>,
    order: Option<&InputList>,
    failed: bool,
    finish: impl FnOnce(job::Keyed<S>, Option<&InputList>, &mut dyn Write) -> Result<Outcome>,
    out: &mut dyn Write,
) -> Result<Outcome> {
    let mut outcome = match config.emit_mode {
        job::EmitMode::Final => finish(keyed, order, out)?,
        mode => {
            job::write_partial(params, &keyed, mode, out).map_err(Error::Output)?;
            ExitCode::Success.into()
        }
    };
    if failed {
        outcome.code = ExitCode::Error;
    }
    Ok(outcome)
}

/// Reads every input of a reduce or merge as partial lines of the job `params`. With
/// `needs_header` (merge), each input must be a partial file with a matching header.
/// Reads and merges the partial inputs of `merge` and `reduce`; with `spiller`, the table is
/// spilled whenever it could pass `--memory`. Counts are not checked here (see
/// [`job::Keyed::check_counts`]).
fn read_partials<S: job::State>(
    config: &Config,
    params: &job::JobParams,
    needs_header: bool,
    spiller: Option<&TableSpiller<job::Keyed<S>, S>>,
) -> Result<job::Keyed<S>> {
    let mut keyed = job::Keyed::default();
    let mut counted = 0;
    let mut keep_within = |k: &mut job::Keyed<S>| -> Result<()> {
        let Some(s) = spiller else { return Ok(()) };
        // Room for the next records' keys, as the map makes room before a chunk.
        s.account(k, &mut counted);
        s.make_room(k, &mut counted, 2 * job::RECORDS_PER_HOOK);
        s.take_error().map_or(Ok(()), Err)
    };
    for spec in &config.inputs {
        let (name, mut reader) = input::open_lines(spec, config.limits)?;
        let header = job::read_partial_with(
            &name,
            &mut *reader,
            Some(params),
            &mut keyed,
            &mut keep_within,
        )?;
        if needs_header && header.is_none() {
            return Err(Error::BadPartial {
                path: name,
                line: 1,
                reason: "not a logmill partial (no '#logmill-partial' header); \
                         use `logmill reduce JOB` for bare KEY<TAB>STATE lines"
                    .into(),
            });
        }
    }
    Ok(keyed)
}

/// Writes a result that went to disk, streamed from the merge of its runs: final rows through
/// the job's writer, or a partial in key order. `from_partials`: the rows were merged from
/// partial files, so a saturated count fails the run.
#[allow(clippy::too_many_arguments)]
fn write_spilled<P, S: job::State>(
    config: &Config,
    params: &job::JobParams,
    job: SpillJob<'_, P, S>,
    spilled: spill::Spilled<S>,
    meta: job::Meta,
    from_partials: bool,
    failed: bool,
    out: &mut dyn Write,
) -> Result<Outcome> {
    let checked = |order: RowsOrder<S>| {
        if from_partials {
            order.refusing_saturated(job::count_overflow)
        } else {
            order
        }
    };
    let mut outcome = match config.emit_mode {
        job::EmitMode::Final => (job.write)(
            meta,
            Rows::Spilled(spilled, checked(RowsOrder::new(config.emit, job.count))),
            out,
        )?,
        mode => {
            let rows = Rows::Spilled(spilled, checked(RowsOrder::by_key(job.count)));
            job::write_partial_rows(params, &meta, rows, mode, out)?;
            ExitCode::Success.into()
        }
    };
    if failed {
        outcome.code = ExitCode::Error;
    }
    Ok(outcome)
}

/// Writes a key → count table in the configured order and format.
fn emit_counts(
    columns: &[&str],
    counts: KeyedTable<u64>,
    opts: EmitOptions,
    out: &mut dyn Write,
) -> Result<()> {
    let rows = order_rows(counts.into_entries().collect(), |c| *c, opts);
    write_counts(columns, Rows::Memory(rows), opts, out)
}

/// Writes key → count rows, already in order, in the configured format.
fn write_counts(
    columns: &[&str],
    rows: Rows<u64>,
    opts: EmitOptions,
    out: &mut dyn Write,
) -> Result<()> {
    let mut e = emit::emitter(opts.format, opts.header, out);
    e.header(columns).map_err(Error::Output)?;
    rows.for_each(|key, count| {
        e.row(&[Value::Bytes(key), Value::Count(*count)])
            .map_err(Error::Output)
    })?;
    e.finish().map_err(Error::Output)
}
