//! Time as a dimension of every job (`--per`, `--since`, `--until`), without a job knowing:
//! [`TimedMapper`] wraps a job's mapper. It finds each line's timestamp, leaves out the lines
//! outside the window, and cuts the chunk into runs of consecutive lines of the same bucket,
//! each mapped by the job's own mapper into that bucket's partial ([`TimedPartial`]: bucket
//! start -> the job's partial). [`export_timed`] exports each bucket's partial with the job's
//! own export and puts the bucket in front of every key ([`bucket_key`]: 8 bytes whose order
//! is time order), so partials, merge, shards, `--state` and spill carry buckets as any other
//! key; [`super::timed_emit`] turns the prefix back into a `time` column.
//!
//! [`TimeParams`] is what a run resolved (zone, year rule, window): it goes into a partial's
//! header next to the job's parameters ([`RunParams`]), so partials that disagree do not merge.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use super::args::{TimeArgs, TimeMode};
use super::bad_records::{BadRecords, Listed};
use super::timed_field::TimeField;
use super::timed_sorted::{self, ChunkOrder};
use super::{Chunk, InputList, Job, JobParams, Keyed, Mapper, RejectArgs};
use crate::aggregate::Merge;
use crate::error::{Error, Result};
use crate::timestamp::{
    detect, parse_time_arg, resolve_zone, Bucketer, CustomFormat, Detected, Per, TimeError,
    YearRule, Zone,
};

/// Bytes of the bucket in front of every key under `--per`.
pub const BUCKET_KEY_LEN: usize = 8;

/// The key prefix of a bucket start (seconds since the epoch): big-endian with the sign bit
/// flipped, so byte order is time order.
pub fn bucket_key(start: i64) -> [u8; BUCKET_KEY_LEN] {
    ((start as u64) ^ (1 << 63)).to_be_bytes()
}

/// The bucket start of a key made with [`bucket_key`] (None when the key is too short).
pub fn key_bucket(key: &[u8]) -> Option<i64> {
    let b: [u8; BUCKET_KEY_LEN] = key.get(..BUCKET_KEY_LEN)?.try_into().ok()?;
    Some((u64::from_be_bytes(b) ^ (1 << 63)) as i64)
}

/// What a run's time options resolved to: written in partial headers, compared on merge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeParams {
    /// `--per`, as `1h`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per: Option<String>,
    /// `--time-format`; None is `--time auto`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// `--time-field`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The zone resolved (`--tz`, else the local zone), as [`Zone::id`].
    pub zone: String,
    /// The year of year-less timestamps: `--year`, else the year of "now".
    pub year: i16,
    /// Without `--year`: the month of "now"; lines of a later month are from the year before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub month: Option<u8>,
    /// Without `--year`: by input name, the year and month of the modification time that
    /// dated the input's year-less timestamps (only inputs where one was read; inputs
    /// without a usable modification time, such as stdin, are dated by `year`/`month`).
    /// Filled in after the map ([`TimedMapper::resolved_years`]). Partials agree when the
    /// inputs they share were dated alike; a merge carries the union.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub mtime: BTreeMap<String, (i16, u8)>,
    /// `--since` resolved, RFC 3339 in UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// `--until` resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
}

fn time_err(flag: &'static str, value: &str, e: TimeError) -> Error {
    Error::InvalidArgument {
        flag,
        value: value.into(),
        reason: e.to_string(),
    }
}

impl TimeParams {
    /// Resolves the time flags; None when the run does not look at time (no `--per`,
    /// `--since`, `--until`, `--time` or `--time-format`). `now` is the clock unless `--now`.
    pub fn from_args(a: &TimeArgs, now: Timestamp) -> Result<Option<TimeParams>> {
        let used = a.per.is_some()
            || a.since.is_some()
            || a.until.is_some()
            || a.time == Some(TimeMode::Auto)
            || a.time_format.is_some()
            || a.time_field.is_some()
            || a.sorted.is_some();
        if !used {
            return Ok(None);
        }
        let zone = resolve_zone(a.tz.as_deref())
            .map_err(|e| time_err("--tz", a.tz.as_deref().unwrap_or(""), e))?;
        let now = match &a.now {
            Some(s) => parse_time_arg(s, now, zone.tz()).map_err(|e| time_err("--now", s, e))?,
            None => now,
        };
        let per = match &a.per {
            Some(s) => Some(
                s.parse::<Per>()
                    .map_err(|e| time_err("--per", s, e))?
                    .to_string(),
            ),
            None => None,
        };
        if let Some(f) = &a.time_format {
            CustomFormat::new(f).map_err(|e| time_err("--time-format", f, e))?;
        }
        let at = |flag: &'static str, v: &Option<String>| -> Result<Option<String>> {
            v.as_deref()
                .map(|s| {
                    parse_time_arg(s, now, zone.tz())
                        .map(|t| t.to_string())
                        .map_err(|e| time_err(flag, s, e))
                })
                .transpose()
        };
        let (year, month) = match a.year {
            Some(y) => (y, None),
            None => match YearRule::from_reference(now, zone.tz()) {
                YearRule::Reference { year, month } => (year, Some(month)),
                YearRule::Fixed(y) => (y, None),
            },
        };
        Ok(Some(TimeParams {
            per,
            format: a.time_format.clone(),
            field: a.time_field.clone(),
            zone: zone.id().to_string(),
            year,
            month,
            mtime: BTreeMap::new(),
            since: at("--since", &a.since)?,
            until: at("--until", &a.until)?,
        }))
    }
}

