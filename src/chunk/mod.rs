//! Newline-aligned byte ranges. A chunk starts where the previous one ended and runs for about
//! `chunk_size` bytes, then on to the end of the line it is in, so no line is ever split and
//! every byte lands in exactly one chunk. Boundaries depend only on the bytes and the chunk size,
//! never on the number of threads.
//!
//! A job whose records may span lines (CSV with quoted newlines) asks for [`Framing::Quoted`]:
//! chunks then end only at newlines outside quoted fields, found by a sequential scan that
//! follows the csv crate's quoting rules (see [`RecordScan`]).
//!
//! Multi-line records (`--records`, `--record-start`) use [`Framing::Records`]: chunks end at
//! the first record start at or after the target size (see [`records`]).

pub mod lines;
pub mod records;

use std::ops::Range;

pub use records::{Preset, RecordRule, RecordSpec};

/// Where records end, and so where chunks and stream blocks may be cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Framing {
    /// Every `\n` ends a record.
    #[default]
    Lines,
    /// CSV as the csv crate reads it (RFC 4180 quoting with `""` escapes): a `\n` inside a
    /// quoted field does not end the record.
    Quoted {
        /// The field delimiter (a quote right after it opens a quoted field).
        delimiter: u8,
    },
    /// Records of one or more lines, each begun by a line the rule says starts one.
    Records(&'static RecordRule),
}

impl Framing {
    /// One past the end of the first record of `data` (the input's header, for jobs that have
    /// one), or `data.len()`. Under [`Framing::Quoted`], leading blank lines are skipped first,
    /// as the csv crate skips them.
    pub fn head_end(self, data: &[u8]) -> usize {
        match self {
            Framing::Lines => memchr::memchr(b'\n', data).map_or(data.len(), |i| i + 1),
            Framing::Quoted { delimiter } => {
                let start = data
                    .iter()
                    .position(|&b| b != b'\n' && b != b'\r')
                    .unwrap_or(data.len());
                RecordScan::new(delimiter).end_at_or_after(data, start, start + 1)
            }
            Framing::Records(rule) => rule.start_at_or_after(data, 1),
        }
    }

    /// One past the last record end in `data` (0 if none): where a stream block is cut.
    pub fn last_end(self, data: &[u8]) -> usize {
        match self {
            Framing::Lines => last_line_end(data),
            Framing::Quoted { delimiter } => RecordScan::new(delimiter).last_end(data),
            Framing::Records(rule) => rule.last_complete_start(data, 0),
        }
    }

    /// The first place at or after `pos` where a record may start (0 stays 0): where a shard
    /// of the input begins. Under [`Framing::Quoted`] this is a line start (shards of CSV cut
    /// at lines, as before).
    pub fn boundary_at(self, data: &[u8], pos: usize) -> usize {
        match self {
            Framing::Records(rule) => rule.start_at_or_after(data, pos),
            _ => line_start_at(data, pos),
        }
    }

    /// How many records `data` holds (it starts at a record start and ends at a record end or
    /// the input's end): lines, CSV records (a `\n` inside quotes ends none), or multi-line
    /// records. A last record without its `\n` counts too. Summed over the chunks of an
    /// input, this is the input's record count whatever the chunk size.
    pub fn count_records(self, data: &[u8]) -> u64 {
        match self {
            Framing::Lines => {
                let ends = memchr::memchr_iter(b'\n', data).count() as u64;
                ends + u64::from(data.last().is_some_and(|&b| b != b'\n'))
            }
            Framing::Quoted { delimiter } => {
                let scan = RecordScan::new(delimiter);
                let ends = scan.count_ends(data);
                ends + u64::from(scan.last_end(data) < data.len())
            }
            Framing::Records(rule) => rule.records(data).count() as u64,
        }
    }

    /// The record rule, under [`Framing::Records`].
    pub fn record_rule(self) -> Option<&'static RecordRule> {
        match self {
            Framing::Records(rule) => Some(rule),
            _ => None,
        }
    }
}

/// The first line start at or after `pos`: 0, or just past a `\n` (the length if none).
fn line_start_at(data: &[u8], pos: usize) -> usize {
    if pos == 0 {
        return 0;
    }
    match memchr::memchr(b'\n', &data[pos - 1..]) {
        Some(i) => pos + i,
        None => data.len(),
    }
}

/// How many first lines of an input a mapper's sample holds at most (see [`sample_end`]).
pub const SAMPLE_LINES: usize = 64;
/// How many bytes a sample holds at most.
pub const SAMPLE_BYTES: usize = 64 << 10;

