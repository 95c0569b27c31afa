//! Per-group aggregate states for the `fields` job. Each is a partial aggregate ([`Merge`]):
//! an identity and an exactly associative, commutative merge, so a group's result is the same
//! bytes for any `-j` and chunk size. Sums are exact decimals, sketches have integer counts.
//!
//! A group holds its record count (always kept: it orders the rows) and one state per
//! aggregation, in the order they were given.

pub mod distinct;
pub mod pct;
pub mod value;

use distinct::{DistinctSet, Hll};
use pct::{ExactValues, LogSketch};
use value::{format_mean, Extreme, Num, NumSum};

use crate::aggregate::Merge;
use crate::num::Overflow;

/// What an aggregation computes.
#[derive(Debug, Clone, PartialEq)]
pub enum AggKind {
    /// Records in the group.
    Count,
    /// Exact sum.
    Sum,
    /// Smallest value.
    Min,
    /// Largest value.
    Max,
    /// Exact mean, printed with [`value::MEAN_DECIMALS`] places.
    Mean,
    /// Exact number of distinct values.
    Distinct,
    /// HyperLogLog estimate of the number of distinct values.
    ApproxDistinct,
    /// Percentiles (each `0..=100`), from the sketch or exactly.
    Pct {
        /// The percentiles, in the order given; each prints as its own column.
        points: Vec<f64>,
        /// Keep every value and answer exactly.
        exact: bool,
    },
}

impl AggKind {
    /// True when the aggregation reads its field as a number.
    pub fn numeric(&self) -> bool {
        matches!(
            self,
            AggKind::Sum | AggKind::Min | AggKind::Max | AggKind::Mean | AggKind::Pct { .. }
        )
    }
}

/// One aggregation as given on the command line.
#[derive(Debug, Clone, PartialEq)]
pub struct AggSpec {
    /// What it computes.
    pub kind: AggKind,
    /// The field as the user named it (empty for count).
    pub field: String,
    /// The field's slot in the parsed record (unused for count).
    pub slot: usize,
}

impl AggSpec {
    /// The output column names: `count`, `sum(bytes)`, `p90(latency)`...
    pub fn columns(&self) -> Vec<String> {
        let f = &self.field;
        match &self.kind {
            AggKind::Count => vec!["count".into()],
            AggKind::Sum => vec![format!("sum({f})")],
            AggKind::Min => vec![format!("min({f})")],
            AggKind::Max => vec![format!("max({f})")],
            AggKind::Mean => vec![format!("mean({f})")],
            AggKind::Distinct => vec![format!("distinct({f})")],
            AggKind::ApproxDistinct => vec![format!("approx_distinct({f})")],
            AggKind::Pct { points, .. } => points.iter().map(|p| format!("p{p}({f})")).collect(),
        }
    }

    /// A fresh state for this aggregation.
    pub fn state(&self) -> AggState {
        match &self.kind {
            AggKind::Count => AggState::Count,
            AggKind::Sum => AggState::Sum(NumSum::default()),
            AggKind::Min => AggState::Min(Extreme::default()),
            AggKind::Max => AggState::Max(Extreme::default()),
            AggKind::Mean => AggState::Mean(NumSum::default(), 0),
            AggKind::Distinct => AggState::Distinct(DistinctSet::default()),
            AggKind::ApproxDistinct => AggState::ApproxDistinct(Box::default()),
            AggKind::Pct { exact: false, .. } => AggState::Sketch(Box::default()),
            AggKind::Pct { exact: true, .. } => AggState::Exact(ExactValues::default()),
        }
    }
}

/// The partial state of one aggregation in one group.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub enum AggState {
    /// The group's count is kept in [`GroupState::count`].
    #[default]
    Count,
    /// Exact sum.
    Sum(NumSum),
    /// Smallest value.
    Min(Extreme<false>),
    /// Largest value.
    Max(Extreme<true>),
    /// Exact sum and the number of values.
    Mean(NumSum, u64),
    /// Exact set.
    Distinct(DistinctSet),
    /// HyperLogLog.
    ApproxDistinct(Box<Hll>),
    /// Log-bucket sketch.
    Sketch(Box<LogSketch>),
    /// Every value.
    Exact(ExactValues),
}

/// A value handed to an aggregation: the field's bytes and, for numeric aggregations, the
/// number they were parsed into. `None` is a null (the aggregation skips it).
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// The field's bytes.
    pub bytes: Option<&'a [u8]>,
    /// The parsed number (numeric aggregations of non-null fields only).
    pub num: Option<Num>,
}

impl AggState {
    /// Folds one record's value in.
    #[inline]
    pub fn add(&mut self, v: Input<'_>) {
        match self {
            AggState::Count => {}
            AggState::Sum(s) => {
                if let Some(n) = v.num {
                    s.add(n)
                }
            }
            AggState::Min(s) => {
                if let Some(n) = v.num {
                    s.add(n)
                }
            }
            AggState::Max(s) => {
                if let Some(n) = v.num {
                    s.add(n)
                }
            }
            AggState::Mean(s, c) => {
                if let Some(n) = v.num {
                    s.add(n);
                    *c += 1;
                }
            }
            AggState::Distinct(s) => {
                if let Some(b) = v.bytes {
                    s.add(b)
                }
            }
            AggState::ApproxDistinct(s) => {
                if let Some(b) = v.bytes {
                    s.add(b)
                }
            }
            AggState::Sketch(s) => {
                if let Some(n) = v.num {
                    s.add(n)
                }
            }
            AggState::Exact(s) => {
                if let Some(n) = v.num {
                    s.add(n)
                }
            }
        }
    }

