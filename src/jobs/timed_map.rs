//! The map of a timed run ([`TimedMapper`]): a chunk is cut into its units (lines; records
//! under `--records`/`--record-start`, dated by their first line; JSON lines or CSV records
//! under `--time-field`, dated by that field), each unit's timestamp decides its fate, and runs
//! of consecutive units of the same bucket go to the job's own mapper as one piece.
//!
//! A unit without a timestamp is a bad record: counted ([`TimedPartial::no_time`]) and, with
//! `--rejects` or `--strict`, listed in the job's own spool when it has one (`match`,
//! `fields`), else in the timed run's own ([`super::bad_records`]). Line numbers: the job's
//! mapper counts the lines of the pieces it maps; the lines between them (units outside the
//! window or without a timestamp) are counted here as pieces of their own, so every line of
//! the chunk is counted once.

use memchr::memchr;

use super::bad_records::{BadRecords, ChunkRejects, Listed};
use super::timed::{TimedMapper, TimedPartial};
use super::timed_field::{csv_column, json_value, value_stamp, TimeField};
use super::timed_sorted::{self, Track};
use super::{Chunk, Mapper};
use crate::chunk::{lines, records, Framing};
use crate::timestamp::{Bucketer, Resolver, Stamp, StampMemo};
use jiff::Timestamp;

/// Where a unit goes.
#[derive(Clone, Copy)]
enum Fate {
    /// Mapped into this bucket.
    Bucket(i64),
    /// Outside `--since`/`--until`: left out.
    Outside,
    /// No timestamp: a bad record.
    NoTime,
    /// Not a record (a blank JSON line, a CSV header), or not a candidate of the job: left
    /// to no one.
    Skip,
}

/// Cuts one chunk into pieces by fate.
struct Cutter<'c, 'b> {
    chunk: Chunk<'c>,
    /// The open run of units of one bucket: `(bucket, start, lines of the chunk before it)`.
    run: Option<(i64, usize, u64)>,
    /// Whether units' lines are counted: for bad records' line numbers, or for a job that
    /// places its pieces in their chunk (`--example`).
    count_lines: bool,
    /// Where bad records are listed, and whether the job's mapper counts its pieces' lines
    /// itself (else this chunk's lines are counted here, whole).
    bad: Option<(&'b BadRecords, bool)>,
    buffer: ChunkRejects,
    /// With a job that counts its pieces' lines: the open piece of units it does not see,
    /// `(start, lines)`.
    gap: Option<(usize, u64)>,
    /// Lines of the chunk before the current unit.
    lines: u64,
    escaped: Vec<u8>,
}

impl<'c> Cutter<'c, '_> {
    fn piece(&self, start: usize, end: usize) -> Chunk<'c> {
        Chunk {
            offset: self.chunk.offset + start as u64,
            data: &self.chunk.data[start..end],
            ..self.chunk
        }
    }

    /// Ends the open run at `end`: its bytes go to the job's mapper.
    fn flush<M: Mapper>(&mut self, inner: &M, end: usize, partial: &mut TimedPartial<M::Partial>) {
        if let Some((bucket, start, lines)) = self.run.take() {
            let piece = Chunk {
                lines_before: self.chunk.lines_before + lines,
                ..self.piece(start, end)
            };
            inner.map_piece(piece, partial.buckets.entry(bucket).or_default());
        }
    }

    /// Ends the open piece of unseen units at `end`.
    fn close_gap(&mut self, end: usize, listed: &mut Listed) {
        if let (Some((start, lines)), Some((bad, _))) = (self.gap.take(), self.bad) {
            let piece = self.piece(start, end);
            bad.chunk_done(piece, lines, &mut self.buffer, listed);
        }
    }

    /// One unit `start..end` of `lines` lines (its text for a rejects file is `text`,
    /// `escape` when its line ends must be escaped).
    #[allow(clippy::too_many_arguments)]
    fn unit<M: Mapper>(
        &mut self,
        inner: &M,
        start: usize,
        end: usize,
        fate: Fate,
        text: &[u8],
        escape: bool,
        partial: &mut TimedPartial<M::Partial>,
    ) -> bool {
        let counted = self.bad.map(|b| b.1);
        let lines = match self.count_lines {
            true => line_count(&self.chunk.data[start..end]),
            false => 0,
        };
        let mut stop = false;
        match fate {
            Fate::Bucket(b) if self.run.is_some_and(|(r, _, _)| r == b) => {}
            Fate::Bucket(b) => {
                self.flush(inner, start, partial);
                self.close_gap(start, &mut partial.listed);
                self.run = Some((b, start, self.lines));
            }
            other => {
                self.flush(inner, start, partial);
                let in_gap = match (counted, &mut self.gap) {
                    (Some(true), Some((_, n))) => *n,
                    (Some(true), gap @ None) => {
                        *gap = Some((start, 0));
                        0
                    }
                    _ => self.lines,
                };
                if let Fate::NoTime = other {
                    partial.no_time += 1;
                    if let Some((bad, job_counts)) = self.bad {
                        // The record's place: in the open gap's piece, or in the chunk.
                        let (chunk, at) = match (job_counts, self.gap) {
                            (true, Some((g, _))) => (self.piece(g, end), start - g),
                            _ => (self.chunk, start),
                        };
                        let text = match escape {
                            true => {
                                self.escaped.clear();
                                super::search::escape_line_ends(
                                    records::trim_end(text),
                                    &mut self.escaped,
                                );
                                &self.escaped[..]
                            }
                            false => text,
                        };
                        stop = bad.reject(
                            chunk,
                            at,
                            in_gap,
                            text,
                            || "no timestamp".into(),
                            &mut self.buffer,
                            &mut partial.listed,
                        );
                    }
                }
                if let Some((_, n)) = &mut self.gap {
                    *n += lines;
                }
            }
        }
        self.lines += lines;
        stop
    }

    fn finish<M: Mapper>(mut self, inner: &M, partial: &mut TimedPartial<M::Partial>) {
        let end = self.chunk.data.len();
        self.flush(inner, end, partial);
        self.close_gap(end, &mut partial.listed);
        if let Some((bad, false)) = self.bad {
            bad.chunk_done(
                self.chunk,
                self.lines,
                &mut self.buffer,
                &mut partial.listed,
            );
        }
    }
}

