//! Where the members of a multi-member gzip file and the frames of a zstd file lie, and how one
//! run of them is decoded: the planning and the work of `parallel.rs`.
//!
//! zstd frames carry their sizes, so a walk of the frame headers finds every frame exactly
//! (skippable frames too: pzstd's size notes and the seek table of the seekable format). A
//! gzip member does not say how long it is, except in the BGZF extra field (bgzip): other
//! member starts (`cat a.gz b.gz`) are only *candidates*, places where the three bytes of a
//! gzip header occur. A candidate is a guess the decoding checks: a run of members is decoded
//! from a start until the member that crosses its planned end is finished, and the reader uses
//! a run only when it starts exactly where the one before it ended. A candidate inside a
//! member (compressed bytes that happen to look like a header) is therefore never decoded into
//! the output.

use std::io::{self, Read};
use std::ops::Range;
use std::sync::Mutex;

use super::decompress::Compression;
use super::stream::read_into;

/// Bytes of decoded output a run of members is planned to have by default: enough to keep a
/// decoder busy, few enough that the runs decoded ahead stay small (see `parallel.rs`).
pub(crate) const RUN_DECODED: u64 = 4 << 20;

/// The size of a decoded block handed from a decoder to the reader.
pub(crate) const BLOCK: usize = 256 << 10;

/// The most a deflate stream can expand (a run of one repeated byte): caps a size hint read
/// from bytes that may not be a real gzip trailer.
const DEFLATE_MAX_RATIO: u64 = 1032;

/// The runs of members or frames of `data` (a whole compressed file) to decode, in order,
/// covering it, each of about `run_decoded` bytes of output; `None` when it is one member
/// (nothing to gain from more than one decoder). A file of a few small members is one run,
/// still decoded here, so that its errors name the member whatever -j is.
pub(crate) fn plan(kind: Compression, data: &[u8], run_decoded: u64) -> Option<Vec<Range<usize>>> {
    let pieces = match kind {
        Compression::Gzip => gzip_pieces(data),
        Compression::Zstd => zstd_pieces(data),
        Compression::Xz | Compression::Bzip2 => return None,
    };
    (pieces.len() > 1).then(|| group(data.len(), &pieces, run_decoded))
}

/// A stretch of compressed bytes starting at `start` and the decoded bytes it is expected to
/// give.
#[derive(Debug, Clone, Copy)]
struct Piece {
    start: usize,
    decoded: u64,
}

/// Joins consecutive pieces into runs of about `run_decoded` bytes of output.
fn group(len: usize, pieces: &[Piece], run_decoded: u64) -> Vec<Range<usize>> {
    let mut runs = Vec::new();
    let mut start = 0;
    let mut decoded = 0u64;
    for (i, p) in pieces.iter().enumerate() {
        decoded += p.decoded;
        let end = pieces.get(i + 1).map_or(len, |n| n.start);
        if decoded >= run_decoded || end == len {
            runs.push(start..end);
            start = end;
            decoded = 0;
        }
    }
    if start < len {
        runs.push(start..len);
    }
    runs
}

/// The gzip members of `data`: exact when the BGZF block sizes walk the whole file, else the
/// candidates of a scan for member headers.
fn gzip_pieces(data: &[u8]) -> Vec<Piece> {
    if let Some(pieces) = bgzf_pieces(data) {
        return pieces;
    }
    let mut starts = vec![0];
    let finder = memchr::memmem::Finder::new(&[0x1f, 0x8b, 0x08]);
    for at in finder.find_iter(&data[1.min(data.len())..]) {
        let at = at + 1;
        if plausible_header(&data[at..]) {
            starts.push(at);
        }
    }
    starts
        .iter()
        .enumerate()
        .map(|(i, &start)| {
            let end = starts.get(i + 1).copied().unwrap_or(data.len());
            Piece {
                start,
                decoded: isize_hint(&data[start..end]),
            }
        })
        .collect()
}

/// Whether `h` (at least the 10-byte fixed header) can be a gzip member header: deflate, no
/// reserved flag bits, a known compression level note.
fn plausible_header(h: &[u8]) -> bool {
    h.len() >= 18 && h[..3] == [0x1f, 0x8b, 0x08] && h[3] & 0xe0 == 0 && matches!(h[8], 0 | 2 | 4)
}

