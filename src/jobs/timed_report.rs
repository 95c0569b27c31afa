//! What an HTML report of a `--per` result shows besides its rows: the time range its buckets
//! cover and a chart of its top keys over time ([`crate::emit::html::chart`]). The top keys
//! are those of the largest count over every bucket (ties by key bytes, the order of
//! [`crate::order`]); the rest are summed as "other". The chart has at most [`MAX_BARS`] bars,
//! so its size is bounded whatever the result's.
//!
//! Built in two passes over the result's rows, whose order does not matter: the first sees the
//! buckets ([`Buckets`]: the first, the last, and up to `MAX_BARS + 1` of them) and each key's
//! total, from which a bounded top-K ([`TopKeys`]) picks the series; the second adds each row
//! to its bar ([`Drawing`]: bars × series counts). A result held in memory keeps its totals
//! in a hash map; a spilled result ([`per_report_spilled`]) reads its runs twice and keeps its
//! totals in a table that spills as well, read back in key order into the top-K: the same
//! chart, byte for byte, in memory bounded by `--memory`.

use std::collections::{BTreeMap, BTreeSet};

use super::timed::{key_bucket, BUCKET_KEY_LEN};
use super::Job;
use crate::aggregate::{FastMap, KeyedTable, Merge};
use crate::emit::html::chart::{Bar, Chart, COLOURS};
use crate::engine::Spiller;
use crate::error::Result;
use crate::order::{compare, SortOrder};
use crate::partial::format::RECORDS_PER_HOOK;
use crate::spill::{RowsOrder, SpillOptions, Spilled, TableSpiller};
use crate::timestamp::Bucketer;

/// The most bars a chart draws: more buckets than this are drawn in bars of equal time.
pub const MAX_BARS: usize = 480;

/// Keys drawn as their own series; with more keys, the rest are one more series, "other".
pub const TOP_SERIES: usize = COLOURS - 1;

/// The range of the result's buckets (`FIRST to END (ZONE)`) and its chart, for a result held
/// in memory; None for an empty result.
pub fn per_report<J: Job>(
    job: &J,
    bucketer: &Bucketer,
    zone: &str,
    entries: &[(Box<[u8]>, J::State)],
) -> Option<(String, Chart)> {
    let mut buckets = Buckets::default();
    let mut totals: FastMap<&[u8], u64> = FastMap::default();
    for (key, state) in entries {
        buckets.see(key_bucket(key)?);
        let t = totals.entry(&key[BUCKET_KEY_LEN..]).or_default();
        *t = t.saturating_add(J::count(state));
    }
    let mut top = TopKeys::default();
    for (key, total) in totals {
        top.offer(key, total);
    }
    let mut drawing = Drawing::new(job, bucketer, &buckets, top)?;
    for (key, state) in entries {
        drawing.add(key, J::count(state));
    }
    Some(drawing.finish(zone))
}

/// [`per_report`] of a spilled result: its runs read twice, each key's total kept in a table
/// that spills (within half of the result's memory limit; the reads take the other half) and
/// is read back in key order into the top-K. The same bytes as [`per_report`] gives for the
/// same result in memory.
pub fn per_report_spilled<J: Job>(
    job: &J,
    bucketer: &Bucketer,
    zone: &str,
    spilled: &mut Spilled<J::State>,
) -> Result<Option<(String, Chart)>> {
    let opts = spilled.options();
    let opts = SpillOptions {
        memory: opts.memory / 2,
        ..opts
    };
    let spiller: TableSpiller<KeyedTable<u64>, u64> =
        TableSpiller::new(&opts, 1, |t| t, |t| t, |n| *n);
    let mut totals = KeyedTable::<u64>::default();
    let mut buckets = Buckets::default();
    let (mut rows, mut counted, mut timeless) = (0usize, 0usize, false);
    spilled.scan(RowsOrder::by_key(J::count), |key, state| {
        let Some(bucket) = key_bucket(key) else {
            timeless = true;
            return Ok(());
        };
        buckets.see(bucket);
        totals.entry(&key[BUCKET_KEY_LEN..]).merge(J::count(state));
        rows += 1;
        if rows % RECORDS_PER_HOOK == 0 {
            // Room for the next rows' keys, as a merge of partials makes room.
            spiller.account(&totals, &mut counted);
            spiller.make_room(&mut totals, &mut counted, 2 * RECORDS_PER_HOOK);
            if let Some(e) = spiller.take_error() {
                return Err(e);
            }
        }
        Ok(())
    })?;
    if let Some(e) = spiller.take_error() {
        return Err(e);
    }
    if timeless {
        return Ok(None);
    }
    let mut top = TopKeys::default();
    if spiller.must_spill_result(&totals) {
        spiller
            .into_spilled(&mut totals)?
            .for_each(RowsOrder::by_key(|n| *n), |key, total| {
                top.offer(key, *total);
                Ok(())
            })?;
    } else {
        for (key, total) in totals.iter() {
            top.offer(key, *total);
        }
    }
    drop(totals);
    let Some(mut drawing) = Drawing::new(job, bucketer, &buckets, top) else {
        return Ok(None);
    };
    spilled.scan(RowsOrder::by_key(J::count), |key, state| {
        drawing.add(key, J::count(state));
        Ok(())
    })?;
    Ok(Some(drawing.finish(zone)))
}

