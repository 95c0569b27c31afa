//! Distinct values: an exact set (`--distinct`) and a HyperLogLog sketch in bounded memory
//! (`--approx-distinct`).
//!
//! The sketch hashes each value to 64 bits (foldhash's quality hasher with a fixed seed) and
//! keeps the exact set of hashes while it holds at most [`SPARSE_MAX`] of them; past that it
//! keeps `2^14` registers (16 KiB: a standard error of 0.81%). Both forms are functions of the
//! set of hashes seen, and a union of sets turns dense exactly when the union is large, so a
//! merged sketch is the same whatever the order and grouping. The dense estimate is Otmar
//! Ertl's improved estimator ("New cardinality estimation algorithms for HyperLogLog
//! sketches", 2017), which needs no bias tables and is accurate from small to huge counts.

use std::hash::BuildHasher;

use crate::aggregate::{FastHasher, Merge};

/// Exact distinct values.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct DistinctSet {
    /// Written sorted, so a partial's bytes do not depend on how it was merged.
    #[serde(serialize_with = "sorted")]
    set: hashbrown::HashSet<Box<[u8]>, FastHasher>,
}

/// Serializes a hash set in sorted order: the same set always gives the same bytes.
fn sorted<T: Ord + serde::Serialize, S: serde::Serializer>(
    set: &hashbrown::HashSet<T, FastHasher>,
    z: S,
) -> Result<S::Ok, S::Error> {
    let mut v: Vec<&T> = set.iter().collect();
    v.sort_unstable();
    z.collect_seq(v)
}

impl DistinctSet {
    /// Adds a value (copied only when new).
    #[inline]
    pub fn add(&mut self, v: &[u8]) {
        if !self.set.contains(v) {
            self.set.insert(v.into());
        }
    }

    /// How many distinct values were added.
    pub fn len(&self) -> u64 {
        self.set.len() as u64
    }

    /// True when no value was added.
    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }
}

impl Merge for DistinctSet {
    fn merge(&mut self, mut other: Self) {
        if other.set.len() > self.set.len() {
            std::mem::swap(self, &mut other);
        }
        self.set.extend(other.set);
    }
}

/// log2 of the number of registers.
const P: u32 = 14;
const M: usize = 1 << P;
/// Most hashes kept exactly before switching to registers.
pub const SPARSE_MAX: usize = 1024;

fn hash(v: &[u8]) -> u64 {
    foldhash::quality::FixedState::with_seed(0x6c6f_676d_696c_6c21).hash_one(v)
}

/// A HyperLogLog sketch with an exact sparse start.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Hll {
    /// Written sorted, like [`DistinctSet`]'s values.
    #[serde(serialize_with = "sorted")]
    sparse: hashbrown::HashSet<u64, FastHasher>,
    /// Empty until dense; then `M` registers.
    registers: Vec<u8>,
}

impl Hll {
    /// Adds a value.
    #[inline]
    pub fn add(&mut self, v: &[u8]) {
        self.add_hash(hash(v));
    }

    fn add_hash(&mut self, h: u64) {
        if self.registers.is_empty() {
            self.sparse.insert(h);
            if self.sparse.len() > SPARSE_MAX {
                self.densify();
            }
        } else {
            set_register(&mut self.registers, h);
        }
    }

    fn densify(&mut self) {
        self.registers = vec![0; M];
        for h in self.sparse.drain() {
            set_register(&mut self.registers, h);
        }
        self.sparse = Default::default();
    }

    /// The estimated number of distinct values (exact while sparse, barring hash collisions).
    pub fn estimate(&self) -> u64 {
        if self.registers.is_empty() {
            return self.sparse.len() as u64;
        }
        ertl_estimate(&self.registers).round() as u64
    }
}

fn set_register(registers: &mut [u8], h: u64) {
    let index = (h >> (64 - P)) as usize;
    // The rank of the remaining 50 bits: leading zeros + 1, at most 64 - P + 1.
    let rest = h << P;
    let rank = (rest.leading_zeros().min(64 - P) + 1) as u8;
    if registers[index] < rank {
        registers[index] = rank;
    }
}

