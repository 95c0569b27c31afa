//! The pipeline: one run of any job, read top to bottom as the data path — inputs -> chunks ->
//! map -> merge -> (spill) -> order -> emit — for the three actions: a run over inputs, a run
//! with `--state`, and merge/reduce of partials. Every action ends in [`emit_result`], the one
//! place a result (in memory, or spilled to disk) becomes final rows or a partial.

use std::io::Write;

use crate::aggregate::keyed::{Keyed, Meta, RecordsRead};
use crate::aggregate::Merge;
use crate::atomic::{Flushed, Sink};
use crate::config::{report, Action, Config, RejectLimit};
use crate::diag;
use crate::emit::watch;
use crate::engine::{Counted, Engine, Spiller};
use crate::error::{Error, Result};
use crate::exit::{ExitCode, Outcome};
use crate::input;
use crate::jobs::example::Exampled;
use crate::jobs::timed::{export_timed, timed_mapper, TimeParams, TimeRun};
use crate::jobs::timed_emit::{write_per, PerRows};
use crate::jobs::{Job, JobVisitor, Mapper, RunShape, Shown};
use crate::order::{GroupPrefix, OrderOptions, PerGroup, SortOrder};
use crate::partial::coverage::Coverage;
use crate::partial::format::{self, EmitMode};
use crate::partial::state;
use crate::spill::{Rows, RowsOrder, Spilled, TableSpiller};

mod merge;

use merge::merge_partials;

/// Runs a job to completion, writing its results to `out` and diagnostics (one line each) to
/// stderr.
pub fn run(config: Config, out: &mut dyn Write) -> Result<ExitCode> {
    run_to(config, &mut Flushed(out))
}

/// [`run`] into a [`Sink`]: with `--state`, the new state is put in place only once the sink
/// delivered every result (an `-o` file renamed into place, stdout flushed).
pub fn run_to(config: Config, sink: &mut dyn Sink) -> Result<ExitCode> {
    let outcome = config.params.visit(
        &config.bad,
        Drive {
            config: &config,
            sink,
        },
    )?;
    for w in &outcome.warnings {
        diag::warning(w);
    }
    Ok(outcome.code)
}

/// The run, handed the typed job by the registry.
struct Drive<'a> {
    config: &'a Config,
    sink: &'a mut dyn Sink,
}

impl JobVisitor for Drive<'_> {
    type Output = Outcome;

    fn visit<J: Job>(self, job: J) -> Result<Outcome> {
        match self.config.example {
            Some(mode) => self.drive(Exampled::new(job, mode)),
            None => self.drive(job),
        }
    }
}

impl Drive<'_> {
    /// The run of `job` (the job of the config, or it with `--example`).
    fn drive<J: Job>(self, job: J) -> Result<Outcome> {
        let config = self.config;
        job.check(RunShape {
            shard: config.shard,
            state: config.state.as_deref(),
        })?;
        if config.emit.top_per.is_some() && job.key_fields() < 2 {
            return Err(Error::InvalidArgument {
                flag: "--top-per",
                value: config.emit.top_per.unwrap_or(0).to_string(),
                reason: format!(
                    "needs two or more key columns (e.g. `fields --by a --by b`, or `match` \
                     with several groups); this {} job has one",
                    J::NAME
                ),
            });
        }
        if config.fill && config.time.as_ref().is_none_or(|t| t.per.is_none()) {
            return Err(Error::InvalidArgument {
                flag: "--fill",
                value: String::new(),
                reason: "fills empty time buckets: it needs --per".into(),
            });
        }
        if config.fill && !job.time_only() {
            return Err(Error::InvalidArgument {
                flag: "--fill",
                value: String::new(),
                reason: format!(
                    "applies to outputs whose only key is the time (grep counts, fields \
                     without --by); this {} output has more key columns",
                    J::NAME
                ),
            });
        }
        match config.action {
            Action::Run if config.state.is_some() => run_incremental(config, &job, self.sink),
            Action::Run => run_inputs(config, &job, self.sink.writer()),
            Action::Reduce | Action::Merge => merge_partials(config, &job, self.sink.writer()),
            Action::Diff => {
                let opts = config.diff.unwrap_or_default();
                let out = self.sink.writer();
                let (written, report) = watch::watching(&config.fail_if, || {
                    crate::diff::diff_files(&job, config, &opts, out)
                });
                apply_policy(config, written, report, ExitCode::Success, None)
            }
        }
    }
}

