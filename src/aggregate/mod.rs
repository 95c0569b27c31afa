//! Aggregation: the merge law every partial obeys ([`Merge`]), the keyed table that holds
//! per-key states ([`KeyedTable`]), and the composite-key encoding ([`key`]).
//!
//! A partial has an identity (`Default`) and a `merge` that is exactly associative and
//! commutative, so partials can be combined in any grouping and any order — across chunks,
//! threads, processes or days — and give the same bytes out. That is why every state here is
//! integral: floating-point addition is neither.

mod alloc;
pub mod example;
mod hash;
pub mod key;
pub mod keyed;
mod table;

use serde::de::DeserializeOwned;
use serde::Serialize;

pub use alloc::HugeAlloc;
pub(crate) use hash::{key_eq, key_prefix};
pub use hash::{key_hash, FastHasher, FastMap, ShortKey};
#[cfg(test)]
pub(crate) use table::sorted_entries;
pub use table::{KeyedTable, SORT_ENTRY_BYTES};

/// A partial aggregate: `Default` is the identity and `merge` folds another partial in.
///
/// Laws (checked by `check_laws` in the tests of every implementation): `a.merge(Default)` is `a`;
/// merging is associative and commutative.
pub trait Merge: Default + Send {
    /// Folds `other` into `self`.
    fn merge(&mut self, other: Self);

    /// True when a count in here saturated at `u64::MAX` (only merging hostile or corrupt
    /// partial files gets there; a run would need 2^64 lines). Printing such a count would be
    /// silently wrong, so merges check this and fail instead.
    fn saturated(&self) -> bool {
        false
    }
}

impl Merge for u64 {
    fn saturated(&self) -> bool {
        *self == u64::MAX
    }

    #[inline]
    fn merge(&mut self, other: Self) {
        // Saturating, not wrapping: counts from hostile partial files (`k<TAB>18446744073709551615`
        // twice) must never come out small. Saturating addition keeps the merge laws.
        *self = self.saturating_add(other);
    }
}

impl<T: Merge> Merge for Option<T> {
    fn saturated(&self) -> bool {
        self.as_ref().is_some_and(T::saturated)
    }

    fn merge(&mut self, other: Self) {
        match (self.as_mut(), other) {
            (_, None) => {}
            (None, Some(o)) => *self = Some(o),
            (Some(s), Some(o)) => s.merge(o),
        }
    }
}

/// Key-wise merge: counts by reason, and the like.
impl<K: Ord + Send, V: Merge> Merge for std::collections::BTreeMap<K, V> {
    fn saturated(&self) -> bool {
        self.values().any(V::saturated)
    }

    fn merge(&mut self, other: Self) {
        for (k, v) in other {
            self.entry(k).or_default().merge(v);
        }
    }
}

/// Position-wise merge; the shorter vector is padded with identities. Used for per-input
/// partials, where position `i` belongs to input `i`.
impl<T: Merge> Merge for Vec<T> {
    fn saturated(&self) -> bool {
        self.iter().any(T::saturated)
    }

    fn merge(&mut self, other: Self) {
        if other.len() > self.len() {
            self.resize_with(other.len(), T::default);
        }
        for (s, o) in self.iter_mut().zip(other) {
            s.merge(o);
        }
    }
}

/// A job's per-key state, as partial files and spill runs carry it.
pub trait State: Merge + Clone + Serialize + DeserializeOwned + Send + Sync {}
impl<T: Merge + Clone + Serialize + DeserializeOwned + Send + Sync> State for T {}

/// Merges a list of partials by index in fixed pairwise stages (0+1, 2+3, … then again), so
/// the grouping depends only on the list's length, never on scheduling.
pub fn merge_all<P: Merge>(mut parts: Vec<P>) -> P {
    while parts.len() > 1 {
        let mut next = Vec::with_capacity(parts.len().div_ceil(2));
        let mut it = parts.into_iter();
        while let Some(mut a) = it.next() {
            if let Some(b) = it.next() {
                a.merge(b);
            }
            next.push(a);
        }
        parts = next;
    }
    parts.pop().unwrap_or_default()
}

/// Exact decimal sums merge by adding: exactly associative and commutative (see
/// [`DecimalSum`]).
impl Merge for crate::num::DecimalSum {
    #[inline]
    fn merge(&mut self, other: Self) {
        self.add_sum(other);
    }
}

/// The same for the sparse form.
impl Merge for crate::num::SparseSum {
    #[inline]
    fn merge(&mut self, other: Self) {
        self.add_sparse(other);
    }
}

/// Law checks shared by every partial's tests: identity, associativity and commutativity on
/// the given samples, compared through `canon` (a canonical, order-free view of a partial).
#[cfg(test)]
pub(crate) fn check_laws<P, C, F>(samples: &[P], canon: F)
where
    P: Merge + Clone,
    C: PartialEq + std::fmt::Debug,
    F: Fn(&P) -> C,
{
    let merged = |a: &P, b: &P| {
        let mut x = a.clone();
        x.merge(b.clone());
        x
    };
    for a in samples {
        assert_eq!(canon(&merged(a, &P::default())), canon(a), "right identity");
        assert_eq!(canon(&merged(&P::default(), a)), canon(a), "left identity");
        for b in samples {
            assert_eq!(canon(&merged(a, b)), canon(&merged(b, a)), "commutativity");
            for c in samples {
                assert_eq!(
                    canon(&merged(&merged(a, b), c)),
                    canon(&merged(a, &merged(b, c))),
                    "associativity"
                );
            }
        }
    }
}