/// The header of a partial: the job's parameters and, when the run looked at time, its
/// [`TimeParams`] (as `"time"` next to `"job"` and `"params"`; absent otherwise, so partials
/// of runs without time options are as before).
#[derive(Debug, Clone, PartialEq)]
pub struct RunParams {
    /// The job.
    pub job: JobParams,
    /// The time options.
    pub time: Option<TimeParams>,
    /// `--example` / `--example-text` (as `"example"`; absent otherwise).
    pub example: Option<super::example::ExampleMode>,
}

impl Serialize for RunParams {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::Error as _;
        let mut v = serde_json::to_value(&self.job).map_err(S::Error::custom)?;
        if let (Some(t), Some(map)) = (&self.time, v.as_object_mut()) {
            map.insert(
                "time".into(),
                serde_json::to_value(t).map_err(S::Error::custom)?,
            );
        }
        if let (Some(e), Some(map)) = (&self.example, v.as_object_mut()) {
            map.insert(
                "example".into(),
                serde_json::to_value(e).map_err(S::Error::custom)?,
            );
        }
        v.serialize(s)
    }
}

impl<'de> Deserialize<'de> for RunParams {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        use serde::de::Error as _;
        let mut v = serde_json::Value::deserialize(d)?;
        let time = match v.as_object_mut().and_then(|m| m.remove("time")) {
            Some(t) => Some(serde_json::from_value(t).map_err(D::Error::custom)?),
            None => None,
        };
        let example = match v.as_object_mut().and_then(|m| m.remove("example")) {
            Some(e) => Some(serde_json::from_value(e).map_err(D::Error::custom)?),
            None => None,
        };
        let job = serde_json::from_value(v).map_err(D::Error::custom)?;
        Ok(RunParams { job, time, example })
    }
}

impl crate::partial::format::Header for RunParams {
    fn name(&self) -> &'static str {
        self.job.name()
    }

    fn upgrade_v1_key(&self, key: &mut Vec<u8>) {
        self.job.upgrade_v1_key(key);
    }

    fn mismatch(&self, a: &str, other: &Self, b: &str) -> Option<String> {
        if self.job != other.job {
            return self.job.mismatch(a, &other.job, b);
        }
        if self.example != other.example {
            let show = |e: &Option<super::example::ExampleMode>| match e {
                None => "none",
                Some(super::example::ExampleMode::Place) => "--example",
                Some(super::example::ExampleMode::Text) => "--example-text",
            };
            return Some(format!(
                "cannot merge '{}' partials made with different examples: {} in {a} but {} in {b}",
                self.name(),
                show(&self.example),
                show(&other.example)
            ));
        }
        let rules_only = |t: &Option<TimeParams>| {
            t.clone().map(|mut t| {
                t.mtime.clear();
                t
            })
        };
        if rules_only(&self.time) == rules_only(&other.time) {
            let (Some(x), Some(y)) = (&self.time, &other.time) else {
                return None;
            };
            let differ = x
                .mtime
                .iter()
                .find(|(input, ym)| y.mtime.get(*input).is_some_and(|o| o != *ym))?;
            let other_ym = y.mtime[differ.0];
            return Some(format!(
                "cannot merge '{}' partials that dated the year-less timestamps of {} \
                 differently: from its modification time in {}-{:02} in {a} but {}-{:02} in \
                 {b} (give --year to date them alike)",
                self.name(),
                differ.0,
                differ.1 .0,
                differ.1 .1,
                other_ym.0,
                other_ym.1
            ));
        }
        let show = |t: &Option<TimeParams>| {
            t.as_ref().map_or_else(
                || "none".to_string(),
                |t| serde_json::to_string(t).unwrap_or_default(),
            )
        };
        Some(format!(
            "cannot merge '{}' partials made with different time options: {} in {a} but {} in {b}",
            self.name(),
            show(&self.time),
            show(&other.time)
        ))
    }
}