/// The decoded size a member `m` says it has (its trailer's ISIZE), capped at what its
/// compressed size could give, since `m` may not be a whole member.
fn isize_hint(m: &[u8]) -> u64 {
    let compressed = m.len() as u64;
    let stated = match m.len().checked_sub(4) {
        Some(at) => u64::from(u32::from_le_bytes(m[at..].try_into().unwrap_or([0; 4]))),
        None => 0,
    };
    stated.clamp(compressed, compressed.saturating_mul(DEFLATE_MAX_RATIO))
}

/// The members of a BGZF file (bgzip's output), from the block size in each header's `BC`
/// extra field, when they walk exactly to the end of `data`.
fn bgzf_pieces(data: &[u8]) -> Option<Vec<Piece>> {
    let mut pieces = Vec::new();
    let mut at = 0;
    while at < data.len() {
        let len = bgzf_block_len(&data[at..])?;
        if len > data.len() - at {
            return None;
        }
        pieces.push(Piece {
            start: at,
            decoded: isize_hint(&data[at..at + len]),
        });
        at += len;
    }
    Some(pieces)
}

/// The length of the BGZF block `h` starts with, from its `BC` subfield.
fn bgzf_block_len(h: &[u8]) -> Option<usize> {
    if h.len() < 12 || h[..4] != [0x1f, 0x8b, 0x08, 0x04] {
        return None;
    }
    let xlen = usize::from(u16::from_le_bytes([h[10], h[11]]));
    let mut extra = h.get(12..12 + xlen)?;
    while extra.len() >= 4 {
        let slen = usize::from(u16::from_le_bytes([extra[2], extra[3]]));
        let field = extra.get(4..4 + slen)?;
        if extra[..2] == *b"BC" && slen == 2 {
            return Some(usize::from(u16::from_le_bytes([field[0], field[1]])) + 1);
        }
        extra = &extra[4 + slen..];
    }
    None
}

/// The frames of a zstd file, walked by their headers. Where a frame's size cannot be found
/// (a corrupt or cut frame), the rest is one piece, whose decoding reports the fault.
fn zstd_pieces(data: &[u8]) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut at = 0;
    while at < data.len() {
        let rest = &data[at..];
        let Ok(len) = zstd::zstd_safe::find_frame_compressed_size(rest) else {
            pieces.push(Piece {
                start: at,
                decoded: rest.len() as u64,
            });
            break;
        };
        let len = len.clamp(1, rest.len());
        let stated = zstd::zstd_safe::get_frame_content_size(rest)
            .ok()
            .flatten()
            .unwrap_or(len as u64 * 4);
        pieces.push(Piece {
            start: at,
            decoded: stated,
        });
        at += len;
    }
    pieces
}

/// How a run was decoded.
#[derive(Debug)]
pub(crate) enum RunEnd {
    /// Every member was decoded; the last ended at `end`. `warning` is to be shown if the run
    /// is used (trailing zero padding).
    Done { end: usize, warning: Option<String> },
    /// The member (or frame) at `member` is corrupt.
    Failed { member: usize, error: io::Error },
    /// The reader no longer wants the output.
    Cancelled,
}

/// Decoded blocks handed back by the reader for the decoders to fill again, so that a block is
/// neither fresh memory (a page fault and the kernel's zeroing per page) nor zeroed before it is
/// decoded into. It keeps at most `cap` blocks: more are freed, so memory stays within the
/// blocks the channels hold (see `parallel.rs`).
pub(crate) struct Pool {
    free: Mutex<Vec<Vec<u8>>>,
    cap: usize,
}

impl Pool {
    pub(crate) fn new(cap: usize) -> Pool {
        Pool {
            free: Mutex::new(Vec::new()),
            cap,
        }
    }

    /// A block of [`BLOCK`] initialized bytes: a used one if there is one.
    fn take(&self) -> Vec<u8> {
        let used = self.lock().pop();
        match used {
            Some(mut block) => {
                // Its bytes up to its length are initialized already: only a shorter one (the
                // last of a run) is zeroed, and only past its length.
                block.resize(BLOCK, 0);
                block
            }
            None => vec![0; BLOCK],
        }
    }

