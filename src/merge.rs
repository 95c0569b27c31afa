//! Partial aggregates and their merge. A partial has an identity (`Default`) and a `merge` that
//! is exactly associative and commutative, so partials can be combined in any grouping and any
//! order — across chunks, threads, processes or days — and give the same bytes out. That is
//! why every state here is integral: floating-point addition is neither.

use serde::{Deserialize, Serialize};

/// A partial aggregate: `Default` is the identity and `merge` folds another partial in.
///
/// Laws (checked by the tests below for every implementation): `a.merge(Default)` is `a`;
/// merging is associative and commutative.
pub trait Merge: Default + Send {
    /// Folds `other` into `self`.
    fn merge(&mut self, other: Self);
}

impl Merge for u64 {
    #[inline]
    fn merge(&mut self, other: Self) {
        *self += other;
    }
}

impl<T: Merge> Merge for Option<T> {
    fn merge(&mut self, other: Self) {
        match (self.as_mut(), other) {
            (_, None) => {}
            (None, Some(o)) => *self = Some(o),
            (Some(s), Some(o)) => s.merge(o),
        }
    }
}

/// Position-wise merge; the shorter vector is padded with identities. Used for per-input
/// partials, where position `i` belongs to input `i`.
impl<T: Merge> Merge for Vec<T> {
    fn merge(&mut self, other: Self) {
        if other.len() > self.len() {
            self.resize_with(other.len(), T::default);
        }
        for (s, o) in self.iter_mut().zip(other) {
            s.merge(o);
        }
    }
}

/// The hasher of every keyed table: fast, non-cryptographic, and seeded the same way every run
/// (the output order never depends on it; emit sorts).
pub type FastHasher = foldhash::fast::FixedState;

/// A hash map with the project's hasher.
pub type FastMap<K, V> = hashbrown::HashMap<K, V, FastHasher>;

/// A key (arbitrary bytes, not necessarily UTF-8) mapped to a mergeable state. Words, regex
/// captures and group-by fields all become keys of one of these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound(
    serialize = "S: Serialize",
    deserialize = "S: Deserialize<'de> + Default"
))]
pub struct KeyedTable<S> {
    map: FastMap<Box<[u8]>, S>,
}

impl<S> Default for KeyedTable<S> {
    fn default() -> Self {
        KeyedTable {
            map: FastMap::default(),
        }
    }
}

impl<S: Default> KeyedTable<S> {
    /// The state for `key`, inserted as the identity first if absent. The key is copied only
    /// on first insert.
    #[inline]
    pub fn entry(&mut self, key: &[u8]) -> &mut S {
        self.map.entry_ref(key).or_default()
    }
}

impl<S> KeyedTable<S> {
    /// How many distinct keys the table holds.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when no key has been seen.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The state for `key`, if present.
    pub fn get(&self, key: &[u8]) -> Option<&S> {
        self.map.get(key)
    }

    /// All keys and states, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &S)> {
        self.map.iter().map(|(k, v)| (&**k, v))
    }

    /// Consumes the table into its keys and states, in no particular order.
    pub fn into_entries(self) -> impl Iterator<Item = (Box<[u8]>, S)> {
        self.map.into_iter()
    }
}

impl<S: Merge> Merge for KeyedTable<S> {
    fn merge(&mut self, mut other: Self) {
        // Fold the smaller table into the larger: fewer inserts, fewer key copies.
        if other.map.len() > self.map.len() {
            std::mem::swap(self, &mut other);
        }
        self.map.reserve(other.map.len().min(self.map.capacity()));
        for (k, v) in other.map {
            match self.map.get_mut(&k) {
                Some(s) => s.merge(v),
                None => {
                    self.map.insert(k, v);
                }
            }
        }
    }
}

impl<K: AsRef<[u8]>, S: Merge> FromIterator<(K, S)> for KeyedTable<S> {
    fn from_iter<I: IntoIterator<Item = (K, S)>>(iter: I) -> Self {
        let mut t: KeyedTable<S> = KeyedTable::default();
        for (k, s) in iter {
            t.entry(k.as_ref()).merge(s);
        }
        t
    }
}

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

/// A canonical, sorted view of a table, for comparisons in tests.
#[cfg(test)]
pub(crate) fn sorted_entries<S: Clone + Ord>(t: &KeyedTable<S>) -> Vec<(Vec<u8>, S)> {
    let mut v: Vec<_> = t.iter().map(|(k, s)| (k.to_vec(), s.clone())).collect();
    v.sort();
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn table(pairs: &[(&str, u64)]) -> KeyedTable<u64> {
        let mut t = KeyedTable::default();
        for (k, c) in pairs {
            *t.entry(k.as_bytes()) += c;
        }
        t
    }

    #[test]
    fn keyed_table_laws() {
        let samples = vec![
            table(&[]),
            table(&[("a", 1), ("b", 2)]),
            table(&[("b", 5), ("c", 1), ("\u{e9}", 3)]),
            table(&[("a", 7)]),
        ];
        check_laws(&samples, sorted_entries);
    }

    #[test]
    fn vec_and_option_laws() {
        let vs: Vec<Vec<u64>> = vec![vec![], vec![1], vec![2, 3], vec![0, 0, 9]];
        check_laws(&vs, |v: &Vec<u64>| {
            let mut v = v.clone();
            while v.last() == Some(&0) {
                v.pop();
            }
            v
        });
        let os: Vec<Option<u64>> = vec![None, Some(0), Some(4)];
        check_laws(&os, |o: &Option<u64>| *o);
    }

    #[test]
    fn merge_all_sums_everything() {
        for n in 0..9u64 {
            let parts: Vec<u64> = (1..=n).collect();
            assert_eq!(merge_all(parts), n * (n + 1) / 2);
        }
    }

    proptest! {
        #[test]
        fn merge_equals_counting_everything_at_once(
            a in proptest::collection::vec(0u8..6, 0..40),
            b in proptest::collection::vec(0u8..6, 0..40),
        ) {
            let count = |xs: &[u8]| {
                let mut t = KeyedTable::<u64>::default();
                for x in xs { *t.entry(&[*x]) += 1; }
                t
            };
            let mut m = count(&a);
            m.merge(count(&b));
            let all: Vec<u8> = a.iter().chain(&b).copied().collect();
            prop_assert_eq!(sorted_entries(&m), sorted_entries(&count(&all)));
        }
    }
}