/// [`TimeParams`] made runnable.
#[derive(Debug, Clone)]
pub struct TimeRun {
    /// What was resolved.
    pub params: TimeParams,
    pub(super) zone: Zone,
    pub(super) years: YearRule,
    pub(super) format: Option<CustomFormat>,
    per: Option<Per>,
    pub(super) since: Option<Timestamp>,
    pub(super) until: Option<Timestamp>,
    /// `--sorted`: as given, and as a duration.
    pub(super) sorted: Option<(String, SignedDuration)>,
    /// `--time-field` of `fields --format jsonl|csv`.
    pub(super) field: Option<Arc<TimeField>>,
}

/// Parses `--sorted SLACK` (a duration as `--per` takes it).
pub fn parse_slack(s: &str) -> Result<SignedDuration> {
    let per: Per = s.parse().map_err(|e| time_err("--sorted", s, e))?;
    Ok(SignedDuration::from_secs(per.seconds()))
}

impl TimeRun {
    /// With the time field of `job` (`--time-field` of `fields --format jsonl|csv`).
    pub fn field(mut self, job: &JobParams) -> Result<TimeRun> {
        self.field = match (&self.params.field, job) {
            (Some(f), JobParams::Fields(p)) => TimeField::of(p, f)?.map(Arc::new),
            _ => None,
        };
        Ok(self)
    }

    /// With `--sorted SLACK`.
    pub fn sorted(mut self, slack: Option<&str>) -> Result<TimeRun> {
        self.sorted = slack
            .map(|s| parse_slack(s).map(|d| (s.to_string(), d)))
            .transpose()?;
        Ok(self)
    }

    /// Builds the run from resolved parameters (from this run's flags or a partial's header).
    pub fn new(p: &TimeParams) -> Result<TimeRun> {
        let bad = |flag: &'static str, v: &str, e: TimeError| time_err(flag, v, e);
        let zone = resolve_zone(Some(&p.zone)).map_err(|e| bad("--tz", &p.zone, e))?;
        let instant = |flag: &'static str, v: &Option<String>| -> Result<Option<Timestamp>> {
            v.as_deref()
                .map(|s| {
                    s.parse::<Timestamp>()
                        .map_err(|_| bad(flag, s, TimeError::BadTime { value: s.into() }))
                })
                .transpose()
        };
        Ok(TimeRun {
            zone,
            years: match p.month {
                Some(month) => YearRule::Reference {
                    year: p.year,
                    month,
                },
                None => YearRule::Fixed(p.year),
            },
            format: p
                .format
                .as_deref()
                .map(|f| CustomFormat::new(f).map_err(|e| bad("--time-format", f, e)))
                .transpose()?,
            per: p
                .per
                .as_deref()
                .map(|s| s.parse::<Per>().map_err(|e| bad("--per", s, e)))
                .transpose()?,
            since: instant("--since", &p.since)?,
            until: instant("--until", &p.until)?,
            sorted: None,
            field: None,
            params: p.clone(),
        })
    }

    /// The buckets, with `--per`.
    pub fn bucketer(&self) -> Option<Bucketer> {
        self.per.map(|p| Bucketer::new(p, self.zone.tz().clone()))
    }

    /// Whether keys carry a bucket.
    pub fn per(&self) -> bool {
        self.per.is_some()
    }

    /// The zone of labels.
    pub fn zone(&self) -> &Zone {
        &self.zone
    }
}

/// A job's partial per bucket, and the lines that had no timestamp.
#[derive(Debug)]
pub struct TimedPartial<P> {
    /// Bucket start (0 for every line without `--per`) -> the job's partial.
    pub buckets: BTreeMap<i64, P>,
    /// Lines without a timestamp.
    pub no_time: u64,
    /// Under `--sorted`: each mapped chunk's order summary.
    pub order: Vec<ChunkOrder>,
    /// Where the records without a timestamp were, and the lines between the pieces the job
    /// mapped (with `--rejects`, `--strict`).
    pub listed: Listed,
    /// What the job's mapper saw of whole chunks ([`Mapper::see_chunk`]), when it asks.
    pub seen: Option<P>,
}

impl<P> Default for TimedPartial<P> {
    fn default() -> Self {
        TimedPartial {
            buckets: BTreeMap::new(),
            no_time: 0,
            order: Vec::new(),
            listed: Listed::default(),
            seen: None,
        }
    }
}

