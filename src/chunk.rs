//! Newline-aligned byte ranges. A chunk starts where the previous one ended and runs for about
//! `chunk_size` bytes, then on to the end of the line it is in, so no line is ever split and
//! every byte lands in exactly one chunk. Boundaries depend only on the bytes and the chunk size,
//! never on the number of threads.

use std::ops::Range;

/// Iterator over the newline-aligned chunks of a buffer, as byte ranges.
#[derive(Debug, Clone)]
pub struct Chunks<'a> {
    data: &'a [u8],
    pos: usize,
    size: usize,
}

/// Splits `data` into ranges of about `chunk_size` bytes (at least 1), each ending just after a
/// `\n` or at the end of `data`. A line longer than `chunk_size` stays whole in one chunk.
pub fn chunks(data: &[u8], chunk_size: usize) -> Chunks<'_> {
    Chunks {
        data,
        pos: 0,
        size: chunk_size.max(1),
    }
}

impl Iterator for Chunks<'_> {
    type Item = Range<usize>;

    fn next(&mut self) -> Option<Range<usize>> {
        let len = self.data.len();
        if self.pos >= len {
            return None;
        }
        let start = self.pos;
        let target = start.saturating_add(self.size);
        let end = if target >= len {
            len
        } else {
            // The chunk must end just past a newline at or after byte `target - 1`, so a chunk
            // of size 1 is exactly one line.
            match memchr::memchr(b'\n', &self.data[target - 1..]) {
                Some(i) => target + i,
                None => len,
            }
        };
        self.pos = end;
        Some(start..end)
    }
}

/// Where the last line of `data` ends, i.e. one past its last `\n` (0 if it has none). The
/// stream reader cuts a block there and carries the rest into the next block.
pub(crate) fn last_line_end(data: &[u8]) -> usize {
    memchr::memrchr(b'\n', data).map_or(0, |i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(data: &[u8], size: usize) -> Vec<&[u8]> {
        chunks(data, size).map(|r| &data[r]).collect()
    }

    #[test]
    fn size_one_gives_one_line_per_chunk() {
        assert_eq!(
            pieces(b"a\nbb\n\nccc", 1),
            vec![&b"a\n"[..], b"bb\n", b"\n", b"ccc"]
        );
    }

    #[test]
    fn long_line_stays_whole() {
        assert_eq!(
            pieces(b"0123456789\nab\n", 3),
            vec![&b"0123456789\n"[..], b"ab\n"]
        );
    }

    #[test]
    fn chunk_ending_on_newline_is_not_extended() {
        assert_eq!(pieces(b"ab\ncd\n", 3), vec![&b"ab\n"[..], b"cd\n"]);
    }

    #[test]
    fn empty_input_has_no_chunks() {
        assert!(pieces(b"", 4).is_empty());
    }

    #[test]
    fn concatenation_gives_the_input_back() {
        let data = b"x\r\nyy\n\n\nzzzz\nlast line without newline";
        for size in 1..data.len() + 2 {
            let joined: Vec<u8> = pieces(data, size).concat();
            assert_eq!(joined, data, "size {size}");
            for p in &pieces(data, size)[..pieces(data, size).len() - 1] {
                assert_eq!(p.last(), Some(&b'\n'), "size {size}");
            }
        }
    }

    #[test]
    fn last_line_end_finds_the_cut() {
        assert_eq!(last_line_end(b"ab\ncd"), 3);
        assert_eq!(last_line_end(b"abcd"), 0);
        assert_eq!(last_line_end(b"ab\n"), 3);
    }
}