/// A merged result: held in memory, or spilled to sorted runs on disk (with the job-wide
/// facts, which stay in memory).
enum Merged<S> {
    Memory(Keyed<S>),
    Spilled(Spilled<S>, Meta),
}

/// A run over inputs: map every input, keeping the workers' tables within `--memory` when the
/// job's partial can spill.
fn run_inputs<J: Job>(config: &Config, job: &J, out: &mut dyn Write) -> Result<Outcome> {
    if let Some(time) = &config.time {
        return run_timed(
            config,
            job,
            &TimeRun::new(time)?
                .sorted(config.sorted.as_deref())?
                .field(&config.params)?,
            out,
        );
    }
    let engine = Engine::with_options(config.engine_options())?;
    name_inputs(config, job, None);
    let mapper = job.mapper()?;
    let counted = Counted::new(
        &mapper,
        report::counts_records(&config.emit, config.emit_mode),
    );
    let spiller = J::spill_access().map(|t| {
        TableSpiller::new(
            &config.spill,
            config.threads,
            t.table,
            t.table_ref,
            J::count,
        )
    });
    let mapped = engine.run_with(
        config.inputs.clone(),
        &counted,
        spiller.as_ref().map(|s| s as &dyn Spiller<J::Partial>),
    )?;
    if let Some(e) = spiller.as_ref().and_then(TableSpiller::take_error) {
        return Err(e);
    }
    let failed = mapped.report();
    let list = mapped.input_list();
    let covered = run_coverage(config, &mapped.reads)?;
    let mut partial = mapped.partial;
    let records = RecordsRead::from(counted.records());
    let merged = match spiller.filter(|s| s.must_spill_result(&partial)) {
        Some(s) => {
            let spilled = s.into_spilled(&mut partial)?;
            // The table went to disk; what is left is the job-wide facts.
            let mut meta = job.export(&mapper, partial, &list)?.meta;
            meta.records = records;
            Merged::Spilled(spilled, meta)
        }
        None => {
            let mut keyed = job.canonical(job.export(&mapper, partial, &list)?);
            keyed.meta.records = records;
            Merged::Memory(keyed)
        }
    };
    let read = RunRead {
        list: &list,
        failed,
        covered,
    };
    emit_run(config, job, merged, read, out)
}

/// What a run over inputs read: its inputs, whether some failed and what it covers (for a
/// partial). How many records it read is in the result's [`Meta`].
struct RunRead<'a> {
    list: &'a crate::engine::InputList,
    failed: bool,
    covered: Option<Coverage>,
}

/// Tells a job that asks the names of the run's inputs (directories expanded): all of them,
/// and the ones the engine maps (`mapped`, when not all: an incremental run's new bytes).
fn name_inputs<J: Job>(config: &Config, job: &J, mapped: Option<&[input::InputSpec]>) {
    if !job.wants_input_names() {
        return;
    }
    let all: Vec<Vec<u8>> = input::walk::expand(config.inputs.clone(), config.walk)
        .inputs
        .iter()
        .map(input::InputSpec::name_bytes)
        .collect();
    let mapped: Vec<Vec<u8>> = match mapped {
        Some(m) => m.iter().map(input::InputSpec::name_bytes).collect(),
        None => all.clone(),
    };
    job.name_inputs(&all, &mapped);
}

/// What a run over inputs covers, when it writes a partial.
fn run_coverage(config: &Config, reads: &[crate::engine::InputRead]) -> Result<Option<Coverage>> {
    match config.emit_mode {
        EmitMode::Partial => Ok(Some(Coverage::of_run(reads, config.shard)?)),
        _ => Ok(None),
    }
}

/// The end of a run over inputs: its result emitted, with the code its inputs give and what
/// it covers.
fn emit_run<J: Job>(
    config: &Config,
    job: &J,
    merged: Merged<J::State>,
    read: RunRead<'_>,
    out: &mut dyn Write,
) -> Result<Outcome> {
    let base = keep_going_code(read.failed, &read.list.failed);
    let shown = Shown {
        inputs: Some(read.list),
        this_run: true,
        emit: config.emit.clone(),
    };
    emit_result(
        config,
        job,
        merged,
        shown,
        false,
        read.covered.as_ref(),
        base,
        out,
    )
}