impl<P: Merge> Merge for TimedPartial<P> {
    fn merge(&mut self, other: Self) {
        for (b, p) in other.buckets {
            match self.buckets.entry(b) {
                std::collections::btree_map::Entry::Occupied(mut e) => e.get_mut().merge(p),
                std::collections::btree_map::Entry::Vacant(e) => {
                    e.insert(p);
                }
            }
        }
        self.no_time.merge(other.no_time);
        self.order.extend(other.order);
        self.listed.merge(other.listed);
        self.seen.merge(other.seen);
    }

    fn saturated(&self) -> bool {
        self.no_time.saturated() || self.buckets.values().any(Merge::saturated)
    }
}

/// A job's mapper behind the time options.
pub struct TimedMapper<'t, M> {
    /// The job's mapper.
    pub inner: M,
    pub(super) run: &'t TimeRun,
    /// The format detected per input (by index), decided from the input's first lines.
    detected: Mutex<BTreeMap<usize, Option<Detected>>>,
    /// Per input (by index), how its year-less timestamps are dated ([`Mapper::begin`]).
    years: Mutex<Vec<InputYears>>,
    /// Where the job's mapper lists bad records (`match`, `fields`), if it does.
    job_bad: BadRecordsOf<M>,
    /// Where bad records go when the job lists none itself (`--rejects`, `--strict` of
    /// `words`, `grep`, `lines`).
    own_bad: Option<BadRecords>,
}

/// The spool of a job's mapper ([`Job::bad_records`]).
type BadRecordsOf<M> = for<'a> fn(&'a M) -> Option<&'a BadRecords>;

/// The timed mapper of `job` in `run`, its bad records (records without a timestamp among
/// them) going where `bad` says: the job's own spool when it has one.
pub fn timed_mapper<'j, 't, J: Job>(
    job: &'j J,
    run: &'t TimeRun,
    bad: &RejectArgs,
) -> Result<TimedMapper<'t, J::Mapper<'j>>> {
    let inner = job.mapper()?;
    let own_bad = match J::bad_records(&inner) {
        None if bad.rejects.is_some() || bad.strict => {
            Some(BadRecords::new(bad.rejects.as_deref(), bad.strict)?)
        }
        _ => None,
    };
    let mut m = TimedMapper::new(inner, run);
    m.job_bad = J::bad_records;
    m.own_bad = own_bad;
    Ok(m)
}

/// How one input's year-less timestamps are dated.
#[derive(Debug, Clone)]
struct InputYears {
    name: String,
    rule: YearRule,
    /// The rule comes from the input's modification time (not `--year` nor "now").
    from_mtime: bool,
    /// A year-less timestamp of the input was dated by it.
    used: bool,
}

/// The year rule of an input without `--year`: from its modification time when it is a
/// regular file (a `.gz` file's own), else (stdin, a pipe) `now`, the rule of "now".
fn input_years(spec: &crate::input::InputSpec, now: YearRule, zone: &Zone) -> InputYears {
    use crate::input::InputSpec;
    let mtime = match spec {
        InputSpec::Path(p) | InputSpec::Part { path: p, .. } => std::fs::metadata(p)
            .ok()
            .filter(std::fs::Metadata::is_file)
            .and_then(|m| m.modified().ok())
            .and_then(|t| Timestamp::try_from(t).ok()),
        InputSpec::Stdin | InputSpec::Bytes { .. } => None,
    };
    InputYears {
        name: spec.name(),
        rule: mtime.map_or(now, |t| YearRule::from_reference(t, zone.tz())),
        from_mtime: mtime.is_some(),
        used: false,
    }
}

impl<'t, M: Mapper> TimedMapper<'t, M> {
    /// Wraps `inner`.
    pub fn new(inner: M, run: &'t TimeRun) -> Self {
        TimedMapper {
            inner,
            run,
            detected: Mutex::new(BTreeMap::new()),
            years: Mutex::new(Vec::new()),
            job_bad: |_| None,
            own_bad: None,
        }
    }

    /// Where bad records go: the job's spool, else the run's own.
    pub(super) fn bad(&self) -> Option<&BadRecords> {
        (self.job_bad)(&self.inner).or(self.own_bad.as_ref())
    }

    /// Whether the job's mapper lists bad records itself (and counts the lines of the pieces
    /// it maps).
    pub(super) fn job_lists(&self) -> bool {
        (self.job_bad)(&self.inner).is_some()
    }

    /// Decides how each input's year-less timestamps are dated ([`Mapper::begin`]).
    pub(super) fn begin_years(&self, inputs: &[crate::input::InputSpec]) {
        let mut y = self.years.lock().unwrap_or_else(|p| p.into_inner());
        *y = inputs
            .iter()
            .map(|spec| match self.run.years {
                YearRule::Fixed(_) => InputYears {
                    name: spec.name(),
                    rule: self.run.years,
                    from_mtime: false,
                    used: false,
                },
                now => input_years(spec, now, &self.run.zone),
            })
            .collect();
    }

