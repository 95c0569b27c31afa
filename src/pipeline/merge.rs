//! `merge` and `reduce`: partial files (or bare `KEY<TAB>STATE` lines) read, their coverage
//! checked (overlaps refused, `--complete`), merged, and the result emitted as a run's is.

use super::*;
use crate::jobs::timed::RunParams;
use crate::partial::coverage;

/// `merge` (partial files, headers checked) and `reduce` (bare `KEY<TAB>STATE` lines): read and
/// merge every input; a table too big for `--memory` spills as the map's tables do.
pub(super) fn merge_partials<J: Job>(
    config: &Config,
    job: &J,
    out: &mut dyn Write,
) -> Result<Outcome> {
    let needs_header = config.action == Action::Merge;
    let spiller = keyed_spiller::<J>(config);
    let (mut keyed, covered, header) = read_partials(config, needs_header, spiller.as_ref())?;
    // The merged partial dates year-less timestamps as every merged partial did.
    let union = header.time.map(|t| with_time(config, t));
    let config = union.as_ref().unwrap_or(config);
    if let Some(e) = spiller.as_ref().and_then(TableSpiller::take_error) {
        return Err(e);
    }
    keyed.check_meta_counts()?;
    if !coverage::holds_meta(config.partition) {
        // A key partition without the job-wide facts: it says nothing of the records read
        // (the partition of `#meta` does), so its partial has no `#meta` line.
        keyed.meta.records = RecordsRead::unknown();
    }
    let merged = match spiller.filter(|s| s.must_spill_result(&keyed)) {
        Some(s) => Merged::Spilled(s.into_spilled(&mut keyed)?, keyed.meta),
        None => {
            keyed.check_counts()?;
            Merged::Memory(keyed)
        }
    };
    let shown = Shown {
        inputs: None,
        this_run: false,
        emit: config.emit.clone(),
    };
    emit_result(
        config,
        job,
        merged,
        shown,
        true,
        covered.as_ref(),
        ExitCode::Success,
        out,
    )
}

/// Reads and merges the partial inputs of `merge` and `reduce` as partials of the config's job.
/// With `needs_header` (merge), each input must be a partial file with a matching header. With
/// `spiller`, the table is spilled whenever it could pass `--memory`. Counts are not checked
/// here (see [`Keyed::check_counts`]). With `needs_header`, the partials' coverage is checked
/// (see [`check_coverage`]) and their union returned, with the header of the result: the
/// config's, dating year-less timestamps as every input did ([`TimeParams::mtime`]).
fn read_partials<S: crate::aggregate::State>(
    config: &Config,
    needs_header: bool,
    spiller: Option<&TableSpiller<Keyed<S>, S>>,
) -> Result<(Keyed<S>, Option<Coverage>, RunParams)> {
    let mut expected = config.header();
    let mut keyed = Keyed::default();
    let mut counted = 0;
    let mut keep_within = |k: &mut Keyed<S>| -> Result<()> {
        let Some(s) = spiller else { return Ok(()) };
        // Room for the next records' keys, as the map makes room before a chunk.
        s.account(k, &mut counted);
        s.make_room(k, &mut counted, 2 * format::RECORDS_PER_HOOK);
        s.take_error().map_or(Ok(()), Err)
    };
    let mut found: Vec<(String, Option<Coverage>)> = Vec::new();
    for spec in &config.inputs {
        let (name, mut reader) = input::open_lines(spec, config.limits)?;
        let mut sections = Vec::new();
        let header: Option<RunParams> = format::read_partial_with(
            &name,
            &mut *reader,
            Some(&expected),
            &mut keyed,
            &mut sections,
            config.partition,
            &mut keep_within,
        )?;
        if let (Some(t), Some(found)) = (
            expected.time.as_mut(),
            header.as_ref().and_then(|h| h.time.as_ref()),
        ) {
            t.mtime.extend(found.mtime.clone());
        }
        let several = sections.len() > 1;
        for (k, c) in sections.into_iter().enumerate() {
            let label = match several {
                true => format!("{} (partial {})", name.display(), k + 1),
                false => name.display().to_string(),
            };
            found.push((label, c));
        }
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
    if !needs_header {
        // Bare lines (a reducer's input) may carry the `#coverage` lines of the partials they
        // were shuffled from (the Spark driver's exact mode): checked for overlap and passed
        // on, so the final merge can check the whole.
        if found.iter().all(|(_, c)| c.is_none()) {
            return Ok((keyed, None, expected));
        }
        found.retain(|(_, c)| c.is_some());
        for (k, (name, _)) in found.iter_mut().enumerate() {
            *name = format!("{name} (coverage line {})", k + 1);
        }
    }
    let covered = check_coverage(config, found)?;
    Ok((keyed, covered, expected))
}

/// The checks of `merge` on its partials' coverage: no two partials count the same bytes
/// (unless `--allow-overlap`), and with `--complete` nothing is missing (each missing piece is
/// listed on stderr as a `missing:` line first). Returns the union, or `None` when a partial
/// has no coverage (it was written by an older logmill: warned about, refused by
/// `--complete`).
fn check_coverage(
    config: &Config,
    found: Vec<(String, Option<Coverage>)>,
) -> Result<Option<Coverage>> {
    let mut named = Vec::with_capacity(found.len());
    let mut unknown = Vec::new();
    for (name, c) in found {
        match c {
            Some(coverage) => named.push(coverage::Named { name, coverage }),
            None => unknown.push(name),
        }
    }
    for name in &unknown {
        diag::warning(format_args!(
            "{name}: this partial does not record what it covers (written by an older \
             logmill, or made of `map` lines); it cannot be checked for double counting or \
             completeness"
        ));
    }
    if !config.checks.allow_overlap {
        if let Some(why) = coverage::first_overlap(&named) {
            return Err(Error::Coverage(why));
        }
    }
    if config.checks.complete && !unknown.is_empty() {
        return Err(Error::Coverage(format!(
            "--complete: {} does not record what it covers, so the merge cannot be shown \
             complete",
            unknown[0]
        )));
    }
    let mut union = Coverage::default();
    for n in named {
        union.union(n.coverage);
    }
    if let Some((p, count)) = config.partition {
        union = union.for_keys(p, count).map_err(Error::Coverage)?;
    }
    if config.checks.complete {
        let (missing, unchecked) = coverage::missing(&union);
        for name in unchecked {
            diag::warning(format_args!(
                "{name}: has no size (stdin or a pipe); its coverage cannot be checked"
            ));
        }
        if !missing.is_empty() {
            let mut err = std::io::stderr().lock();
            for line in &missing {
                let _ = writeln!(err, "{line}");
            }
            return Err(Error::Coverage(format!(
                "--complete: the partials do not cover their inputs whole: {} piece(s) \
                 missing (listed above as 'missing:' lines; rerun those and merge again)",
                missing.len()
            )));
        }
    }
    Ok(unknown.is_empty().then_some(union))
}
