//! What an HTML report of a `--per` result shows besides its rows: the time range its buckets
//! cover and a chart of its top keys over time ([`crate::emit::html::chart`]). The top keys
//! are those of the largest count over every bucket (ties by key bytes); the rest are summed
//! as "other". Built from the result held in memory, in one pass over it; the chart has at
//! most [`MAX_BARS`] bars, so its size is bounded whatever the result's.

use std::collections::BTreeMap;

use super::timed::{key_bucket, BUCKET_KEY_LEN};
use super::Job;
use crate::aggregate::FastMap;
use crate::emit::html::chart::{Bar, Chart, COLOURS};
use crate::timestamp::Bucketer;

/// The most bars a chart draws: more buckets than this are drawn in bars of equal time.
pub const MAX_BARS: usize = 480;

/// Keys drawn as their own series; with more keys, the rest are one more series, "other".
pub const TOP_SERIES: usize = COLOURS - 1;

/// The range of the result's buckets (`FIRST to END (ZONE)`) and its chart; None for an
/// empty result.
pub fn per_report<J: Job>(
    job: &J,
    bucketer: &Bucketer,
    zone: &str,
    entries: &[(Box<[u8]>, J::State)],
) -> Option<(String, Chart)> {
    let mut totals: FastMap<&[u8], u64> = FastMap::default();
    let mut starts: BTreeMap<i64, usize> = BTreeMap::new();
    for (key, state) in entries {
        let bucket = key_bucket(key)?;
        let t = totals.entry(&key[BUCKET_KEY_LEN..]).or_default();
        *t = t.saturating_add(J::count(state));
        starts.insert(bucket, 0);
    }
    let first = *starts.keys().next()?;
    let last = *starts.keys().next_back()?;
    let end = bucketer.next_start(last);
    let covered = format!(
        "{} to {} ({zone})",
        bucketer.label(first),
        bucketer.label(end)
    );

    // The series: the top keys, then "other" for the rest.
    let mut ranked: Vec<(&[u8], u64)> = totals.into_iter().collect();
    ranked.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    let drawn = if ranked.len() <= COLOURS {
        ranked.len()
    } else {
        TOP_SERIES
    };
    let index: FastMap<&[u8], usize> = ranked[..drawn]
        .iter()
        .enumerate()
        .map(|(i, (k, _))| (*k, i))
        .collect();
    let mut series: Vec<Vec<u8>> = ranked[..drawn]
        .iter()
        .map(|(k, _)| series_name(job, k))
        .collect();
    if ranked.len() > drawn {
        series.push(b"other".to_vec());
    }

    // The bars: one per bucket, or per slot of equal time when there are too many buckets.
    let slots = starts.len() > MAX_BARS;
    let span = (end - first).max(1) as i128;
    let mut bars: Vec<Bar> = Vec::new();
    for (start, bar) in starts.iter_mut() {
        let slot = match slots {
            true => ((*start - first) as i128 * MAX_BARS as i128 / span) as usize,
            false => bars.len(),
        };
        let (from, to) = match slots {
            true => (
                first + (span * slot as i128 / MAX_BARS as i128) as i64,
                first + (span * (slot as i128 + 1) / MAX_BARS as i128) as i64,
            ),
            false => (*start, bucketer.next_start(*start)),
        };
        if bars.last().is_none_or(|b| b.from != from) {
            bars.push(Bar {
                from,
                to,
                label: match slots {
                    true => format!("from {}", bucketer.label(*start)),
                    false => bucketer.label(*start),
                },
                counts: vec![0; series.len()],
            });
        }
        *bar = bars.len() - 1;
    }
    for (key, state) in entries {
        let Some(bucket) = key_bucket(key) else {
            continue;
        };
        let k = index
            .get(&key[BUCKET_KEY_LEN..])
            .copied()
            .unwrap_or(series.len() - 1);
        let c = &mut bars[starts[&bucket]].counts[k];
        *c = c.saturating_add(J::count(state));
    }
    let mid = first + (end - first) / 2;
    let mut ticks = vec![(first, bucketer.label(first))];
    if starts.len() > 2 {
        // The bucket start nearest the middle.
        let m = starts.range(..=mid).next_back().map_or(first, |(s, _)| *s);
        if m != first {
            ticks.push((m, bucketer.label(m)));
        }
    }
    ticks.push((end, bucketer.label(end)));
    Some((
        covered,
        Chart {
            span: (first, end),
            ticks,
            series,
            bars,
        },
    ))
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