    /// The year rule of input `input` (the run's own before [`Mapper::begin`]).
    pub(super) fn year_rule(&self, input: usize) -> YearRule {
        let y = self.years.lock().unwrap_or_else(|p| p.into_inner());
        y.get(input).map_or(self.run.years, |i| i.rule)
    }

    /// Notes that input `input`'s year rule dated a timestamp.
    pub(super) fn year_used(&self, input: usize) {
        let mut y = self.years.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(i) = y.get_mut(input) {
            i.used = true;
        }
    }

    /// What the run resolved for the year-less timestamps of each input dated by its
    /// modification time: [`TimeParams::mtime`].
    pub fn resolved_years(&self) -> BTreeMap<String, (i16, u8)> {
        let y = self.years.lock().unwrap_or_else(|p| p.into_inner());
        y.iter()
            .filter(|i| i.used && i.from_mtime)
            .filter_map(|i| match i.rule {
                YearRule::Reference { year, month } => Some((i.name.clone(), (year, month))),
                YearRule::Fixed(_) => None,
            })
            .collect()
    }

    /// The run's time parameters with what the map resolved ([`TimedMapper::resolved_years`]).
    pub fn resolved_params(&self) -> TimeParams {
        let mut p = self.run.params.clone();
        p.mtime.extend(self.resolved_years());
        p
    }

    pub(super) fn detected(&self, chunk: &Chunk<'_>) -> Option<Detected> {
        let mut d = self.detected.lock().unwrap_or_else(|p| p.into_inner());
        *d.entry(chunk.input).or_insert_with(|| {
            detect(
                chunk
                    .sample
                    .split(|&b| b == b'\n')
                    .map(|l| l.strip_suffix(b"\r").unwrap_or(l)),
            )
        })
    }
}

/// The keyed table of a timed run: each bucket's partial exported by the job, keys prefixed
/// with [`bucket_key`] under `--per`; lines without a timestamp counted in the meta's bad
/// records.
pub fn export_timed<J: Job>(
    job: &J,
    mapper: &TimedMapper<'_, J::Mapper<'_>>,
    partial: TimedPartial<J::Partial>,
    inputs: &InputList,
) -> Result<Keyed<J::State>> {
    let mut out: Keyed<J::State> = Keyed::default();
    let per = mapper.run.per();
    let mut partial = partial;
    if let Some((slack, d)) = &mapper.run.sorted {
        timed_sorted::check(std::mem::take(&mut partial.order), &inputs.names, slack, *d)?;
    }
    // Every bad record of the run in one list, settled once: the job's own (in each bucket's
    // partial) and those without a timestamp.
    let mut listed = std::mem::take(&mut partial.listed);
    for p in partial.buckets.values_mut() {
        if let Some(l) = J::listed(p) {
            listed.merge(std::mem::take(l));
        }
    }
    // Only bad records to list (no bucket): a partial of nothing settles them, its rows
    // (grep's zero counts) are not a bucket's.
    let orphan = per && partial.buckets.is_empty() && J::bad_records(&mapper.inner).is_some();
    if (!per || orphan) && partial.buckets.is_empty() {
        // The job's own empty result (grep's zero counts per input).
        partial.buckets.insert(0, J::Partial::default());
    }
    match (
        &mapper.own_bad,
        partial.buckets.values_mut().next().and_then(J::listed),
    ) {
        (None, Some(first)) => *first = listed,
        (Some(own), _) => own.settle(&mut listed, &inputs.names)?,
        (None, None) => {}
    }
    for (bucket, p) in partial.buckets {
        let keyed = job.export(&mapper.inner, p, inputs)?;
        if orphan {
            out.meta.merge(keyed.meta);
            continue;
        }
        if per {
            let prefix = bucket_key(bucket);
            let mut key = Vec::new();
            for (k, s) in keyed.table.into_entries() {
                key.clear();
                key.extend_from_slice(&prefix);
                key.extend_from_slice(&k);
                out.table.entry(&key).merge(s);
            }
            out.meta.merge(keyed.meta);
        } else {
            out.merge(keyed);
        }
    }
    out.meta.untimed.merge(partial.no_time);
    if let Some(seen) = partial.seen {
        // What the mapper saw of whole chunks (line counts) is job-wide.
        out.meta
            .merge(job.export(&mapper.inner, seen, inputs)?.meta);
    }
    Ok(out)
}