/// A spiller of a merged keyed result (a merge's, or a timed run's), when the job's partials
/// may spill.
fn keyed_spiller<J: Job>(config: &Config) -> Option<TableSpiller<Keyed<J::State>, J::State>> {
    J::spill_access().map(|_| {
        TableSpiller::new(
            &config.spill,
            1,
            |k: &mut Keyed<J::State>| &mut k.table,
            |k: &Keyed<J::State>| &k.table,
            J::count,
        )
    })
}

/// The code of a run as far as its inputs go: 0 when every input was read; with
/// `--keep-going`, 3 when some failed and the others gave results, 2 when none could be read.
fn keep_going_code(failed: bool, inputs_failed: &[bool]) -> ExitCode {
    if !failed {
        ExitCode::Success
    } else if inputs_failed.iter().all(|f| *f) {
        ExitCode::Error
    } else {
        ExitCode::PartialSuccess
    }
}

/// A run over inputs with time options: the job's mapper behind [`TimedMapper`]. The
/// workers' tables do not spill (they are per bucket); the merged result does, as a merge's.
fn run_timed<J: Job>(
    config: &Config,
    job: &J,
    time: &TimeRun,
    out: &mut dyn Write,
) -> Result<Outcome> {
    let engine = Engine::with_options(config.engine_options())?;
    name_inputs(config, job, None);
    let mapper = timed_mapper(job, time, &config.bad)?;
    let counted = Counted::new(
        &mapper,
        report::counts_records(&config.emit, config.emit_mode),
    );
    let mapped = engine.run(config.inputs.clone(), &counted)?;
    let failed = mapped.report();
    let list = mapped.input_list();
    let covered = run_coverage(config, &mapped.reads)?;
    let mut keyed = export_timed(job, &mapper, mapped.partial, &list)?;
    keyed.meta.records = counted.records().into();
    let config = &with_time(config, mapper.resolved_params());
    let merged = match keyed_spiller::<J>(config).filter(|s| s.must_spill_result(&keyed)) {
        Some(s) => Merged::Spilled(s.into_spilled(&mut keyed)?, keyed.meta),
        None => Merged::Memory(keyed),
    };
    let read = RunRead {
        list: &list,
        failed,
        covered,
    };
    emit_run(config, job, merged, read, out)
}

/// The config of a run with the time parameters it resolved while mapping (the years of
/// year-less timestamps dated by their inputs' modification times), for its partial's header.
fn with_time(config: &Config, time: TimeParams) -> Config {
    Config {
        time: Some(time),
        ..config.clone()
    }
}

