//! Percentiles. Both kinds use the nearest-rank definition: the p-th percentile of n values is
//! the value of rank `ceil(p/100 × n)` (at least 1) in ascending order, so it is always one of
//! the values.
//!
//! - [`LogSketch`] (`--pct`): a log-bucket sketch after DDSketch (Masson, Rim and Lee, VLDB
//!   2019). Bucket `i` holds the values `v` with `γ^(i-1) < |v| <= γ^i`, `γ = (1+α)/(1-α)`;
//!   a bucket is reported as `2γ^i/(γ+1)`, within `α` of every value in it, then clamped to the
//!   exact minimum and maximum and printed with 6 significant digits. With `α = 0.0099` the
//!   answer is within 1% of the exact percentile. Counts are integers, so merging adds them:
//!   exactly associative and commutative, whatever `-j` and chunk size. Memory is one counter
//!   per bucket between the smallest and largest magnitude (about 116 buckets a decade).
//! - [`ExactValues`] (`--exact-pct`): every value, sorted at the end.

use std::cmp::Ordering;

use super::value::{cmp_decimal, Extreme, Num};
use crate::aggregate::Merge;
use crate::num::Decimal;

/// The sketch's relative accuracy before printing.
pub const ALPHA: f64 = 0.0099;

/// The rank (1-based) of the `p`-th percentile among `n` values (`n >= 1`).
/// `p` is taken to a millionth of a percent, and the rank computed in integers, so that
/// `99.9` of 1000 is rank 999 (floating point would make it 999.0000000000001, rank 1000).
pub fn rank(p: f64, n: u64) -> u64 {
    let micro = (p.clamp(0.0, 100.0) * 1e6).round() as u128;
    let r = (micro * u128::from(n)).div_ceil(100_000_000);
    (r as u64).clamp(1, n.max(1))
}

/// Bucket indexes lie within `±MAX_INDEX`: `bucket` of the smallest and largest finite `f64`
/// is about ±35,900.
const MAX_INDEX: i32 = 1 << 16;

/// Counters for a contiguous range of bucket indexes.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "BucketsData")]
struct Buckets {
    first: i32,
    counts: Vec<u64>,
}

/// [`Buckets`] as a partial file carries it, checked before use: a hostile range (`first`
/// near `i32::MAX`, or two sketches at opposite ends) would overflow the index arithmetic or
/// make a merge allocate gigabytes.
#[derive(serde::Deserialize)]
struct BucketsData {
    first: i32,
    counts: Vec<u64>,
}

impl TryFrom<BucketsData> for Buckets {
    type Error = String;

    fn try_from(d: BucketsData) -> Result<Buckets, String> {
        let end = i64::from(d.first) + d.counts.len() as i64;
        if d.first < -MAX_INDEX || end > i64::from(MAX_INDEX) + 1 {
            return Err(format!(
                "percentile sketch buckets {}..{end} out of range ±{MAX_INDEX}",
                d.first
            ));
        }
        Ok(Buckets {
            first: d.first,
            counts: d.counts,
        })
    }
}

impl Buckets {
    fn add(&mut self, index: i32, n: u64) {
        if self.counts.is_empty() {
            self.first = index;
            self.counts.push(0);
        } else if index < self.first {
            let grow = (self.first - index) as usize;
            self.counts.splice(0..0, std::iter::repeat_n(0, grow));
            self.first = index;
        } else if index >= self.first + self.counts.len() as i32 {
            self.counts.resize((index - self.first) as usize + 1, 0);
        }
        self.counts[(index - self.first) as usize].merge(n);
    }

    fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    fn iter(&self) -> impl DoubleEndedIterator<Item = (i32, u64)> + '_ {
        self.counts
            .iter()
            .enumerate()
            .filter(|(_, &c)| c > 0)
            .map(|(k, &c)| (self.first + k as i32, c))
    }
}

/// A mergeable log-bucket percentile sketch with integer counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LogSketch {
    positive: Buckets,
    negative: Buckets,
    zeros: u64,
    min: Extreme<false>,
    max: Extreme<true>,
}

fn ln_gamma() -> f64 {
    ((1.0 + ALPHA) / (1.0 - ALPHA)).ln()
}

/// The bucket of a magnitude `m > 0`. Values are clamped into the range of `f64` that has a
/// finite logarithm, so every value has a bucket.
fn bucket(m: f64) -> i32 {
    let m = m.clamp(f64::MIN_POSITIVE, f64::MAX);
    (m.ln() / ln_gamma()).ceil() as i32
}

/// The value a bucket reports.
fn representative(index: i32) -> f64 {
    let g = ln_gamma();
    let gamma = g.exp();
    2.0 * (f64::from(index) * g).exp() / (gamma + 1.0)
}

impl LogSketch {
    /// Adds one value.
    #[inline]
    pub fn add(&mut self, v: Num) {
        let x = v.to_f64();
        if x > 0.0 {
            self.positive.add(bucket(x), 1);
        } else if x < 0.0 {
            self.negative.add(bucket(-x), 1);
        } else {
            self.zeros += 1;
        }
        self.min.add(v);
        self.max.add(v);
    }

    /// How many values were added.
    pub fn count(&self) -> u64 {
        self.positive.total() + self.negative.total() + self.zeros
    }