/// Ertl's improved raw estimator (his algorithm 6).
fn ertl_estimate(registers: &[u8]) -> f64 {
    let q = (64 - P) as usize;
    let m = registers.len() as f64;
    let mut c = vec![0u64; q + 2];
    for &r in registers {
        c[r as usize] += 1;
    }
    let mut z = m * tau(1.0 - c[q + 1] as f64 / m);
    for k in (1..=q).rev() {
        z = 0.5 * (z + c[k] as f64);
    }
    z += m * sigma(c[0] as f64 / m);
    let alpha_inf = 1.0 / (2.0 * std::f64::consts::LN_2);
    alpha_inf * m * m / z
}

fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let mut y = 1.0;
    let mut z = x;
    loop {
        x *= x;
        let old = z;
        z += x * y;
        y += y;
        if z == old {
            return z;
        }
    }
}

fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let mut y = 1.0;
    let mut z = 1.0 - x;
    loop {
        x = x.sqrt();
        let old = z;
        y *= 0.5;
        z -= (1.0 - x).powi(2) * y;
        if z == old {
            return z / 3.0;
        }
    }
}

impl Merge for Hll {
    fn merge(&mut self, mut other: Self) {
        if !other.registers.is_empty() && self.registers.is_empty() {
            std::mem::swap(self, &mut other);
        }
        if other.registers.is_empty() {
            for h in other.sparse {
                self.add_hash(h);
            }
        } else {
            for (a, b) in self.registers.iter_mut().zip(&other.registers) {
                *a = (*a).max(*b);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialized_sets_do_not_depend_on_insertion_order() {
        let (mut a, mut b) = (DistinctSet::default(), DistinctSet::default());
        let (mut ha, mut hb) = (Hll::default(), Hll::default());
        let values: Vec<Vec<u8>> = (0..500u32).map(|i| i.to_string().into_bytes()).collect();
        for v in &values {
            a.add(v);
            ha.add(v);
        }
        for v in values.iter().rev() {
            b.add(v);
            hb.add(v);
        }
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            serde_json::to_string(&b).unwrap()
        );
        assert_eq!(
            serde_json::to_string(&ha).unwrap(),
            serde_json::to_string(&hb).unwrap()
        );
    }
    use crate::aggregate::check_laws;

    fn hll(range: std::ops::Range<u64>) -> Hll {
        let mut h = Hll::default();
        for i in range {
            h.add(format!("value-{i}").as_bytes());
        }
        h
    }

    fn canon(h: &Hll) -> (u64, Vec<u8>, Vec<u64>) {
        let mut s: Vec<u64> = h.sparse.iter().copied().collect();
        s.sort_unstable();
        (h.estimate(), h.registers.clone(), s)
    }

    #[test]
    fn laws_across_the_sparse_and_dense_forms() {
        let samples = vec![
            Hll::default(),
            hll(0..10),
            hll(5..900),
            hll(800..1500),
            hll(0..5000),
        ];
        check_laws(&samples, canon);
    }

    #[test]
    fn exact_while_small_and_close_when_large() {
        assert_eq!(hll(0..0).estimate(), 0);
        assert_eq!(hll(0..1000).estimate(), 1000);
        for n in [2_000u64, 20_000, 200_000] {
            let e = hll(0..n).estimate() as f64;
            let err = (e - n as f64).abs() / n as f64;
            // 0.81% standard error; 4 sigma.
            assert!(err < 0.033, "{n}: {e} ({err})");
        }
    }

    #[test]
    fn distinct_set_laws() {
        let set = |v: &[&str]| {
            let mut s = DistinctSet::default();
            v.iter().for_each(|x| s.add(x.as_bytes()));
            s
        };
        let samples = vec![
            set(&[]),
            set(&["a", "b"]),
            set(&["b", "c", ""]),
            set(&["a"]),
        ];
        check_laws(&samples, |s| {
            let mut v: Vec<Vec<u8>> = s.set.iter().map(|k| k.to_vec()).collect();
            v.sort();
            v
        });
        assert_eq!(set(&["a", "a", "b"]).len(), 2);
    }
}
