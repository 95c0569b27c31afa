//! Hashing and comparing keys: the project's hasher, and byte tests tuned for short keys.

/// The project's hasher, with fixed seeds: a table is laid out the same in every run (the
/// output order never depends on it; emit sorts).
pub type FastHasher = foldhash::fast::FixedState;

/// A hash map with the project's hasher.
pub type FastMap<K, V> = hashbrown::HashMap<K, V, FastHasher>;

/// The hash of a key's bytes, as stored in a [`KeyedTable`]. It lives only in memory (tables,
/// a run's spill partitions); key partitions between processes use CRC-32 (`coverage.rs`).
#[inline]
pub fn key_hash(key: &[u8]) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    if let Some(short) = ShortKey::new(key) {
        return short.hash();
    }
    let mut h = FastHasher::default().build_hasher();
    h.write(key);
    h.finish()
}

/// A key of at most [`ShortKey::MAX`] bytes as two little-endian words, zero-padded, and its
/// length. Most words and captures are this short; hashing and comparing them as two words
/// takes no branch on their length (a length-dependent branch mispredicts on every other word
/// of a text), and a mapper can build one straight from its input (see `words`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShortKey {
    words: [u64; 2],
    len: u8,
}

impl ShortKey {
    /// The longest key a `ShortKey` holds.
    pub const MAX: usize = 16;

    /// `key` as a short key, if it is one.
    #[inline]
    pub fn new(key: &[u8]) -> Option<ShortKey> {
        if key.len() > Self::MAX {
            return None;
        }
        // Overlapping loads, no copy: a byte read twice lands at its own place both times.
        let n = key.len();
        let half =
            |at: usize| u64::from(u32::from_le_bytes(key[at..at + 4].try_into().expect("4")));
        let words = match n {
            0 => [0, 0],
            1..=3 => [
                u64::from(key[0])
                    | u64::from(key[n / 2]) << (8 * (n / 2))
                    | u64::from(key[n - 1]) << (8 * (n - 1)),
                0,
            ],
            4..=7 => [half(0) | half(n - 4) << (8 * (n - 4)), 0],
            8 => [word(key, 0), 0],
            _ => [word(key, 0), word(key, n - 8) >> (8 * (16 - n))],
        };
        Some(ShortKey::from_padded(words, n))
    }

    /// The key of `len` (at most 16) bytes whose zero-padded little-endian words are `words`:
    /// bytes past `len` must be zero (callers mask them with [`ShortKey::keep`]).
    #[inline(always)]
    pub fn from_padded(words: [u64; 2], len: usize) -> ShortKey {
        debug_assert!(len <= Self::MAX);
        debug_assert!(
            words
                == [
                    words[0] & Self::keep(len),
                    words[1] & Self::keep(len.saturating_sub(8))
                ]
        );
        ShortKey {
            words,
            len: len as u8,
        }
    }

    /// The mask of the low `n` bytes of a word (all of it from 8 on).
    #[inline(always)]
    pub fn keep(n: usize) -> u64 {
        if n >= 8 {
            u64::MAX
        } else {
            (1u64 << (n * 8)) - 1
        }
    }

    /// The key's hash: one folded multiply of the words, the length mixed into the seed.
    #[inline(always)]
    pub fn hash(&self) -> u64 {
        const SEED: [u64; 2] = [0x243f_6a88_85a3_08d3, 0x1319_8a2e_0370_7344];
        folded_multiply(
            self.words[0] ^ SEED[0].wrapping_add(u64::from(self.len)),
            self.words[1] ^ SEED[1],
        )
    }

    /// The two zero-padded words.
    #[inline(always)]
    pub fn words(&self) -> [u64; 2] {
        self.words
    }

    /// The key's length.
    #[inline(always)]
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// True for the empty key.
    #[inline(always)]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The key's bytes, zero-padded to 16.
    #[inline]
    pub fn padded(&self) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&self.words[0].to_le_bytes());
        b[8..].copy_from_slice(&self.words[1].to_le_bytes());
        b
    }
}

/// The little-endian word at `at` of `b`.
#[inline(always)]
fn word(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

/// The high and low halves of the 128-bit product, xored: the mixing step of foldhash.
#[inline(always)]
fn folded_multiply(a: u64, b: u64) -> u64 {
    let full = u128::from(a) * u128::from(b);
    (full as u64) ^ ((full >> 64) as u64)
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