/// One past the end of an input's sample in `data` (its start): its first [`SAMPLE_LINES`]
/// lines, cut after the last whole line within [`SAMPLE_BYTES`] (or at that size when the
/// first line is longer).
pub fn sample_end(data: &[u8]) -> usize {
    let cap = &data[..data.len().min(SAMPLE_BYTES)];
    let mut end = 0;
    for (n, i) in memchr::memchr_iter(b'\n', cap).enumerate() {
        end = i + 1;
        if n + 1 == SAMPLE_LINES {
            return end;
        }
    }
    if data.len() <= SAMPLE_BYTES {
        data.len()
    } else if end == 0 {
        cap.len()
    } else {
        end
    }
}

/// A scan for record ends under CSV quoting, following csv-core's reader (quoting on, doubled
/// quotes as escapes, no escape byte, `\r`, `\n` or `\r\n` as terminators): a `"` opens a
/// quoted field only at the start of a field (the start of the data, or right after the
/// delimiter, `\r` or `\n`); elsewhere it is a literal byte. Inside a quoted field everything
/// up to the next `"` is data; after it, a second `"` is an escaped quote and anything else
/// continues the field unquoted. A `\n` outside quoted fields always ends a record. Quotes are
/// found with memchr, so unquoted text is scanned at memchr speed.
#[derive(Debug, Clone, Copy)]
pub struct RecordScan {
    delimiter: u8,
}

/// Where a [`RecordScan`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ScanState {
    /// Outside quotes; `field_start` when the next byte starts a field.
    Out { field_start: bool },
    /// Inside a quoted field.
    Quoted,
    /// Just after a `"` that was inside a quoted field.
    AfterQuote,
}

impl RecordScan {
    /// A scan for CSV with this delimiter.
    pub fn new(delimiter: u8) -> RecordScan {
        RecordScan { delimiter }
    }

    /// Scans `data` from `start` (a record start) and calls `region(from, to)` for each run of
    /// bytes outside quoted fields, in order, until `region` returns `Some`, which is returned.
    fn walk(
        &self,
        data: &[u8],
        start: usize,
        mut region: impl FnMut(usize, usize) -> Option<usize>,
    ) -> Option<usize> {
        let mut i = start;
        let mut state = ScanState::Out { field_start: true };
        loop {
            match state {
                ScanState::Out { field_start } => {
                    let mut p = i;
                    // Find the next quote that opens a quoted field; others are literal.
                    let open = loop {
                        match memchr::memchr(b'"', &data[p..]) {
                            None => break None,
                            Some(k) => {
                                let q = p + k;
                                let opens = if q == i {
                                    field_start
                                } else {
                                    let prev = data[q - 1];
                                    prev == self.delimiter || prev == b'\n' || prev == b'\r'
                                };
                                if opens {
                                    break Some(q);
                                }
                                p = q + 1;
                            }
                        }
                    };
                    let to = open.unwrap_or(data.len());
                    if let Some(r) = region(i, to) {
                        return Some(r);
                    }
                    match open {
                        None => return None,
                        Some(q) => {
                            i = q + 1;
                            state = ScanState::Quoted;
                        }
                    }
                }
                ScanState::Quoted => match memchr::memchr(b'"', &data[i..]) {
                    None => return None,
                    Some(k) => {
                        i += k + 1;
                        state = ScanState::AfterQuote;
                    }
                },
                ScanState::AfterQuote => match data.get(i) {
                    None => return None,
                    Some(b'"') => {
                        i += 1;
                        state = ScanState::Quoted;
                    }
                    // Not a quote: the field goes on unquoted (or the delimiter or a terminator
                    // ends it); either way the byte is looked at again outside quotes.
                    Some(_) => state = ScanState::Out { field_start: false },
                },
            }
        }
    }

    /// The first record end (one past a `\n` outside quoted fields) at or after `target`,
    /// scanning from `start`, a record start; `data.len()` if there is none.
    pub fn end_at_or_after(&self, data: &[u8], start: usize, target: usize) -> usize {
        let from = target.saturating_sub(1).max(start);
        self.walk(data, start, |a, b| {
            let a = a.max(from);
            if a >= b {
                return None;
            }
            memchr::memchr(b'\n', &data[a..b]).map(|k| a + k + 1)
        })
        .unwrap_or(data.len())
    }

    /// How many `\n` outside quoted fields `data` (which starts at a record start) holds: its
    /// complete records.
    pub fn count_ends(&self, data: &[u8]) -> u64 {
        let mut n = 0u64;
        self.walk(data, 0, |a, b| {
            n += memchr::memchr_iter(b'\n', &data[a..b]).count() as u64;
            None::<usize>
        });
        n
    }

    /// One past the last `\n` outside quoted fields in `data`, which starts at a record start;
    /// 0 if there is none.
    pub fn last_end(&self, data: &[u8]) -> usize {
        let mut last = 0;
        self.walk(data, 0, |a, b| {
            if let Some(k) = memchr::memrchr(b'\n', &data[a..b]) {
                last = a + k + 1;
            }
            None
        });
        last
    }
}