/// An incremental run (`--state`): under the state's lock, map what is new since the last run,
/// prepare the new state before printing anything, print, and put the state in place only when
/// every result was delivered. Exit 0 means the state was saved. The running total stays in
/// memory (it is the state).
fn run_incremental<J: Job>(config: &Config, job: &J, sink: &mut dyn Sink) -> Result<Outcome> {
    let path = config
        .state
        .as_deref()
        .expect("an incremental run has a state");
    // Held until the new state is in place (or the run fails): a second run waits or fails.
    let _lock = state::lock(path, config.lock_timeout)?;
    let loaded = state::load::<J::State>(path, &config.header())?;
    let previous_marks = loaded.marks.clone();
    let expanded = input::walk::expand(config.inputs.clone(), config.walk);
    if let Some(e) = expanded.errors.into_iter().next() {
        return Err(e);
    }
    // A state from before coverage was recorded covers what it covers: nothing can be said.
    let fresh = loaded.marks.is_empty() && loaded.total.table.is_empty();
    let loaded_coverage = loaded.coverage;
    // Where records end, so a file's last record waits until a later one shows it has ended.
    let framing = job.mapper()?.framing();
    let mut plan = state::plan(&expanded.inputs, loaded.marks, framing)?;
    let this_run = plan.coverage();
    for f in &plan.restarted {
        diag::note(format_args!(
            "{f}: rotated or truncated since the last run; reading it from the start"
        ));
    }
    let engine = Engine::with_options(config.engine_options())?;
    name_inputs(config, job, Some(&plan.inputs));
    let mut resolved = None;
    let (mut new, failed, list, failed_inputs, records) = match &config.time {
        Some(time) => {
            let time = TimeRun::new(time)?
                .sorted(config.sorted.as_deref())?
                .field(&config.params)?;
            let mapper = timed_mapper(job, &time, &config.bad)?;
            // The state keeps how many records its runs read (a sum over them, as its rows).
            let counted = Counted::new(&mapper, true);
            let mapped = engine.run(plan.inputs.clone(), &counted)?;
            let failed = mapped.report();
            let list = mapped.input_list();
            let failed_inputs: Vec<Option<usize>> = mapped.failed.iter().map(|f| f.0).collect();
            let new = export_timed(job, &mapper, mapped.partial, &list)?;
            // The state's header dates year-less timestamps as this run did (what earlier
            // runs counted keeps the years they gave it).
            resolved = Some(mapper.resolved_params());
            (new, failed, list, failed_inputs, counted.records())
        }
        None => {
            let mapper = job.mapper()?;
            // The state keeps how many records its runs read (a sum over them, as its rows).
            let counted = Counted::new(&mapper, true);
            let mapped = engine.run(plan.inputs.clone(), &counted)?;
            let failed = mapped.report();
            let list = mapped.input_list();
            let failed_inputs: Vec<Option<usize>> = mapped.failed.iter().map(|f| f.0).collect();
            let new = job.canonical(job.export(&mapper, mapped.partial, &list)?);
            (new, failed, list, failed_inputs, counted.records())
        }
    };
    new.meta.records = records.into();
    let resolved_config = resolved.map(|t| with_time(config, t));
    let config = resolved_config.as_ref().unwrap_or(config);
    let base = keep_going_code(failed, &list.failed);
    // An input that failed was left out of the result: its mark goes back to where it was,
    // so the next run reads it again. A failure not tied to one input saves no state.
    let mut unknown_failure = false;
    for i in &failed_inputs {
        match i.and_then(|i| plan.inputs.get(i)) {
            Some(spec) => state::forget_progress(&mut plan.marks, &previous_marks, spec),
            None => unknown_failure = true,
        }
    }
    let mut total = loaded.total;
    let previous = config.diff.map(|_| total.clone());
    // The state's coverage: what it covered (none for a state from before coverage was
    // recorded: nothing can be said of it then) and this run's.
    let total_coverage = match loaded_coverage {
        Some(mut c) => {
            c.runs.clear();
            c.union(this_run.clone());
            Some(c)
        }
        None if fresh => Some(this_run.clone()),
        None => None,
    };
    let (shown, shown_coverage) = if config.since_last {
        total.merge(new.clone());
        (new, Some(this_run))
    } else {
        total.merge(new);
        (total.clone(), total_coverage.clone())
    };
    total.check_counts()?;
    // Before any result is printed: a state that cannot be written fails the run here. A run
    // without a result (exit 2) leaves the state as it was.
    let prepared = if base == ExitCode::Error || unknown_failure {
        None
    } else {
        Some(state::prepare(
            path,
            &config.header(),
            &plan.marks,
            &total,
            total_coverage.as_ref(),
        )?)
    };
    let not_delivered = |e: Error| match e {
        Error::Output(source) | Error::OutputFile { source, .. } => Error::NotDelivered {
            path: path.to_path_buf(),
            source,
        },
        other => other,
    };
    let how = Shown {
        inputs: Some(&list),
        this_run: config.since_last,
        emit: config.emit.clone(),
    };
    let outcome = match previous {
        // `--diff`: this run's total against the previous run's.
        Some(old) => emit_diff(config, job, old, shown, base, sink.writer()),
        None => emit_result(
            config,
            job,
            Merged::Memory(shown),
            how,
            false,
            shown_coverage.as_ref(),
            base,
            sink.writer(),
        ),
    }
    .map_err(not_delivered)?;
    if !outcome.code.has_result() {
        return Ok(outcome);
    }
    sink.deliver().map_err(not_delivered)?;
    if let Some(p) = prepared {
        p.publish()?;
    }
    Ok(outcome)
}