/// The buckets of a result, seen in any order: the first, the last, and the first
/// `MAX_BARS + 1` distinct ones (enough to tell whether bars must be slots of equal time, and
/// to place each bucket's bar when they need not).
#[derive(Default)]
struct Buckets {
    /// The first and the last bucket start.
    range: Option<(i64, i64)>,
    /// Up to `MAX_BARS + 1` bucket starts.
    some: BTreeSet<i64>,
}

impl Buckets {
    fn see(&mut self, bucket: i64) {
        self.range = Some(match self.range {
            None => (bucket, bucket),
            Some((a, b)) => (a.min(bucket), b.max(bucket)),
        });
        if self.some.len() <= MAX_BARS {
            self.some.insert(bucket);
        }
    }
}

/// The keys of the largest totals, offered one by one in any order (each key once): the
/// first [`COLOURS`] in count order ([`crate::order::compare`]), and how many keys there were.
#[derive(Default)]
struct TopKeys {
    kept: Vec<(Vec<u8>, u64)>,
    keys: u64,
}

impl TopKeys {
    fn offer(&mut self, key: &[u8], total: u64) {
        self.keys += 1;
        let at = self
            .kept
            .partition_point(|(k, n)| compare(SortOrder::Count, (*n, k), (total, key)).is_lt());
        if at < COLOURS {
            self.kept.insert(at, (key.to_vec(), total));
            self.kept.truncate(COLOURS);
        }
    }
}

/// The chart being drawn: rows added in any order to their bars.
struct Drawing<'b> {
    bucketer: &'b Bucketer,
    /// The drawn keys' series.
    index: FastMap<Vec<u8>, usize>,
    series: Vec<Vec<u8>>,
    first: i64,
    end: i64,
    /// More buckets than [`MAX_BARS`]: bars are slots of equal time.
    slots: bool,
    /// More than two buckets: a tick in the middle.
    middle: bool,
    /// The bucket start nearest the middle (the last at or before it).
    mid_start: i64,
    /// Bars by their start: their end, their first bucket's start, and their counts.
    bars: BTreeMap<i64, (i64, i64, Vec<u64>)>,
}