/// Lines in `bytes` (a last line without its newline counts).
fn line_count(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
        + u64::from(bytes.last().is_some_and(|&b| b != b'\n'))
}

/// Without its line end.
fn trim_line(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

impl<M: Mapper> Mapper for TimedMapper<'_, M> {
    type Partial = TimedPartial<M::Partial>;

    fn framing(&self) -> Framing {
        self.inner.framing()
    }

    fn wants_sample(&self) -> bool {
        self.run.format.is_none()
    }

    fn begin(&self, inputs: &[crate::input::InputSpec]) {
        self.inner.begin(inputs);
        self.begin_years(inputs);
    }

    fn map(&self, chunk: Chunk<'_>, partial: &mut Self::Partial) {
        let bad = self.bad().filter(|b| b.listed());
        if bad.is_some_and(|b| b.past_first_bad(chunk.input, chunk.offset)) {
            return;
        }
        let detected = match (&self.run.format, &self.run.field) {
            (None, None) => self.detected(&chunk),
            _ => None,
        };
        let mut resolver = Resolver::new(self.run.zone.tz().clone(), self.year_rule(chunk.input));
        let mut bucketer = self.run.bucketer();
        let mut track = self
            .run
            .sorted
            .as_ref()
            .map(|(_, d)| Track::new(*d, chunk.input, chunk.offset, chunk.data.len()));
        let run = self.run;
        // The last stamp and its instant: consecutive records mostly share their second.
        let mut last: Option<(Stamp, Option<Timestamp>)> = None;
        let mut fate = |stamp: Option<Stamp>, at: usize| -> Fate {
            let ts = stamp.and_then(|s| match last {
                Some((l, ts)) if l == s => ts,
                _ => {
                    let ts = resolver.instant(s);
                    last = Some((s, ts));
                    ts
                }
            });
            if let Some(t) = track.as_mut() {
                t.line(ts, at);
            }
            time_fate(ts, run.since, run.until, bucketer.as_mut())
        };
        let mut memo = StampMemo::default();
        let mut find = |line: &[u8]| match (&run.format, &detected) {
            (Some(f), _) => f.find(line),
            (None, Some(d)) => d.find_memo(line, &mut memo),
            (None, None) => None,
        };
        if self.inner.sees_chunks() {
            self.inner
                .see_chunk(chunk, partial.seen.get_or_insert_with(Default::default));
        }
        let mut cut = Cutter {
            chunk,
            run: None,
            count_lines: bad.is_some() || self.inner.sees_chunks(),
            bad: bad.map(|b| (b, self.job_lists())),
            buffer: ChunkRejects::default(),
            gap: None,
            lines: 0,
            escaped: Vec::new(),
        };
        let data = chunk.data;
        let inner = &self.inner;
        // Only the units that can matter to the job are dated, when it can tell which
        // (`grep`), and only they go to its mapper: the units between them add nothing to
        // its partial, and mapping them would search them twice. Every unit is dated when the
        // order is checked or the time is a field.
        let mut starts = Vec::new();
        let sparse = run.sorted.is_none()
            && run.field.is_none()
            && inner.candidates(chunk, &mut |start| starts.push(start));
        if sparse {
            let framing = inner.framing();
            let mut at = 0;
            for start in starts {
                if at < start {
                    cut.unit(inner, at, start, Fate::Skip, &[], false, partial);
                }
                let rest = &data[start..];
                let (end, escape) = match framing {
                    Framing::Records(rule) => (
                        rule.records(rest).next().map_or(rest.len(), |r| r.end),
                        true,
                    ),
                    _ => (memchr(b'\n', rest).map_or(rest.len(), |i| i + 1), false),
                };
                let unit = &rest[..end];
                let f = fate(find(records::first_line(unit)), start);
                let text = match escape {
                    true => unit,
                    false => trim_line(unit),
                };
                if cut.unit(inner, start, start + end, f, text, escape, partial) {
                    at = data.len();
                    break;
                }
                at = start + end;
            }
            if at < data.len() {
                cut.unit(inner, at, data.len(), Fate::Skip, &[], false, partial);
            }
            cut.finish(inner, partial);
            if resolver.year_used() {
                self.year_used(chunk.input);
            }
            return;
        }
        match (run.field.as_deref(), self.inner.framing()) {
            (Some(TimeField::Json(parser)), _) => {
                let mut scratch = Vec::new();
                let mut pos = 0;
                while pos < data.len() {
                    let end = memchr(b'\n', &data[pos..]).map_or(data.len(), |i| pos + i + 1);
                    let line = trim_line(&data[pos..end]);
                    let f = match line.trim_ascii().is_empty() {
                        true => Fate::Skip,
                        false => {
                            let stamp = json_value(parser, line, &mut scratch)
                                .and_then(|v| value_stamp(v, run.format.as_ref()));
                            fate(stamp, pos)
                        }
                    };
                    if cut.unit(inner, pos, end, f, line, false, partial) {
                        break;
                    }
                    pos = end;
                }
            }
            (
                Some(TimeField::Csv {
                    delimiter,
                    headers,
                    locator,
                }),
                _,
            ) => {
                let header = match headers {
                    true => crate::jobs::fields::record::csv::header(*delimiter, chunk.head),
                    false => None,
                };
                let column = match csv_column(locator, header.as_ref()) {
                    Ok(c) => c,
                    Err(e) => {
                        partial
                            .listed
                            .error(chunk.input, format!("--time-field: {e}"));
                        return;
                    }
                };
                let mut reader = crate::jobs::fields::record::csv::reader(*delimiter, data);
                let mut rec = csv::ByteRecord::new();
                let mut pos = 0;
                while let Ok(true) = reader.read_byte_record(&mut rec) {
                    let end = (reader.position().byte() as usize).min(data.len());
                    let is_header =
                        *headers && chunk.offset + (pos as u64) < chunk.head.len() as u64;
                    let f = match is_header {
                        true => Fate::Skip,
                        false => {
                            let stamp = rec
                                .get(column)
                                .and_then(|v| value_stamp(v, run.format.as_ref()));
                            fate(stamp, pos)
                        }
                    };
                    let text = trim_line(&data[pos..end]);
                    if cut.unit(inner, pos, end, f, text, false, partial) {
                        break;
                    }
                    pos = end;
                }
            }
            (None, Framing::Records(rule)) => {
                for r in rule.records(data) {
                    let record = &data[r.clone()];
                    let f = fate(find(records::first_line(record)), r.start);
                    if cut.unit(inner, r.start, r.end, f, record, true, partial) {
                        break;
                    }
                }
            }
            (None, _) => {
                for l in lines::lines(data) {
                    let line = trim_line(&data[l.clone()]);
                    let f = fate(find(line), l.start);
                    if cut.unit(inner, l.start, l.end, f, line, false, partial) {
                        break;
                    }
                }
            }
        }
        cut.finish(inner, partial);
        if let Some(t) = track {
            partial.order.push(t.finish());
        }
        if resolver.year_used() {
            self.year_used(chunk.input);
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
        let mut resolver = Resolver::new(self.run.zone.tz().clone(), self.year_rule(c0.input));
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

/// The fate of a unit at instant `ts` (None: it has no timestamp).
fn time_fate(
    ts: Option<Timestamp>,
    since: Option<Timestamp>,
    until: Option<Timestamp>,
    bucketer: Option<&mut Bucketer>,
) -> Fate {
    let Some(ts) = ts else {
        return Fate::NoTime;
    };
    if since.is_some_and(|s| ts < s) || until.is_some_and(|u| ts >= u) {
        return Fate::Outside;
    }
    Fate::Bucket(bucketer.map_or(0, |b| b.bucket(ts)))
}
