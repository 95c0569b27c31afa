//! The canonical partial every job exports: a keyed table of mergeable states, plus
//! job-wide facts ([`Meta`]: records rejected or bad while mapping).

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

/// Job-wide facts carried next to the keyed table: records rejected while mapping.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    /// Records left out (e.g. a `--sum` capture that is not a number), with an example.
    #[serde(default)]
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
    }
}

impl Meta {
    /// True when there is nothing to say.
    pub fn is_empty(&self) -> bool {
        *self == Meta::default()
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