impl<'b> Drawing<'b> {
    /// The chart of `top`'s series over `buckets`; None for an empty result.
    fn new<J: Job>(
        job: &J,
        bucketer: &'b Bucketer,
        buckets: &Buckets,
        top: TopKeys,
    ) -> Option<Drawing<'b>> {
        let (first, last) = buckets.range?;
        let drawn = match top.keys <= COLOURS as u64 {
            true => top.kept.len(),
            false => TOP_SERIES,
        };
        let mut series: Vec<Vec<u8>> = top.kept[..drawn]
            .iter()
            .map(|(k, _)| series_name(job, k))
            .collect();
        if top.keys > drawn as u64 {
            series.push(b"other".to_vec());
        }
        let mut kept = top.kept;
        kept.truncate(drawn);
        Some(Drawing {
            bucketer,
            index: kept
                .into_iter()
                .enumerate()
                .map(|(i, (k, _))| (k, i))
                .collect(),
            series,
            first,
            end: bucketer.next_start(last),
            slots: buckets.some.len() > MAX_BARS,
            middle: buckets.some.len() > 2,
            mid_start: first,
            bars: BTreeMap::new(),
        })
    }

    /// Adds the count of a row (its key with the bucket prefix) to its bar.
    fn add(&mut self, key: &[u8], count: u64) {
        let Some(bucket) = key_bucket(key) else {
            return;
        };
        let k = self
            .index
            .get(&key[BUCKET_KEY_LEN..])
            .copied()
            .unwrap_or(self.series.len() - 1);
        let (first, span) = (self.first, (self.end - self.first).max(1) as i128);
        let (from, to) = match self.slots {
            true => {
                let slot = (bucket - first) as i128 * MAX_BARS as i128 / span;
                (
                    first + (span * slot / MAX_BARS as i128) as i64,
                    first + (span * (slot + 1) / MAX_BARS as i128) as i64,
                )
            }
            false => (bucket, self.bucketer.next_start(bucket)),
        };
        let n = self.series.len();
        let bar = self
            .bars
            .entry(from)
            .or_insert_with(|| (to, bucket, vec![0; n]));
        bar.1 = bar.1.min(bucket);
        bar.2[k] = bar.2[k].saturating_add(count);
        if bucket <= first + (self.end - first) / 2 {
            self.mid_start = self.mid_start.max(bucket);
        }
    }

    /// The covered range and the chart.
    fn finish(self, zone: &str) -> (String, Chart) {
        let label = |t: i64| self.bucketer.label(t);
        let covered = format!("{} to {} ({zone})", label(self.first), label(self.end));
        let bars = self
            .bars
            .into_iter()
            .map(|(from, (to, start, counts))| Bar {
                from,
                to,
                label: match self.slots {
                    true => format!("from {}", label(start)),
                    false => label(start),
                },
                counts,
            })
            .collect();
        let mut ticks = vec![(self.first, label(self.first))];
        if self.middle && self.mid_start != self.first {
            ticks.push((self.mid_start, label(self.mid_start)));
        }
        ticks.push((self.end, label(self.end)));
        (
            covered,
            Chart {
                span: (self.first, self.end),
                ticks,
                series: self.series,
                bars,
            },
        )
    }
}

/// A key as a series' name: its columns joined by ` / `; a time-only result's one series is
/// "count".
fn series_name<J: Job>(job: &J, key: &[u8]) -> Vec<u8> {
    if job.time_only() {
        return b"count".to_vec();
    }
    let mut name = Vec::new();
    for (i, part) in job.key_parts(key).iter().enumerate() {
        if i > 0 {
            name.extend_from_slice(b" / ");
        }
        name.extend_from_slice(part);
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_keys_in_any_order_are_the_first_of_the_count_order() {
        let rows: Vec<(Vec<u8>, u64)> = (0u64..40)
            .map(|i| (format!("k{}", (i * 7) % 40).into_bytes(), (i * 13) % 9))
            .collect();
        let mut sorted = rows.clone();
        sorted.sort_by(|a, b| compare(SortOrder::Count, (a.1, &a.0), (b.1, &b.0)));
        for order in [rows.clone(), rows.iter().rev().cloned().collect()] {
            let mut top = TopKeys::default();
            for (k, n) in &order {
                top.offer(k, *n);
            }
            assert_eq!(top.keys, 40);
            assert_eq!(top.kept, sorted[..COLOURS].to_vec());
        }
        let mut few = TopKeys::default();
        few.offer(b"b", 1);
        few.offer(b"a", 1);
        assert_eq!(few.kept, vec![(b"a".to_vec(), 1), (b"b".to_vec(), 1)]);
    }

    #[test]
    fn buckets_keep_their_range_and_a_bounded_sample() {
        let mut b = Buckets::default();
        for t in (0..2000).rev() {
            b.see(t * 60);
        }
        assert_eq!(b.range, Some((0, 1999 * 60)));
        assert_eq!(b.some.len(), MAX_BARS + 1);
    }
}
