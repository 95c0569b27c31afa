//! The lines of a chunk, found 64 bytes at a time. A loop that needs every line of a chunk of
//! short lines (a log's 100–300 bytes) pays more for one `memchr` call per line (set-up, an
//! unaligned head, a tail) than for the search itself; a bit mask of the newlines of each
//! 64-byte block, consumed one set bit per line, costs a few instructions per line. The one
//! `unsafe` block is the SSE2 mask of a block (x86_64; elsewhere a plain loop).

use std::ops::Range;

/// The lines of `data`: the range of each, its `\n` included; a last line without one counts.
pub fn lines(data: &[u8]) -> Lines<'_> {
    let mut it = Lines {
        data,
        block: 0,
        mask: 0,
        start: 0,
    };
    it.mask = it.block_mask();
    it
}

/// Iterator of [`lines`].
pub struct Lines<'a> {
    data: &'a [u8],
    /// The start of the block `mask` covers.
    block: usize,
    /// The newlines of that block not yet returned, bit `i` for byte `block + i`.
    mask: u64,
    /// Where the next line starts.
    start: usize,
}

impl Lines<'_> {
    fn block_mask(&self) -> u64 {
        let rest = &self.data[self.block.min(self.data.len())..];
        match rest.first_chunk::<64>() {
            Some(block) => newlines(block),
            None => rest
                .iter()
                .enumerate()
                .fold(0, |m, (i, &b)| m | (u64::from(b == b'\n') << i)),
        }
    }
}

/// Bit `i` set when `block[i]` is `\n`: four 16-byte compares and mask extractions.
#[cfg(target_arch = "x86_64")]
#[inline]
fn newlines(block: &[u8; 64]) -> u64 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
    };
    let p = block.as_ptr().cast::<__m128i>();
    // SAFETY: SSE2 is part of every x86_64 target; each unaligned load reads 16 bytes at
    // 16 * i, i < 4, inside the 64 bytes of `block`.
    unsafe {
        let nl = _mm_set1_epi8(b'\n' as i8);
        let m = |i: usize| {
            let v = _mm_loadu_si128(p.add(i));
            u64::from(_mm_movemask_epi8(_mm_cmpeq_epi8(v, nl)) as u16)
        };
        m(0) | m(1) << 16 | m(2) << 32 | m(3) << 48
    }
}

/// Bit `i` set when `block[i]` is `\n`.
#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn newlines(block: &[u8; 64]) -> u64 {
    let mut mask = 0u64;
    for (i, &b) in block.iter().enumerate() {
        mask |= u64::from(b == b'\n') << i;
    }
    mask
}

impl Iterator for Lines<'_> {
    type Item = Range<usize>;

    #[inline]
    fn next(&mut self) -> Option<Range<usize>> {
        loop {
            if self.mask != 0 {
                let end = self.block + self.mask.trailing_zeros() as usize + 1;
                self.mask &= self.mask - 1;
                let start = std::mem::replace(&mut self.start, end);
                return Some(start..end);
            }
            if self.block + 64 >= self.data.len() {
                // No newline left: the last line, if it has no `\n`.
                let start = self.start;
                self.start = self.data.len();
                return (start < self.data.len()).then_some(start..self.data.len());
            }
            self.block += 64;
            self.mask = self.block_mask();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn by_memchr(data: &[u8]) -> Vec<Range<usize>> {
        let mut out = Vec::new();
        let mut pos = 0;
        while pos < data.len() {
            let end = memchr::memchr(b'\n', &data[pos..]).map_or(data.len(), |i| pos + i + 1);
            out.push(pos..end);
            pos = end;
        }
        out
    }

    #[test]
    fn lines_are_those_memchr_finds_for_every_length_and_layout() {
        // Newlines at every position around the 64-byte block edges, and none at all.
        let mut x = 7u64;
        for len in 0..300 {
            for density in [0, 1, 5, 40, 100] {
                let data: Vec<u8> = (0..len)
                    .map(|_| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        if (x % 100) < density {
                            b'\n'
                        } else {
                            b'a'
                        }
                    })
                    .collect();
                assert_eq!(
                    lines(&data).collect::<Vec<_>>(),
                    by_memchr(&data),
                    "{len} {density}"
                );
            }
        }
    }
}
