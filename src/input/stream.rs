//! Reading a non-seekable input in bounded blocks of whole lines. Each block is filled to about
//! the target size, cut after its last newline, and the unfinished line is carried into the next
//! block (after ripgrep's line buffer and frawk's chunk splitter). Memory stays at a few blocks
//! however long the input is; only a single line longer than a block makes one block grow.

use std::io::{self, Read};

use crate::chunk::Framing;

/// Turns a reader into blocks that each end at a line end (or at the end of input).
pub(crate) struct BlockReader<R> {
    reader: R,
    carry: Vec<u8>,
    target: usize,
    eof: bool,
    framing: Framing,
    max_line: usize,
}

impl<R: Read> BlockReader<R> {
    /// A block reader aiming at `target` bytes a block (at least 1).
    #[cfg(test)]
    pub(crate) fn new(reader: R, target: usize) -> Self {
        Self::framed(reader, target, Framing::Lines)
    }

    /// A block reader whose blocks end at record ends of `framing`.
    pub(crate) fn framed(reader: R, target: usize, framing: Framing) -> Self {
        BlockReader {
            reader,
            carry: Vec::new(),
            target: target.max(1),
            eof: false,
            framing,
            max_line: super::DEFAULT_MAX_LINE,
        }
    }

    /// Fails [`fill`](Self::fill) when one record grows past `max` bytes without ending, so an
    /// input with no newline (`/dev/zero`) or an unclosed CSV quote cannot exhaust memory.
    pub(crate) fn with_max_line(mut self, max: usize) -> Self {
        self.max_line = max;
        self
    }

    /// Fills `buf` (cleared first) with the next block. Returns false when the input is done.
    pub(crate) fn fill(&mut self, buf: &mut Vec<u8>) -> io::Result<bool> {
        buf.clear();
        buf.append(&mut self.carry);
        // Bytes before `scanned` are known to hold no newline.
        let mut scanned = 0;
        let mut need = self.target;
        loop {
            while !self.eof && buf.len() < need {
                let want = need - buf.len();
                buf.reserve(want);
                let n = (&mut self.reader).take(want as u64).read_to_end(buf)?;
                if n < want {
                    self.eof = true;
                }
            }
            if self.eof {
                return Ok(!buf.is_empty());
            }
            // Quoted framing needs the quote state from the block's start, so it rescans.
            let from = match self.framing {
                Framing::Lines => scanned,
                Framing::Quoted { .. } => 0,
            };
            let cut = self.framing.last_end(&buf[from..]);
            if cut > 0 {
                let cut = from + cut;
                self.carry.extend_from_slice(&buf[cut..]);
                buf.truncate(cut);
                return Ok(true);
            }
            // One line is longer than the block: read on until it ends, within the limit.
            if buf.len() > self.max_line {
                return Err(super::line_too_long(self.max_line));
            }
            scanned = buf.len();
            need = buf.len() + self.target;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that returns at most `step` bytes a call, as pipes do.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = self.step.min(out.len()).min(self.data.len());
            out[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    fn blocks(data: &[u8], target: usize, step: usize) -> Vec<Vec<u8>> {
        let mut r = BlockReader::new(Trickle { data, step }, target);
        let mut out = Vec::new();
        let mut buf = Vec::new();
        while r.fill(&mut buf).unwrap() {
            out.push(buf.clone());
        }
        out
    }

    #[test]
    fn blocks_end_on_newlines_and_cover_everything() {
        let data = b"one\ntwo two\n\nthree three three\r\nlast";
        for target in 1..data.len() + 3 {
            for step in [1, 2, 5, 64] {
                let bs = blocks(data, target, step);
                assert_eq!(bs.concat(), data, "target {target} step {step}");
                for b in &bs[..bs.len() - 1] {
                    assert_eq!(b.last(), Some(&b'\n'), "target {target} step {step}");
                }
                assert!(bs.iter().all(|b| !b.is_empty()));
            }
        }
    }

    #[test]
    fn long_line_grows_one_block() {
        let mut data = vec![b'x'; 1000];
        data.extend_from_slice(b"\nshort\n");
        let bs = blocks(&data, 16, 7);
        // The first block holds the whole long line (and any whole lines read with it).
        assert!(bs[0].len() >= 1001 && bs[0][1000] == b'\n');
        assert_eq!(bs[0].last(), Some(&b'\n'));
        assert_eq!(bs.concat(), data);
    }

    #[test]
    fn a_line_past_the_limit_is_an_error_not_a_growing_block() {
        let data = vec![0u8; 10_000];
        let mut r = BlockReader::new(
            Trickle {
                data: &data,
                step: 100,
            },
            64,
        )
        .with_max_line(1000);
        let mut buf = Vec::new();
        let e = r.fill(&mut buf).unwrap_err();
        assert!(e.to_string().contains("--max-line (1000 bytes)"), "{e}");
        assert!(buf.len() <= 1000 + 64, "read {} bytes", buf.len());
        // Within the limit the same line is one block.
        let mut r = BlockReader::new(
            Trickle {
                data: &data,
                step: 100,
            },
            64,
        )
        .with_max_line(10_000);
        assert!(r.fill(&mut buf).unwrap());
        assert_eq!(buf.len(), 10_000);
    }

    #[test]
    fn empty_input_has_no_blocks() {
        assert!(blocks(b"", 8, 3).is_empty());
    }
}
