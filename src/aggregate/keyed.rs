//! The canonical partial every job exports: a keyed table of mergeable states, plus
//! job-wide facts ([`Meta`]: records read, and records rejected or bad while mapping).

use serde::{Deserialize, Serialize};

use super::{KeyedTable, Merge};

/// The longest example text a [`Rejected`] keeps.
const EXAMPLE_LEN: usize = 40;

/// Records left out because their sum text is not a number.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejected {
    /// How many.
    pub count: u64,
    /// The smallest rejected text (by bytes, cut to 40 bytes): an example that does not
    /// depend on how the input was split.
    pub example: Option<Box<[u8]>>,
}

impl Rejected {
    /// True when no record was rejected (then a `#meta` line leaves it out).
    pub fn is_none(&self) -> bool {
        self.count == 0 && self.example.is_none()
    }

    /// Counts one more, keeping the smallest example.
    pub fn add(&mut self, text: &[u8]) {
        self.count += 1;
        let text = &text[..text.len().min(EXAMPLE_LEN)];
        if self.example.as_deref().is_none_or(|e| text < e) {
            self.example = Some(text.into());
        }
    }
}

impl Merge for Rejected {
    fn saturated(&self) -> bool {
        self.count.saturated()
    }

    fn merge(&mut self, other: Self) {
        self.count.merge(other.count);
        match (&self.example, other.example) {
            (_, None) => {}
            (Some(a), Some(b)) if **a <= *b => {}
            (_, b) => self.example = b,
        }
    }
}

/// How many records the runs of a result read: a sum over its runs, or unknown once a run
/// that did not count them (a partial or state of an older logmill) was merged in. The
/// identity ([`Default`]) is a known 0, so merging partials in any order and grouping sums
/// them; unknown absorbs every count, so a page says "unknown" rather than a number too small.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RecordsRead(Option<u64>);

impl Default for RecordsRead {
    fn default() -> Self {
        RecordsRead(Some(0))
    }
}

impl RecordsRead {
    /// `n` records read.
    pub fn known(n: u64) -> Self {
        RecordsRead(Some(n))
    }

    /// Not known: a run that did not count, or a partial that does not say.
    pub fn unknown() -> Self {
        RecordsRead(None)
    }

    /// The count, when known.
    pub fn get(self) -> Option<u64> {
        self.0
    }

    /// True when the count is not known (then a partial does not write it).
    pub fn is_unknown(&self) -> bool {
        self.0.is_none()
    }
}

impl From<Option<u64>> for RecordsRead {
    fn from(n: Option<u64>) -> Self {
        RecordsRead(n)
    }
}

impl Merge for RecordsRead {
    fn merge(&mut self, other: Self) {
        self.0 = match (self.0, other.0) {
            (Some(a), Some(b)) => Some(a.saturating_add(b)),
            _ => None,
        };
    }
}

/// Job-wide facts carried next to the keyed table: records read, and records rejected while
/// mapping.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    /// The records the runs read (see [`RecordsRead`]). Absent from a `#meta` line: unknown
    /// (written by a logmill that did not record it).
    #[serde(
        default = "RecordsRead::unknown",
        skip_serializing_if = "RecordsRead::is_unknown"
    )]
    pub records: RecordsRead,
    /// Records left out (e.g. a `--sum` capture that is not a number), with an example.
    #[serde(default, skip_serializing_if = "Rejected::is_none")]
    pub rejected: Rejected,
    /// Bad records (that did not parse) by reason, for jobs that parse records.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub bad: std::collections::BTreeMap<String, u64>,
    /// Records left out because they have no timestamp when one is needed (`--per`,
    /// `--since`, `--until`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub untimed: u64,
    /// Under `--example`: the runs' input lists and the line index (see
    /// [`super::example`]).
    #[serde(default, skip_serializing_if = "super::example::ExampleMeta::is_empty")]
    pub example: super::example::ExampleMeta,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Merge for Meta {
    fn saturated(&self) -> bool {
        self.rejected.saturated() || self.bad.saturated() || self.untimed.saturated()
    }

    fn merge(&mut self, other: Self) {
        self.rejected.merge(other.rejected);
        Merge::merge(&mut self.bad, other.bad);
        self.untimed.merge(other.untimed);
        self.example.merge(other.example);
        self.records.merge(other.records);
    }
}

impl Meta {
    /// True when there is nothing to say: no bad records and no records read known (a known
    /// count, even 0, is said, so a partial without it reads as unknown).
    pub fn is_empty(&self) -> bool {
        self.records.is_unknown()
            && *self
                == Meta {
                    records: RecordsRead::unknown(),
                    ..Meta::default()
                }
    }
}

/// The canonical partial of every job: keys with states, and job-wide facts.
#[derive(Debug, Clone)]
pub struct Keyed<S> {
    /// State per key.
    pub table: KeyedTable<S>,
    /// Job-wide facts.
    pub meta: Meta,
}

impl<S> Default for Keyed<S> {
    fn default() -> Self {
        Keyed {
            table: KeyedTable::default(),
            meta: Meta::default(),
        }
    }
}

/// A table with nothing else to say (no record was rejected).
impl<S> From<KeyedTable<S>> for Keyed<S> {
    fn from(table: KeyedTable<S>) -> Self {
        Keyed {
            table,
            meta: Meta::default(),
        }
    }
}

impl<S: Merge> Merge for Keyed<S> {
    fn merge(&mut self, other: Self) {
        self.table.merge(other.table);
        self.meta.merge(other.meta);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_read_sum_and_unknown_absorbs() {
        let samples = [
            RecordsRead::default(),
            RecordsRead::known(3),
            RecordsRead::known(u64::MAX - 1),
            RecordsRead::unknown(),
        ];
        crate::aggregate::check_laws(&samples, |r| *r);
        let mut r = RecordsRead::known(2);
        r.merge(RecordsRead::known(5));
        assert_eq!(r.get(), Some(7));
        r.merge(RecordsRead::unknown());
        assert_eq!(r.get(), None);
    }

    #[test]
    fn a_known_count_is_written_and_a_missing_one_reads_as_unknown() {
        let meta = Meta {
            records: RecordsRead::known(0),
            ..Meta::default()
        };
        assert!(!meta.is_empty());
        assert_eq!(serde_json::to_string(&meta).unwrap(), r#"{"records":0}"#);
        let old: Meta = serde_json::from_str(r#"{"rejected":{"count":1,"example":null}}"#).unwrap();
        assert!(old.records.is_unknown());
        let unknown = Meta {
            records: RecordsRead::unknown(),
            ..Meta::default()
        };
        assert!(unknown.is_empty());
    }
}
