//! Hashing and comparing keys: the project's hasher, and byte tests tuned for short keys.

/// run (the output order never depends on it; emit sorts).
pub type FastHasher = foldhash::fast::FixedState;

/// A hash map with the project's hasher.
pub type FastMap<K, V> = hashbrown::HashMap<K, V, FastHasher>;

/// The hash of a key's bytes, as stored in a [`KeyedTable`].
#[inline]
pub fn key_hash(key: &[u8]) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = FastHasher::default().build_hasher();
    h.write(key);
    h.finish()
}

/// Byte equality tuned for short keys: words and captures are mostly under 16 bytes, where a
/// call into libc's `memcmp` costs more than the comparison.
#[inline(always)]
pub(crate) fn key_eq(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    #[inline(always)]
    fn word(s: &[u8], at: usize) -> u64 {
        u64::from_le_bytes(s[at..at + 8].try_into().expect("8 bytes"))
    }
    #[inline(always)]
    fn half(s: &[u8], at: usize) -> u32 {
        u32::from_le_bytes(s[at..at + 4].try_into().expect("4 bytes"))
    }
    match n {
        0 => true,
        1..=3 => a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1],
        4..=7 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        _ => a == b,
    }
}

/// The first eight bytes of a key as a big-endian number (zero-padded): it orders keys as
/// their bytes do, except that ties need the rest of the keys, so comparing prefixes first
/// orders most keys without touching their bytes again.
#[inline]
pub(crate) fn key_prefix(key: &[u8]) -> u64 {
    if key.len() >= 8 {
        u64::from_be_bytes(key[..8].try_into().expect("8 bytes"))
    } else {
        let mut b = [0u8; 8];
        b[..key.len()].copy_from_slice(key);
        u64::from_be_bytes(b)
    }
}