    /// Keeps `block` for a decoder to fill again, unless `cap` blocks are kept already.
    pub(crate) fn give(&self, block: Vec<u8>) {
        if block.capacity() < BLOCK {
            return;
        }
        let mut free = self.lock();
        if free.len() < self.cap {
            free.push(block);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Vec<u8>>> {
        self.free.lock().unwrap_or_else(|e| e.into_inner())
    }

    #[cfg(test)]
    pub(crate) fn kept(&self) -> usize {
        self.lock().len()
    }
}

/// Decodes the members of `data` from `run.start` until one ends at or past `run.end`, handing
/// blocks of up to [`BLOCK`] bytes to `emit` (which returns false to stop). Blocks are taken
/// from `pool`.
pub(crate) fn decode_run(
    kind: Compression,
    data: &[u8],
    run: Range<usize>,
    pool: &Pool,
    emit: &mut dyn FnMut(Vec<u8>) -> bool,
) -> RunEnd {
    let mut out = Output {
        block: Vec::new(),
        filled: 0,
        pool,
        emit,
    };
    let end = match kind {
        Compression::Gzip => gzip_run(data, run, &mut out),
        _ => zstd_run(data, run, &mut out),
    };
    let end = match end {
        RunEnd::Done { .. } if !out.flush() => RunEnd::Cancelled,
        other => other,
    };
    pool.give(out.block);
    end
}

struct Output<'a> {
    /// [`BLOCK`] initialized bytes, of which the first `filled` are decoded output; empty
    /// until there is output to hold.
    block: Vec<u8>,
    filled: usize,
    pool: &'a Pool,
    emit: &'a mut dyn FnMut(Vec<u8>) -> bool,
}

impl Output<'_> {
    /// Reads `decoder` to its end into blocks, in place. `Ok(false)`: cancelled.
    fn drain(&mut self, decoder: &mut dyn Read) -> io::Result<bool> {
        loop {
            if self.filled == BLOCK && !self.flush() {
                return Ok(false);
            }
            if self.block.is_empty() {
                self.block = self.pool.take();
            }
            let want = BLOCK - self.filled;
            let n = read_into(decoder, &mut self.block[self.filled..])?;
            self.filled += n;
            if n < want {
                return Ok(true);
            }
        }
    }

    fn flush(&mut self) -> bool {
        if self.filled == 0 {
            return true;
        }
        let mut full = std::mem::take(&mut self.block);
        // Only the decoded bytes go out: past them are a used block's stale ones.
        full.truncate(self.filled);
        self.filled = 0;
        (self.emit)(full)
    }
}

fn gzip_run(data: &[u8], run: Range<usize>, out: &mut Output) -> RunEnd {
    let mut at = run.start;
    while at < run.end && at < data.len() {
        let rest = &data[at..];
        if !rest.starts_with(&[0x1f, 0x8b]) {
            // What follows the last member: zero padding is ignored with a warning, as
            // `gzip -d` does; anything else is an error.
            if rest.iter().all(|&b| b == 0) {
                let warning = format!(
                    "ignored {} byte(s) of trailing zero padding after the gzip data",
                    rest.len()
                );
                return RunEnd::Done {
                    end: data.len(),
                    warning: Some(warning),
                };
            }
            return RunEnd::Failed {
                member: at,
                error: io::Error::new(
                    io::ErrorKind::InvalidData,
                    "bytes after the end of the gzip data are not gzip data (trailing garbage)",
                ),
            };
        }
        let mut input = rest;
        let mut decoder = flate2::bufread::GzDecoder::new(&mut input);
        match out.drain(&mut decoder) {
            Ok(true) => {}
            Ok(false) => return RunEnd::Cancelled,
            Err(error) => return RunEnd::Failed { member: at, error },
        }
        drop(decoder);
        at = data.len() - input.len();
    }
    RunEnd::Done {
        end: at,
        warning: None,
    }
}