/// The one end of every action: the result as final rows through the job (in memory, or
/// streamed from the merge of spilled runs in the final order), or as a partial in key order.
/// `from_partials`: the rows were merged from partial files, so a saturated count fails the
/// run. `base`: the code as far as the inputs go (see [`keep_going_code`]); the exit policy
/// (`--fail-if`, `--max-rejects`) may raise it after the rows are written. `coverage`: what the
/// result covers, written in a partial.
#[allow(clippy::too_many_arguments)]
fn emit_result<J: Job>(
    config: &Config,
    job: &J,
    merged: Merged<J::State>,
    shown: Shown<'_>,
    from_partials: bool,
    coverage: Option<&Coverage>,
    base: ExitCode,
    out: &mut dyn Write,
) -> Result<Outcome> {
    let rejects = match &merged {
        Merged::Memory(k) => Rejects::of(&k.meta, Some(k.table.iter().map(|(_, s)| J::count(s)))),
        Merged::Spilled(s, meta) => Rejects::of(meta, Some(std::iter::once(s.counted()))),
    };
    // A report says how many records the result's runs read (summed over merged partials).
    let records = match &merged {
        Merged::Memory(k) => k.meta.records,
        Merged::Spilled(_, meta) => meta.records,
    };
    let shown = Shown {
        emit: report::with_records(&shown.emit, records),
        ..shown
    };
    let (written, report) = watch::watching(&config.fail_if, || {
        write_result(config, job, merged, shown, from_partials, coverage, out)
    });
    apply_policy(config, written, report, base, Some(rejects))
}

/// A diff (`logmill diff`, `--diff`) written with the exit policy of `--fail-if`.
fn emit_diff<J: Job>(
    config: &Config,
    job: &J,
    old: Keyed<J::State>,
    new: Keyed<J::State>,
    base: ExitCode,
    out: &mut dyn Write,
) -> Result<Outcome> {
    let opts = config.diff.unwrap_or_default();
    let (written, report) = watch::watching(&config.fail_if, || {
        crate::diff::write_diff(job, old, new, config, &opts, out)
    });
    apply_policy(config, written, report, base, None)
}

/// The exit policy after the rows were written: the inputs' code, then `--max-rejects` and
/// `--fail-if` raise it.
fn apply_policy(
    config: &Config,
    written: Result<Outcome>,
    report: watch::Report,
    base: ExitCode,
    rejects: Option<Rejects>,
) -> Result<Outcome> {
    if let Some((value, reason)) = report.error {
        return Err(Error::InvalidArgument {
            flag: "--fail-if",
            value,
            reason,
        });
    }
    let mut outcome = written?;
    outcome.raise(base, None);
    if let (Some(limit), Some(rejects)) = (config.max_rejects, rejects) {
        if let Some(message) = rejects.exceeds(limit) {
            outcome.raise(ExitCode::TooManyRejects, Some(message));
        }
    }
    if let Some((condition, row)) = report.met {
        outcome.raise(
            ExitCode::ConditionMet,
            Some(format!(
                "--fail-if '{condition}' is met (first by the row of {row:?})"
            )),
        );
    }
    Ok(outcome)
}

/// Bad records of a result, and the records counted, for `--max-rejects`.
struct Rejects {
    bad: u64,
    /// The sum of the counts of every key.
    kept: Option<u64>,
}

impl Rejects {
    fn of(meta: &Meta, counts: Option<impl Iterator<Item = u64>>) -> Rejects {
        Rejects {
            bad: meta
                .rejected
                .count
                .saturating_add(meta.bad.values().fold(0u64, |a, b| a.saturating_add(*b)))
                .saturating_add(meta.untimed),
            kept: counts.map(|c| c.fold(0u64, u64::saturating_add)),
        }
    }

    /// The message when the bad records exceed `limit`.
    fn exceeds(&self, limit: RejectLimit) -> Option<String> {
        let bad = self.bad;
        match limit {
            RejectLimit::Count(n) => (bad > n)
                .then(|| format!("--max-rejects {n} exceeded: {bad} bad record(s) were left out")),
            RejectLimit::Percent(p) => {
                let total = bad.saturating_add(self.kept.unwrap_or(0));
                let share = if total == 0 {
                    0.0
                } else {
                    bad as f64 * 100.0 / total as f64
                };
                (share > p).then(|| {
                    format!(
                        "--max-rejects {p}% exceeded: {bad} of {total} records ({share:.2}%) \
                         were bad and left out"
                    )
                })
            }
        }
    }
}

/// `--emit ranked` (see [`crate::partial::ranked`]): every row in key order, or with `--top N`
/// the first N rows in the final order.
fn write_ranked_rows<S: crate::aggregate::State>(
    config: &Config,
    merged: Merged<S>,
    coverage: Option<&Coverage>,
    checked: &dyn Fn(RowsOrder<S>) -> RowsOrder<S>,
    count: fn(&S) -> u64,
    out: &mut dyn Write,
) -> Result<Outcome> {
    use crate::partial::ranked;
    let opts = ranked::options(config.emit.sort, config.emit.top);
    let (meta, rows) = match merged {
        Merged::Memory(k) => (k.meta, ranked::table_rows(k.table, opts, count)),
        Merged::Spilled(s, meta) => (meta, Rows::Spilled(s, checked(ranked::order(opts, count)))),
    };
    ranked::write_ranked(&meta, rows, coverage, opts.sort, count, out)?;
    Ok(ExitCode::Success.into())
}