/// Iterator over the newline-aligned chunks of a buffer, as byte ranges.
#[derive(Debug, Clone)]
pub struct Chunks<'a> {
    data: &'a [u8],
    pos: usize,
    size: usize,
    framing: Framing,
}

/// Splits `data` into ranges of about `chunk_size` bytes (at least 1), each ending just after a
/// `\n` or at the end of `data`. A line longer than `chunk_size` stays whole in one chunk.
pub fn chunks(data: &[u8], chunk_size: usize) -> Chunks<'_> {
    framed_chunks(data, chunk_size, Framing::Lines)
}

/// Like [`chunks`], with each range ending at a record end of `framing`. Under
/// [`Framing::Quoted`] the scan is sequential from the start of `data`, so the iterator
/// should be consumed in order (as the engine does).
pub fn framed_chunks(data: &[u8], chunk_size: usize, framing: Framing) -> Chunks<'_> {
    Chunks {
        data,
        pos: 0,
        size: chunk_size.max(1),
        framing,
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
        } else if let Framing::Quoted { delimiter } = self.framing {
            RecordScan::new(delimiter).end_at_or_after(self.data, start, target)
        } else if let Framing::Records(rule) = self.framing {
            rule.start_at_or_after(self.data, target)
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
    fn records_counted_over_chunks_are_the_records_of_the_whole() {
        use super::records::{Preset, RecordSpec};
        let indented = RecordSpec::Preset(Preset::Indented).rule().unwrap();
        let cases: [(Framing, &[u8], u64); 6] = [
            (Framing::Lines, b"a\nbb\n\nccc", 4),
            (Framing::Lines, b"a\nbb\n", 2),
            (Framing::Lines, b"", 0),
            (
                Framing::Quoted { delimiter: b',' },
                b"h,i\n1,\"x\ny\"\n2,\"\"\"\n\"\n3",
                4,
            ),
            (Framing::Records(indented), b"a\n  b\n  c\nd\ne\n  f", 3),
            (Framing::Records(indented), b"a\n  b\n", 1),
        ];
        for (framing, data, want) in cases {
            assert_eq!(framing.count_records(data), want, "{data:?}");
            for size in 1..=data.len().max(1) {
                let n: u64 = framed_chunks(data, size, framing)
                    .map(|r| framing.count_records(&data[r]))
                    .sum();
                assert_eq!(n, want, "{data:?} in chunks of {size}");
            }
        }
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

    /// The records the csv crate reads from `data`, each as its fields.
    fn csv_records(data: &[u8]) -> Vec<Vec<Vec<u8>>> {
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(data);
        r.byte_records()
            .map(|rec| rec.unwrap().iter().map(<[u8]>::to_vec).collect())
            .collect()
    }

    #[test]
    fn quoted_framing_keeps_quoted_newlines_inside_chunks() {
        let data = b"a,\"x\ny\",b\n\"q\"\"\n\"\r\nz\"w\n\n,\"\n\"\n";
        let f = Framing::Quoted { delimiter: b',' };
        let pieces: Vec<&[u8]> = framed_chunks(data, 1, f).map(|r| &data[r]).collect();
        assert_eq!(
            pieces,
            vec![
                &b"a,\"x\ny\",b\n"[..],
                b"\"q\"\"\n\"\r\n",
                b"z\"w\n",
                b"\n",
                b",\"\n\"\n"
            ]
        );
        assert_eq!(f.head_end(b"\r\n\n\"h\n1\",h2\nx\n"), 12);
        assert_eq!(f.last_end(b"a\n\"b\nc"), 2);
        assert_eq!(f.last_end(b"a\"b\nc"), 4);
    }

    proptest::proptest! {
        /// Reading each chunk on its own gives the records of reading the whole, for any chunk
        /// size and any bytes (malformed quoting included): the cuts follow csv-core.
        #[test]
        fn quoted_chunks_read_like_the_whole(
            parts in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::strategy::Just(&b"a"[..]),
                    proptest::strategy::Just(&b"\""[..]),
                    proptest::strategy::Just(&b","[..]),
                    proptest::strategy::Just(&b"\n"[..]),
                    proptest::strategy::Just(&b"\r"[..]),
                    proptest::strategy::Just(&b"\"\""[..]),
                    proptest::strategy::Just(&b";"[..]),
                ],
                0..40,
            ),
            size in 1usize..12,
        ) {
            let data: Vec<u8> = parts.concat();
            let f = Framing::Quoted { delimiter: b',' };
            let whole = csv_records(&data);
            let mut pieces = Vec::new();
            for r in framed_chunks(&data, size, f) {
                pieces.extend(csv_records(&data[r]));
            }
            proptest::prop_assert_eq!(pieces, whole);
            // A stream block is cut at the last record end: the same cuts.
            let cut = f.last_end(&data);
            let mut halves = csv_records(&data[..cut]);
            halves.extend(csv_records(&data[cut..]));
            proptest::prop_assert_eq!(halves, csv_records(&data));
        }
    }
}