    /// The printed cells of this aggregation (one per column), given the group's count.
    /// [`Overflow`] when an exact sum does not fit.
    pub fn cells(&self, spec: &AggSpec, count: u64) -> Result<Vec<String>, Overflow> {
        Ok(match self {
            AggState::Count => vec![count.to_string()],
            AggState::Sum(s) => vec![s.total().ok_or(Overflow)?.to_string()],
            AggState::Min(s) => vec![s.get().map_or_else(String::new, |d| d.to_string())],
            AggState::Max(s) => vec![s.get().map_or_else(String::new, |d| d.to_string())],
            AggState::Mean(s, c) => vec![if *c == 0 {
                String::new()
            } else {
                format_mean(&s.total().ok_or(Overflow)?, *c)
            }],
            AggState::Distinct(s) => vec![s.len().to_string()],
            AggState::ApproxDistinct(s) => vec![s.estimate().to_string()],
            AggState::Sketch(s) => points(spec)
                .iter()
                .map(|&p| s.percentile(p).unwrap_or_default())
                .collect(),
            AggState::Exact(s) => {
                let sorted = s.sorted();
                points(spec)
                    .iter()
                    .map(|&p| ExactValues::percentile(&sorted, p).unwrap_or_default())
                    .collect()
            }
        })
    }
}

fn points(spec: &AggSpec) -> &[f64] {
    match &spec.kind {
        AggKind::Pct { points, .. } => points,
        _ => &[],
    }
}

impl Merge for AggState {
    fn merge(&mut self, other: Self) {
        match (self, other) {
            (AggState::Sum(a), AggState::Sum(b)) => a.merge(b),
            (AggState::Min(a), AggState::Min(b)) => a.merge(b),
            (AggState::Max(a), AggState::Max(b)) => a.merge(b),
            (AggState::Mean(a, x), AggState::Mean(b, y)) => {
                a.merge(b);
                x.merge(y);
            }
            (AggState::Distinct(a), AggState::Distinct(b)) => a.merge(b),
            (AggState::ApproxDistinct(a), AggState::ApproxDistinct(b)) => a.merge(*b),
            (AggState::Sketch(a), AggState::Sketch(b)) => a.merge(*b),
            (AggState::Exact(a), AggState::Exact(b)) => a.merge(b),
            // States of one group always come from the same list of aggregations.
            _ => {}
        }
    }
}

/// One group: its record count and its aggregation states (empty until the first record,
/// which is the identity).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct GroupState {
    /// Records in the group.
    pub count: u64,
    /// One state per aggregation, in order; empty in the identity.
    pub aggs: Vec<AggState>,
}

impl Merge for GroupState {
    fn saturated(&self) -> bool {
        self.count.saturated()
    }

    fn merge(&mut self, other: Self) {
        self.count.merge(other.count);
        if self.aggs.is_empty() {
            self.aggs = other.aggs;
        } else {
            for (a, b) in self.aggs.iter_mut().zip(other.aggs) {
                a.merge(b);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::check_laws;

    fn specs() -> Vec<AggSpec> {
        let s = |kind, field: &str| AggSpec {
            kind,
            field: field.into(),
            slot: 0,
        };
        vec![
            s(AggKind::Count, ""),
            s(AggKind::Sum, "b"),
            s(AggKind::Min, "b"),
            s(AggKind::Max, "b"),
            s(AggKind::Mean, "b"),
            s(AggKind::Distinct, "b"),
            s(AggKind::ApproxDistinct, "b"),
            s(
                AggKind::Pct {
                    points: vec![50.0, 90.0],
                    exact: false,
                },
                "b",
            ),
            s(
                AggKind::Pct {
                    points: vec![50.0, 99.9],
                    exact: true,
                },
                "b",
            ),
        ]
    }

    fn group(values: &[&str]) -> GroupState {
        let specs = specs();
        let mut g = GroupState::default();
        for v in values {
            if g.aggs.is_empty() {
                g.aggs = specs.iter().map(AggSpec::state).collect();
            }
            g.count += 1;
            let num = if v.is_empty() {
                None
            } else {
                Some(Num::parse(v.as_bytes()).unwrap())
            };
            let bytes = (!v.is_empty()).then_some(v.as_bytes());
            for a in &mut g.aggs {
                a.add(Input { bytes, num });
            }
        }
        g
    }

    fn cells(g: &GroupState) -> Vec<String> {
        let specs = specs();
        if g.aggs.is_empty() {
            return vec![g.count.to_string()];
        }
        g.aggs
            .iter()
            .zip(&specs)
            .flat_map(|(a, s)| a.cells(s, g.count).unwrap())
            .collect()
    }

    #[test]
    fn group_laws() {
        let samples = vec![
            GroupState::default(),
            group(&["1", "2.5", ""]),
            group(&["-3", "1e3"]),
            group(&["7"]),
        ];
        check_laws(&samples, cells);
    }

    #[test]
    fn nulls_count_as_records_only() {
        let g = group(&["1", "", "2"]);
        assert_eq!(
            cells(&g),
            ["3", "3", "1", "2", "1.500000", "2", "2", "1", "2", "1", "2"]
        );
    }
}