fn zstd_run(data: &[u8], run: Range<usize>, out: &mut Output) -> RunEnd {
    let mut at = run.start;
    let end = run.end.min(data.len());
    while at < end {
        let rest = &data[at..end];
        let len = zstd::zstd_safe::find_frame_compressed_size(rest)
            .map_or(rest.len(), |n| n.clamp(1, rest.len()));
        let frame = &rest[..len];
        let decoded = zstd::stream::read::Decoder::with_buffer(frame)
            .and_then(|d| out.drain(&mut d.single_frame()));
        match decoded {
            Ok(true) => {}
            Ok(false) => return RunEnd::Cancelled,
            Err(error) => return RunEnd::Failed { member: at, error },
        }
        at += len;
    }
    RunEnd::Done { end, warning: None }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    use crate::input::test_gzip as gzip;

    fn decode(kind: Compression, data: &[u8], run: Range<usize>) -> (Vec<u8>, RunEnd) {
        let mut got = Vec::new();
        let end = decode_run(kind, data, run, &Pool::new(2), &mut |b| {
            got.extend(b);
            true
        });
        (got, end)
    }

    #[test]
    fn the_pool_gives_used_blocks_back_and_keeps_at_most_its_cap() {
        let pool = Pool::new(3);
        let mut short = Vec::with_capacity(BLOCK);
        short.extend([7; 10]);
        let at = short.as_ptr();
        pool.give(short);
        let again = pool.take();
        assert_eq!(again.as_ptr(), at, "the used block, not a new one");
        assert_eq!(again.len(), BLOCK);
        assert!(
            again[10..].iter().all(|&b| b == 0),
            "past its old length, zeroed"
        );
        for _ in 0..5 {
            pool.give(vec![7; BLOCK]);
        }
        assert_eq!(pool.kept(), 3);
        pool.give(Vec::with_capacity(10)); // smaller than a block: freed
        assert_eq!(pool.kept(), 3);
    }

    #[test]
    fn a_run_decodes_past_its_planned_end_to_the_end_of_a_member() {
        let mut file = gzip(b"one\n");
        let second = file.len();
        file.extend(gzip(b"two\n"));
        let (got, end) = decode(Compression::Gzip, &file, 0..1);
        assert_eq!(got, b"one\n");
        assert!(
            matches!(end, RunEnd::Done { end, .. } if end == second),
            "{end:?}"
        );
        let (got, _) = decode(Compression::Gzip, &file, 0..second + 1);
        assert_eq!(got, b"one\ntwo\n");
    }

    #[test]
    fn bgzf_blocks_walk_by_their_sizes() {
        // A BGZF header: FEXTRA, XLEN 6, subfield BC of 2 bytes holding the block size - 1.
        let mut e = flate2::GzBuilder::new()
            .extra(vec![b'B', b'C', 2, 0, 0, 0])
            .write(Vec::new(), flate2::Compression::fast());
        e.write_all(b"bgzf\n").unwrap();
        let mut block = e.finish().unwrap();
        let size = (block.len() - 1) as u16;
        block[16..18].copy_from_slice(&size.to_le_bytes());
        let file = [block.clone(), block.clone(), block].concat();
        let pieces = bgzf_pieces(&file).unwrap();
        assert_eq!(pieces.len(), 3);
        assert_eq!(pieces[1].start, file.len() / 3);
        assert_eq!(
            pieces[0].decoded,
            (file.len() / 3) as u64,
            "hint capped below"
        );
    }

    #[test]
    fn one_member_is_not_planned_and_several_are() {
        let text: Vec<u8> = (0..20_000)
            .flat_map(|i| format!("line {i}\n").into_bytes())
            .collect();
        let one = gzip(&text);
        assert!(plan(Compression::Gzip, &one, 1000).is_none());
        let first = gzip(&text[..1000]);
        let two = [first.clone(), gzip(&text[1000..])].concat();
        let runs = plan(Compression::Gzip, &two, 1).unwrap();
        assert_eq!(runs, vec![0..first.len(), first.len()..two.len()]);
        let frames = [
            zstd::encode_all(&text[..10], 1).unwrap(),
            zstd::encode_all(&text[10..], 1).unwrap(),
        ];
        let runs = plan(Compression::Zstd, &frames.concat(), 1).unwrap();
        assert_eq!(runs[1].start, frames[0].len());
        assert!(plan(Compression::Zstd, &frames[1], 1).is_none());
    }

    #[test]
    fn isize_hints_are_capped_by_what_deflate_can_give() {
        assert_eq!(isize_hint(&[0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]), 8 * 1032);
        assert_eq!(isize_hint(&[1, 2, 3]), 3);
    }

    #[test]
    fn runs_cover_the_file_in_order() {
        let pieces: Vec<Piece> = (0..10)
            .map(|i| Piece {
                start: i * 100,
                decoded: 30,
            })
            .collect();
        let runs = group(1000, &pieces, 90);
        assert_eq!(runs, vec![0..300, 300..600, 600..900, 900..1000]);
    }

    #[test]
    fn a_corrupt_frame_is_named_by_its_offset() {
        let mut file = zstd::encode_all(&b"first\n"[..], 1).unwrap();
        let second = file.len();
        let bad = zstd::encode_all(&b"second frame\n"[..], 1).unwrap();
        file.extend(&bad[..bad.len() - 3]);
        let (_, end) = decode(Compression::Zstd, &file, 0..file.len());
        assert!(
            matches!(end, RunEnd::Failed { member, .. } if member == second),
            "{end:?}"
        );
    }
}