/// Writes the result (see [`emit_result`]).
fn write_result<J: Job>(
    config: &Config,
    job: &J,
    merged: Merged<J::State>,
    shown: Shown<'_>,
    from_partials: bool,
    coverage: Option<&Coverage>,
    out: &mut dyn Write,
) -> Result<Outcome> {
    let checked = |order: RowsOrder<J::State>| {
        if from_partials {
            order.refusing_saturated(format::count_overflow)
        } else {
            order
        }
    };
    let time = config.time.as_ref().map(TimeRun::new).transpose()?;
    let untimed = match &merged {
        Merged::Memory(k) => k.meta.untimed,
        Merged::Spilled(_, meta) => meta.untimed,
    };
    let per = time.as_ref().filter(|t| t.per());
    if config.emit_mode == EmitMode::Ranked {
        if per.is_some() {
            return Err(Error::InvalidArgument {
                flag: "--emit",
                value: "ranked".into(),
                reason: "--per orders rows by time bucket first; ranked lines hold one order \
                         (leave out --per)"
                    .into(),
            });
        }
        return write_ranked_rows(config, merged, coverage, &checked, J::count, out);
    }
    let mut outcome = match (config.emit_mode, merged, per) {
        (EmitMode::Final, Merged::Memory(keyed), Some(t)) => {
            write_per(job, t, config.fill, PerRows::Memory(keyed), shown, out)?
        }
        (EmitMode::Final, Merged::Spilled(spilled, meta), Some(t)) => write_per(
            job,
            t,
            config.fill,
            PerRows::Spilled(spilled, meta),
            shown,
            out,
        )?,
        (EmitMode::Final, Merged::Memory(keyed), None) => job.finish(keyed, shown, out)?,
        (EmitMode::Final, Merged::Spilled(spilled, meta), None) => match config.emit.top_per {
            // `--top-per`: streamed from the merge in count order, keeping N rows per group.
            Some(n) => {
                let by_count = OrderOptions {
                    sort: SortOrder::Count,
                    top: None,
                    top_per: None,
                };
                let mut per = PerGroup::new(n, GroupPrefix::FIRST);
                let mut kept = Vec::new();
                spilled.for_each(checked(RowsOrder::new(by_count, J::count)), |k, s| {
                    if per.admit(k) {
                        kept.push((Box::<[u8]>::from(k), s.clone()));
                    }
                    Ok(())
                })?;
                let rows = crate::order::arrange_groups(
                    kept,
                    J::count,
                    GroupPrefix::FIRST,
                    (&config.emit).into(),
                );
                job.write_rows(meta, Rows::Memory(rows), shown.emit, out)?
            }
            None => {
                let order = checked(RowsOrder::new(&config.emit, J::count));
                job.write_rows(meta, Rows::Spilled(spilled, order), shown.emit, out)?
            }
        },
        (mode, Merged::Memory(keyed), _) => {
            format::write_partial(&config.header(), &keyed, coverage, mode, out)
                .map_err(Error::Output)?;
            ExitCode::Success.into()
        }
        (mode, Merged::Spilled(spilled, meta), _) => {
            let rows = Rows::Spilled(spilled, checked(RowsOrder::by_key(J::count)));
            format::write_partial_rows(&config.header(), &meta, rows, coverage, mode, out)?;
            ExitCode::Success.into()
        }
    };
    if untimed > 0 && config.emit_mode == EmitMode::Final {
        outcome.warnings.push(format!(
            "{untimed} record{} without a timestamp left out (bad records: no timestamp{}); {}",
            if untimed == 1 { "" } else { "s" },
            match config.time.as_ref().and_then(|t| t.format.as_deref()) {
                Some(f) => format!(" matching --time-format '{f}'"),
                None => " of a known format; see --time-format".into(),
            },
            crate::jobs::bad_records::where_listed(config.rejects_path()),
        ));
    }
    Ok(outcome)
}