    /// The `p`-th percentile, printed; `None` when there are no values.
    pub fn percentile(&self, p: f64) -> Option<String> {
        let n = self.count();
        if n == 0 {
            return None;
        }
        let (min, max) = (self.min.get()?, self.max.get()?);
        let r = rank(p, n);
        if r == 1 {
            return Some(min.to_string());
        }
        if r == n {
            return Some(max.to_string());
        }
        let mut seen = 0u64;
        let mut estimate = None;
        // Ascending order: the most negative values (highest buckets of `negative`) first.
        for (i, c) in self.negative.iter().rev() {
            seen += c;
            if seen >= r {
                estimate = Some(-representative(i));
                break;
            }
        }
        if estimate.is_none() {
            seen += self.zeros;
            if seen >= r {
                estimate = Some(0.0);
            }
        }
        if estimate.is_none() {
            for (i, c) in self.positive.iter() {
                seen += c;
                if seen >= r {
                    estimate = Some(representative(i));
                    break;
                }
            }
        }
        let e = estimate?;
        let lo = Num::Dec(min).to_f64();
        let hi = Num::Dec(max).to_f64();
        if e <= lo {
            return Some(min.to_string());
        }
        if e >= hi {
            return Some(max.to_string());
        }
        Some(six_significant(e))
    }
}

/// `x` with 6 significant digits, without an exponent and without trailing zeros.
fn six_significant(x: f64) -> String {
    if x == 0.0 {
        return "0".into();
    }
    let magnitude = x.abs().log10().floor() as i32;
    let decimals = (5 - magnitude).max(0) as usize;
    let s = format!("{x:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        // Round to 6 significant digits above the point too (1234567.8 → 1234570).
        let p = 10f64.powi(magnitude - 5);
        format!("{:.0}", (x / p).round() * p)
    }
}

impl Merge for LogSketch {
    fn merge(&mut self, other: Self) {
        for (i, c) in other.positive.iter() {
            self.positive.add(i, c);
        }
        for (i, c) in other.negative.iter() {
            self.negative.add(i, c);
        }
        self.zeros.merge(other.zeros);
        self.min.merge(other.min);
        self.max.merge(other.max);
    }
}

/// Every value, for exact percentiles.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ExactValues {
    values: Vec<Num>,
}

impl ExactValues {
    /// Adds one value.
    pub fn add(&mut self, v: Num) {
        self.values.push(v);
    }

    /// Sorts the values (once, before [`ExactValues::percentile`]).
    pub fn sorted(&self) -> Vec<Decimal> {
        let mut v: Vec<Decimal> = self.values.iter().map(|n| n.to_decimal()).collect();
        v.sort_by(cmp_decimal);
        v
    }

    /// The `p`-th percentile of `sorted` values; `None` when there are none.
    pub fn percentile(sorted: &[Decimal], p: f64) -> Option<String> {
        let n = sorted.len() as u64;
        if n == 0 {
            return None;
        }
        Some(sorted[(rank(p, n) - 1) as usize].to_string())
    }
}

impl Merge for ExactValues {
    fn merge(&mut self, other: Self) {
        self.values.extend(other.values);
    }
}

/// Exact order of two printed percentiles' values (for tests).
pub fn cmp_printed(a: &str, b: &str) -> Option<Ordering> {
    let a = Decimal::parse(a.as_bytes()).ok()?;
    let b = Decimal::parse(b.as_bytes()).ok()?;
    Some(cmp_decimal(&a, &b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::check_laws;
    use proptest::prelude::*;

    fn sketch(values: &[f64]) -> LogSketch {
        let mut s = LogSketch::default();
        for v in values {
            s.add(Num::parse(format!("{v}").as_bytes()).unwrap());
        }
        s
    }

    #[test]
    fn ranks_are_nearest_rank() {
        assert_eq!(rank(50.0, 4), 2);
        assert_eq!(rank(50.0, 5), 3);
        assert_eq!(rank(0.0, 5), 1);
        assert_eq!(rank(100.0, 5), 5);
        assert_eq!(rank(99.0, 1000), 990);
        assert_eq!(rank(99.9, 1000), 999);
    }

    #[test]
    fn prints_six_significant_digits() {
        assert_eq!(six_significant(1234.56789), "1234.57");
        assert_eq!(six_significant(0.000123456789), "0.000123457");
        assert_eq!(six_significant(1234567.8), "1234570");
        assert_eq!(six_significant(-2.5), "-2.5");
    }

    #[test]
    fn sketch_laws() {
        let samples = vec![
            LogSketch::default(),
            sketch(&[1.0, 2.0, 3.0]),
            sketch(&[-5.0, 0.0, 1e-9]),
            sketch(&[1e12, 7.5]),
        ];
        check_laws(&samples, |s| {
            (1..=99)
                .map(|p| s.percentile(f64::from(p)))
                .collect::<Vec<_>>()
        });
        check_laws(&samples, |s| s.clone());
    }

    #[test]
    fn extremes_are_exact() {
        let s = sketch(&[3.0, 1.25, 900.0]);
        assert_eq!(s.percentile(0.0).unwrap(), "1.25");
        assert_eq!(s.percentile(100.0).unwrap(), "900");
        assert_eq!(LogSketch::default().percentile(50.0), None);
    }

    proptest! {
        #[test]
        fn sketch_is_within_one_percent_of_exact(
            values in proptest::collection::vec(
                prop_oneof![-1e6f64..1e6, 0.001f64..10.0, Just(0.0), 1.0f64..1e15], 1..300),
            p in 0.0f64..100.0,
        ) {
            let values: Vec<Num> = values
                .iter()
                .map(|v| Num::parse(format!("{v}").as_bytes()).unwrap())
                .collect();
            let mut s = LogSketch::default();
            let mut e = ExactValues::default();
            for v in &values {
                s.add(*v);
                e.add(*v);
            }
            let got: f64 = s.percentile(p).unwrap().parse().unwrap();
            let want: f64 = ExactValues::percentile(&e.sorted(), p).unwrap().parse().unwrap();
            prop_assert!((got - want).abs() <= 0.01 * want.abs(), "p{p}: got {got}, exact {want}");
        }
    }
}
