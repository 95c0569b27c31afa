//! Reading a non-seekable input in bounded blocks of whole lines. Each block is filled to about
//! the target size, cut after its last newline, and the unfinished line is carried into the next
//! block (after ripgrep's line buffer and frawk's chunk splitter). Memory stays at a few blocks
//! however long the input is; only a single line longer than a block makes one block grow.
//! A block's buffer grows with the bytes actually read, never to the target size up front, so a
//! huge `--chunk-size` on a small input costs nothing, and memory that cannot be had is an
//! error, not an abort. Every record of every block is held to `--max-line`, exactly.

use std::io::{self, Read};

use crate::chunk::{last_line_end, Framing, RecordScan};

/// The most bytes read into a block at a time: the buffer grows by at most this much a read.
const READ_STEP: usize = 1 << 20;

/// Reads until `out` is full or the input ends; returns how many bytes were read. Reading into
/// initialized bytes in place is what `read_to_end` is not: it zeroes its spare capacity first.
pub(super) fn read_into(reader: &mut (impl Read + ?Sized), out: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < out.len() {
        match reader.read(&mut out[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

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
        // A recycled block's bytes up to its old length are initialized: reads go into them in
        // place, where `read_to_end` would zero its spare capacity before every read (a memset
        // of every block of a decompressed stream, on the thread that inflates it).
        let mut filled = self.carry.len();
        if filled <= buf.len() {
            buf[..filled].copy_from_slice(&self.carry);
        } else {
            buf.clear();
            buf.extend_from_slice(&self.carry);
        }
        self.carry.clear();
        let stop = self.target.min(buf.len());
        while !self.eof && filled < stop {
            let want = (stop - filled).min(READ_STEP);
            let n = read_into(&mut self.reader, &mut buf[filled..filled + want])?;
            filled += n;
            if n < want {
                self.eof = true;
            }
        }
        buf.truncate(filled);
        // Bytes before `scanned` are known to hold no newline.
        let mut scanned = 0;
        let mut need = self.target;
        loop {
            while !self.eof && buf.len() < need {
                let want = (need - buf.len()).min(READ_STEP);
                buf.try_reserve(want).map_err(|_| {
                    io::Error::new(
                        io::ErrorKind::OutOfMemory,
                        format!(
                            "out of memory for a block of {} bytes; lower --chunk-size or \
                             --max-line",
                            buf.len() + want
                        ),
                    )
                })?;
                let n = (&mut self.reader).take(want as u64).read_to_end(buf)?;
                if n < want {
                    self.eof = true;
                }
            }
            if self.eof {
                self.check_records(buf)?;
                return Ok(!buf.is_empty());
            }
            // Quoted framing needs the quote state from the block's start, so it rescans;
            // record framing looks back from the end, down to the lines it has seen.
            let (from, cut) = match self.framing {
                Framing::Lines => (scanned, self.framing.last_end(&buf[scanned..])),
                Framing::Quoted { .. } => (0, self.framing.last_end(buf)),
                Framing::Records(rule) => (0, rule.last_complete_start(buf, scanned)),
            };
            if cut > 0 {
                let cut = from + cut;
                self.carry.extend_from_slice(&buf[cut..]);
                buf.truncate(cut);
                self.check_records(buf)?;
                return Ok(true);
            }
            // One line (record) is longer than the block: read on until it ends, within the
            // limit.
            if buf.len() > self.max_line {
                return Err(super::line_too_long(self.max_line));
            }
            scanned = match self.framing {
                // Every complete line but the first has been looked at: only the last,
                // unfinished line is new next time.
                Framing::Records(_) => last_line_end(buf).saturating_sub(1),
                _ => buf.len(),
            };
            need = buf.len() + self.target;
        }
    }

    /// Fails if a record of `block` (without its final `\n`) is longer than `max_line`. A
    /// block no longer than the limit cannot hold such a record, so only longer ones are
    /// scanned.
    fn check_records(&self, block: &[u8]) -> io::Result<()> {
        if block.len() <= self.max_line {
            return Ok(());
        }
        let too_long = |start: usize, end: usize| {
            let len = end - start - usize::from(end > start && block[end - 1] == b'\n');
            len > self.max_line
        };
        let mut start = 0;
        match self.framing {
            Framing::Lines => {
                for i in memchr::memchr_iter(b'\n', block) {
                    if too_long(start, i + 1) {
                        return Err(super::line_too_long(self.max_line));
                    }
                    start = i + 1;
                }
                if too_long(start, block.len()) {
                    return Err(super::line_too_long(self.max_line));
                }
            }
            Framing::Records(rule) => {
                for r in rule.records(block) {
                    if too_long(r.start, r.end) {
                        return Err(super::line_too_long(self.max_line));
                    }
                }
            }
            Framing::Quoted { delimiter } => {
                let scan = RecordScan::new(delimiter);
                while start < block.len() {
                    let end = scan.end_at_or_after(block, start, start + 1);
                    if too_long(start, end) {
                        return Err(super::line_too_long(self.max_line));
                    }
                    start = end;
                }
            }
        }
        Ok(())
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

    /// A recycled block, whatever it held and however long, gives the blocks a new one does.
    #[test]
    fn recycled_blocks_of_any_length_give_the_same_blocks() {
        let data = b"alpha\nbe\n\ngamma gamma gamma\r\ndelta\nlast line without end";
        for target in 1..data.len() + 3 {
            for step in [1, 3, 64] {
                let fresh = {
                    let mut r = BlockReader::new(Trickle { data, step }, target);
                    let mut out = Vec::new();
                    loop {
                        let mut buf = Vec::new();
                        if !r.fill(&mut buf).unwrap() {
                            break out;
                        }
                        out.push(buf);
                    }
                };
                for junk in [1, target.saturating_sub(1), target, 3 * target + 7] {
                    let mut r = BlockReader::new(Trickle { data, step }, target);
                    let mut out = Vec::new();
                    loop {
                        let mut buf = vec![b'#'; junk + out.len()];
                        if !r.fill(&mut buf).unwrap() {
                            break;
                        }
                        out.push(buf);
                    }
                    assert_eq!(out, fresh, "target {target} step {step} junk {junk}");
                }
            }
        }
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
    fn max_line_is_exact_whatever_the_block_size() {
        let mut data = b"short\n".to_vec();
        data.extend(vec![b'x'; 100]);
        data.extend_from_slice(b"\nend\n");
        for target in [1, 7, 64, 100, 101, 4096] {
            for (max, ok) in [(99, false), (100, true)] {
                let mut r = BlockReader::new(
                    Trickle {
                        data: &data,
                        step: 13,
                    },
                    target,
                )
                .with_max_line(max);
                let mut buf = Vec::new();
                let res = (|| {
                    while r.fill(&mut buf)? {}
                    Ok::<_, io::Error>(())
                })();
                assert_eq!(res.is_ok(), ok, "target {target} max {max}: {res:?}");
            }
        }
        // The last line without a newline counts too, and quoted records are measured whole.
        let f = Framing::Quoted { delimiter: b',' };
        let csv = b"a,b\n\"1\n2\",3\n";
        for (max, ok) in [(6, false), (7, true)] {
            let mut r = BlockReader::framed(&csv[..], 4096, f).with_max_line(max);
            let mut buf = Vec::new();
            assert_eq!(r.fill(&mut buf).is_ok(), ok, "max {max}");
        }
        let mut r = BlockReader::new(&b"ab\nabc"[..], 4096).with_max_line(2);
        assert!(r.fill(&mut Vec::new()).is_err());
    }

    #[test]
    fn a_huge_target_does_not_allocate_up_front() {
        let mut r = BlockReader::new(&b"hi\n"[..], 1 << 40);
        let mut buf = Vec::new();
        assert!(r.fill(&mut buf).unwrap());
        assert_eq!(buf, b"hi\n");
        assert!(buf.capacity() <= READ_STEP);
    }

    #[test]
    fn record_blocks_start_at_record_starts_and_carry_unfinished_records() {
        let rule = crate::chunk::RecordSpec::Preset(crate::chunk::Preset::Python)
            .rule()
            .unwrap();
        let f = Framing::Records(rule);
        let data = b"a\nTraceback (most recent call last):\n  x\nKeyError: 1\nb\n c\n\nd\n  e";
        let whole: Vec<&[u8]> = rule.records(data).map(|r| &data[r]).collect();
        assert_eq!(whole.len(), 3, "{whole:?}");
        for target in 1..data.len() + 2 {
            for step in [1, 3, 64] {
                let mut r = BlockReader::framed(Trickle { data, step }, target, f);
                let mut got: Vec<Vec<u8>> = Vec::new();
                let mut buf = Vec::new();
                while r.fill(&mut buf).unwrap() {
                    got.extend(rule.records(&buf).map(|x| buf[x].to_vec()));
                }
                assert_eq!(got, whole, "target {target} step {step}");
            }
        }
    }

    #[test]
    fn empty_input_has_no_blocks() {
        assert!(blocks(b"", 8, 3).is_empty());
    }
}
