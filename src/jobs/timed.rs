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
use std::sync::Mutex;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use super::args::{TimeArgs, TimeMode};
use super::timed_sorted::{self, ChunkOrder, Track};
use super::{Chunk, InputList, Job, JobParams, Keyed, Mapper};
use crate::aggregate::Merge;
use crate::error::{Error, Result};
use crate::timestamp::{
    detect, parse_time_arg, resolve_zone, Bucketer, CustomFormat, Detected, Per, Resolver, Stamp,
    TimeError, YearRule, Zone,
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
    /// The zone resolved (`--tz`, else the local zone), as [`Zone::id`].
    pub zone: String,
    /// The year of year-less timestamps: `--year`, else the year of "now".
    pub year: i16,
    /// Without `--year`: the month of "now"; lines of a later month are from the year before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub month: Option<u8>,
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
            zone: zone.id().to_string(),
            year,
            month,
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
                "cannot merge '{}' partials made with different examples: {} in {a} but {} in                  {b}",
                self.name(),
                show(&self.example),
                show(&other.example)
            ));
        }
        if self.time == other.time {
            return None;
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
    zone: Zone,
    years: YearRule,
    format: Option<CustomFormat>,
    per: Option<Per>,
    since: Option<Timestamp>,
    until: Option<Timestamp>,
    /// `--sorted`: as given, and as a duration.
    sorted: Option<(String, SignedDuration)>,
}

/// Parses `--sorted SLACK` (a duration as `--per` takes it).
pub fn parse_slack(s: &str) -> Result<SignedDuration> {
    let per: Per = s.parse().map_err(|e| time_err("--sorted", s, e))?;
    Ok(SignedDuration::from_secs(per.seconds()))
}

impl TimeRun {
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
    /// What the job's mapper saw of whole chunks ([`Mapper::see_chunk`]), when it asks.
    pub seen: Option<P>,
}

impl<P> Default for TimedPartial<P> {
    fn default() -> Self {
        TimedPartial {
            buckets: BTreeMap::new(),
            no_time: 0,
            order: Vec::new(),
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
    run: &'t TimeRun,
    /// The format detected per input (by index), decided from the input's first lines.
    detected: Mutex<BTreeMap<usize, Option<Detected>>>,
}

impl<'t, M: Mapper> TimedMapper<'t, M> {
    /// Wraps `inner`.
    pub fn new(inner: M, run: &'t TimeRun) -> Self {
        TimedMapper {
            inner,
            run,
            detected: Mutex::new(BTreeMap::new()),
        }
    }

    fn detected(&self, chunk: &Chunk<'_>) -> Option<Detected> {
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

/// Where a line goes.
enum Fate {
    Bucket(i64),
    Outside,
    NoTime,
}

impl<M: Mapper> Mapper for TimedMapper<'_, M> {
    type Partial = TimedPartial<M::Partial>;

    fn framing(&self) -> crate::chunk::Framing {
        self.inner.framing()
    }

    fn wants_sample(&self) -> bool {
        self.run.format.is_none()
    }

    fn map(&self, chunk: Chunk<'_>, partial: &mut Self::Partial) {
        let detected = match &self.run.format {
            Some(_) => None,
            None => self.detected(&chunk),
        };
        let mut resolver = Resolver::new(self.run.zone.tz().clone(), self.run.years);
        let mut bucketer = self.run.bucketer();
        let mut track = self
            .run
            .sorted
            .as_ref()
            .map(|(_, d)| Track::new(*d, chunk.input, chunk.offset, chunk.data.len()));
        let mut fate = |line: &[u8], at: usize| -> Fate {
            let stamp: Option<Stamp> = match (&self.run.format, &detected) {
                (Some(f), _) => f.find(line),
                (None, Some(d)) => d.find(line),
                (None, None) => None,
            };
            let ts = stamp.and_then(|s| resolver.instant(s));
            if let Some(t) = track.as_mut() {
                t.line(ts, at);
            }
            let Some(ts) = ts else {
                return Fate::NoTime;
            };
            if self.run.since.is_some_and(|s| ts < s) || self.run.until.is_some_and(|u| ts >= u) {
                return Fate::Outside;
            }
            Fate::Bucket(bucketer.as_mut().map_or(0, |b| b.bucket(ts)))
        };
        let data = chunk.data;
        if self.inner.sees_chunks() {
            self.inner
                .see_chunk(chunk, partial.seen.get_or_insert_with(Default::default));
        }
        // The bucket of the open run of lines, where it starts, and the lines before it.
        let mut run: Option<(i64, usize, u64)> = None;
        let flush = |run: Option<(i64, usize, u64)>, end: usize, partial: &mut Self::Partial| {
            if let Some((bucket, start, lines)) = run {
                let piece = Chunk {
                    offset: chunk.offset + start as u64,
                    data: &data[start..end],
                    lines_before: chunk.lines_before + lines,
                    ..chunk
                };
                self.inner
                    .map_piece(piece, partial.buckets.entry(bucket).or_default());
            }
        };
        let mut pos = 0;
        let mut lines = 0u64;
        while pos < data.len() {
            let end = memchr::memchr(b'\n', &data[pos..]).map_or(data.len(), |i| pos + i + 1);
            let line = &data[pos..end];
            let line = line.strip_suffix(b"\n").unwrap_or(line);
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            match fate(line, pos) {
                Fate::Bucket(b) if run.is_some_and(|(r, _, _)| r == b) => {}
                Fate::Bucket(b) => {
                    flush(run, pos, partial);
                    run = Some((b, pos, lines));
                }
                other => {
                    flush(run.take(), pos, partial);
                    if let Fate::NoTime = other {
                        partial.no_time += 1;
                    }
                }
            }
            pos = end;
            lines += 1;
        }
        flush(run, data.len(), partial);
        if let Some(t) = track {
            partial.order.push(t.finish());
        }
    }

    fn select_chunks(&self, chunks: &[Chunk<'_>]) -> std::ops::Range<usize> {
        let all = 0..chunks.len();
        let (Some((_, slack)), Some(c0)) = (&self.run.sorted, chunks.first()) else {
            return all;
        };
        if self.run.since.is_none() && self.run.until.is_none() {
            return all;
        }
        let detected = match &self.run.format {
            Some(_) => None,
            None => self.detected(c0),
        };
        let mut resolver = Resolver::new(self.run.zone.tz().clone(), self.run.years);
        let mut first = |i: usize| -> Option<Timestamp> {
            // The first time among the chunk's first lines.
            chunks[i]
                .data
                .split(|&b| b == b'\n')
                .take(64)
                .find_map(|line| {
                    let line = line.strip_suffix(b"\r").unwrap_or(line);
                    let stamp = match (&self.run.format, &detected) {
                        (Some(f), _) => f.find(line),
                        (None, Some(d)) => d.find(line),
                        (None, None) => None,
                    };
                    stamp.and_then(|s| resolver.instant(s))
                })
        };
        timed_sorted::select(
            chunks.len(),
            &mut first,
            self.run.since,
            self.run.until,
            *slack,
        )
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
    if !per && partial.buckets.is_empty() {
        // The job's own empty result (grep's zero counts per input).
        partial.buckets.insert(0, J::Partial::default());
    }
    for (bucket, p) in partial.buckets {
        let keyed = job.export(&mapper.inner, p, inputs)?;
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
