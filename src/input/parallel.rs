//! Decoding a multi-member gzip file (bgzip, `cat a.gz b.gz`) or a multi-frame zstd file
//! (pzstd, the seekable format, `cat a.zst b.zst`) on several threads, as one stream.
//!
//! The file is cut into runs of members (see `members.rs`). Decoder threads take the runs in
//! order, at most a window of them ahead of the run being read, and send each run's output in
//! blocks down a bounded channel of its own; the reader reads the channels one after another,
//! and hands each block it is done with back to the decoders (a `Pool` of at most the blocks
//! the channels can hold), which decode into it again in place. So memory stays at a few runs'
//! worth of blocks whatever the file, and the bytes come out in the order of the file, exactly
//! as one decoder would give them: the blocks are then cut into whole lines like any stream's
//! (`stream.rs`).
//!
//! A run is used only if it starts where the run before it ended. A gzip run planned from a
//! false member start (see `members.rs`) is dropped, and a stretch no planned run starts at is
//! decoded on a thread of its own.

use std::io::{self, Read};
use std::ops::Range;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};

use super::decompress::{self, Compression};
use super::members::{self, Pool, RunEnd, BLOCK};
use super::Data;
use crate::progress::Progress;

/// Blocks a run's channel holds for runs of `run_decoded` bytes: a run of the planned size
/// fits whole, so a decoder that is ahead of the reader finishes its run and takes the next.
fn queued(run_decoded: u64) -> usize {
    usize::try_from(run_decoded / BLOCK as u64).unwrap_or(usize::MAX) + 2
}

enum Msg {
    Data(Vec<u8>),
    End(RunEnd),
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

struct State {
    /// The next run a decoder takes.
    next: usize,
    /// The run the reader is at: decoders stay within `window` runs of it.
    reading: usize,
    closed: bool,
    /// The sending end of each run's channel, until a decoder takes it (or the reader drops
    /// the run).
    senders: Vec<Option<SyncSender<Msg>>>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The decoded bytes of a compressed file whose members are decoded in parallel.
pub(crate) struct ParallelDecoder {
    kind: Compression,
    name: String,
    data: Arc<Data>,
    runs: Arc<Vec<Range<usize>>>,
    receivers: Vec<Option<Receiver<Msg>>>,
    /// The first run the reader has not used or dropped.
    next_run: usize,
    /// Where in the compressed file the output has got to.
    at: usize,
    current: Option<Receiver<Msg>>,
    block: Vec<u8>,
    block_at: usize,
    done: bool,
    shared: Arc<Shared>,
    /// Blocks read, for the decoders to decode into again.
    pool: Arc<Pool>,
    threads: Vec<JoinHandle<()>>,
    progress: Progress,
    queued: usize,
}

impl ParallelDecoder {
    /// A decoder of `data` (all of a compressed file of `kind`) on up to `threads` threads, in
    /// runs of about `run_decoded` bytes of output, or `Err(data)` back when the file is a
    /// single member.
    pub(crate) fn new(
        kind: Compression,
        data: Data,
        name: String,
        (threads, run_decoded): (usize, u64),
        progress: Progress,
    ) -> io::Result<Result<ParallelDecoder, Data>> {
        let Some(runs) = members::plan(kind, &data, run_decoded) else {
            return Ok(Err(data));
        };
        let window = 2 * threads.max(1);
        let queued = queued(run_decoded);
        let (senders, receivers): (Vec<_>, Vec<_>) = runs
            .iter()
            .map(|_| {
                let (tx, rx) = mpsc::sync_channel(queued);
                (Some(tx), Some(rx))
            })
            .collect();
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                next: 0,
                reading: 0,
                closed: false,
                senders,
            }),
            wake: Condvar::new(),
        });
        let mut this = ParallelDecoder {
            kind,
            name,
            data: Arc::new(data),
            runs: Arc::new(runs),
            receivers,
            next_run: 0,
            at: 0,
            current: None,
            block: Vec::new(),
            block_at: 0,
            done: false,
            shared,
            // No more blocks than the channels of the runs decoded ahead can hold: blocks are
            // made only when none is kept, so this keeps memory at its peak without raising it.
            pool: Arc::new(Pool::new(window * queued)),
            threads: Vec::new(),
            progress,
            queued,
        };
        for i in 0..threads.clamp(1, this.runs.len()) {
            let (data, runs) = (this.data.clone(), this.runs.clone());
            let (shared, pool) = (this.shared.clone(), this.pool.clone());
            let handle = thread::Builder::new()
                .name(format!("logmill-decoder-{i}"))
                .spawn(move || decode_runs(kind, &data, &runs, &shared, &pool, window))?;
            this.threads.push(handle);
        }
        Ok(Ok(this))
    }

    /// Moves on to the run that starts where the output has got to, or decodes from there on
    /// a thread of its own when no planned run does.
    fn advance(&mut self) -> io::Result<()> {
        let mut state = self.shared.lock();
        while self.next_run < self.runs.len() && self.runs[self.next_run].start < self.at {
            self.receivers[self.next_run] = None;
            state.senders[self.next_run] = None;
            self.next_run += 1;
        }
        state.reading = self.next_run;
        drop(state);
        self.shared.wake.notify_all();
        if self.at >= self.data.len() {
            self.done = true;
            return Ok(());
        }
        if self.runs.get(self.next_run).map(|r| r.start) == Some(self.at) {
            self.current = self.receivers[self.next_run].take();
            self.next_run += 1;
            return Ok(());
        }
        let gap = self.at
            ..self
                .runs
                .get(self.next_run)
                .map_or(self.data.len(), |r| r.start);
        let (tx, rx) = mpsc::sync_channel(self.queued);
        let (kind, data, pool) = (self.kind, self.data.clone(), self.pool.clone());
        let handle = thread::Builder::new()
            .name("logmill-decoder-gap".into())
            .spawn(move || decode_one(kind, &data, gap, &pool, &tx))?;
        self.threads.push(handle);
        self.current = Some(rx);
        Ok(())
    }
}

impl Read for ParallelDecoder {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.block_at < self.block.len() {
                let n = buf.len().min(self.block.len() - self.block_at);
                buf[..n].copy_from_slice(&self.block[self.block_at..self.block_at + n]);
                self.block_at += n;
                return Ok(n);
            }
            if self.done || buf.is_empty() {
                return Ok(0);
            }
            // This block is read: a decoder may fill it again while the reader waits.
            if !self.block.is_empty() {
                self.pool.give(std::mem::take(&mut self.block));
                self.block_at = 0;
            }
            let Some(rx) = &self.current else {
                self.advance()?;
                continue;
            };
            match rx.recv() {
                Ok(Msg::Data(block)) => {
                    self.block = block;
                    self.block_at = 0;
                }
                Ok(Msg::End(RunEnd::Done { end, warning })) => {
                    if let Some(w) = warning {
                        crate::diag::warning(format_args!("{}: {w}", self.name));
                    }
                    self.progress.add(end.saturating_sub(self.at) as u64);
                    self.at = end;
                    self.current = None;
                }
                Ok(Msg::End(RunEnd::Failed { member, error })) => {
                    self.done = true;
                    return Err(decompress::corrupt_member(self.kind, member as u64, error));
                }
                Ok(Msg::End(RunEnd::Cancelled)) | Err(_) => {
                    self.done = true;
                    return Err(io::Error::other("a decoder thread stopped"));
                }
            }
        }
    }
}

impl Drop for ParallelDecoder {
    fn drop(&mut self) {
        {
            let mut state = self.shared.lock();
            state.closed = true;
            state.senders.clear();
        }
        self.shared.wake.notify_all();
        // Dropping the receiving ends wakes every decoder blocked on a full channel.
        self.current = None;
        self.receivers.clear();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// A decoder thread: takes runs in order, within `window` of the reader, until none is left.
fn decode_runs(
    kind: Compression,
    data: &[u8],
    runs: &[Range<usize>],
    shared: &Shared,
    pool: &Pool,
    window: usize,
) {
    loop {
        let (i, tx) = {
            let mut state = shared.lock();
            loop {
                if state.closed || state.next >= runs.len() {
                    return;
                }
                if state.next < state.reading + window {
                    break;
                }
                state = shared.wake.wait(state).unwrap_or_else(|e| e.into_inner());
            }
            let i = state.next;
            state.next += 1;
            (i, state.senders[i].take())
        };
        if let Some(tx) = tx {
            decode_one(kind, data, runs[i].clone(), pool, &tx);
        }
    }
}

fn decode_one(
    kind: Compression,
    data: &[u8],
    run: Range<usize>,
    pool: &Pool,
    tx: &SyncSender<Msg>,
) {
    let end = members::decode_run(kind, data, run, pool, &mut |b| {
        tx.send(Msg::Data(b)).is_ok()
    });
    let _ = tx.send(Msg::End(end));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    use crate::input::test_gzip as gzip;

    fn decode_all(kind: Compression, file: Vec<u8>, threads: usize) -> io::Result<Vec<u8>> {
        let mut d = ParallelDecoder::new(
            kind,
            Data::Owned(file),
            "t".into(),
            (threads, 64 << 10),
            Progress::default(),
        )?
        .ok()
        .expect("several runs");
        let mut out = Vec::new();
        d.read_to_end(&mut out).map(|_| out)
    }

    fn lines(n: usize, seed: u64) -> Vec<u8> {
        let mut out = Vec::new();
        let mut x = seed;
        for i in 0..n {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            writeln!(out, "{i} {} {}", x >> 40, "w".repeat((x >> 60) as usize)).unwrap();
        }
        out
    }

    #[test]
    fn a_false_member_start_inside_a_member_is_never_output() {
        // A stored (uncompressed) deflate member whose content holds a gzip header: the
        // scan takes it for a member start, the decoding of the first member runs past it.
        let text = lines(30_000, 1);
        let mut fake = gzip(b"this is not a member\n");
        fake.insert(0, b'\n');
        let mut inner = text.clone();
        inner.extend(&fake);
        inner.extend(lines(20_000, 2));
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::none());
        e.write_all(&inner).unwrap();
        let mut file = e.finish().unwrap();
        file.extend(gzip(&text));
        let want = [inner, text].concat();
        for threads in [1, 2, 3] {
            let got = decode_all(Compression::Gzip, file.clone(), threads).unwrap();
            assert!(got == want, "threads {threads}");
        }
    }

    #[test]
    fn a_corrupt_member_names_its_offset() {
        let text = lines(40_000, 3);
        let mut file = gzip(&text);
        let second = file.len();
        let mut bad = gzip(&text);
        let n = bad.len();
        bad[n / 2..n / 2 + 64].fill(0xee);
        file.extend(bad);
        let e = decode_all(Compression::Gzip, file, 2).unwrap_err();
        assert!(
            e.to_string()
                .starts_with(&format!("corrupt gzip member at byte {second} of")),
            "{e}"
        );
    }

    /// Members whose decoded lengths differ wildly (empty, a few bytes, several blocks, a
    /// block and a byte): a used block refilled by a shorter member must give only that
    /// member's bytes, never the longer earlier block's stale ones.
    fn uneven_members(kind: Compression) -> (Vec<u8>, Vec<u8>) {
        let sizes = [
            700_000,
            3,
            0,
            300_000,
            1,
            BLOCK + 1,
            17,
            2 * BLOCK,
            90_000,
            5,
        ];
        let mut file = Vec::new();
        let mut want = Vec::new();
        for (i, &n) in sizes.iter().enumerate() {
            let mut text = lines(n / 20 + 1, i as u64);
            text.truncate(n);
            file.extend(match kind {
                Compression::Gzip => gzip(&text),
                _ => zstd::encode_all(&text[..], 1).unwrap(),
            });
            want.extend(text);
        }
        (file, want)
    }

    #[test]
    fn used_blocks_never_leak_stale_bytes() {
        for kind in [Compression::Gzip, Compression::Zstd] {
            let (file, want) = uneven_members(kind);
            // What one decoder of the whole file gives.
            let mut whole = Vec::new();
            match kind {
                Compression::Gzip => {
                    flate2::read::MultiGzDecoder::new(&file[..])
                        .read_to_end(&mut whole)
                        .unwrap();
                }
                _ => whole = zstd::decode_all(&file[..]).unwrap(),
            }
            assert!(whole == want);
            for threads in 1..=3 {
                let got = decode_all(kind, file.clone(), threads).unwrap();
                assert!(got == want, "{kind:?} threads {threads}");
            }
        }
    }

    #[test]
    fn the_pool_stays_within_its_cap_while_a_file_is_read() {
        // However many blocks go by, the pool never holds more than the channels can.
        let (file, _) = uneven_members(Compression::Gzip);
        for threads in 1..=3 {
            let mut d = ParallelDecoder::new(
                Compression::Gzip,
                Data::Owned(file.clone()),
                "t".into(),
                (threads, 64 << 10),
                Progress::default(),
            )
            .unwrap()
            .ok()
            .unwrap();
            let mut buf = [0u8; 1000];
            while d.read(&mut buf).unwrap() > 0 {
                assert!(d.pool.kept() <= 2 * threads * d.queued, "threads {threads}");
            }
        }
    }

    #[test]
    fn dropping_the_reader_early_stops_the_decoders() {
        let text = lines(20_000, 4);
        let file: Vec<u8> = (0..8).flat_map(|_| gzip(&text)).collect();
        let mut d = ParallelDecoder::new(
            Compression::Gzip,
            Data::Owned(file),
            "t".into(),
            (2, 64 << 10),
            Progress::default(),
        )
        .unwrap()
        .ok()
        .unwrap();
        let mut first = [0u8; 10];
        d.read_exact(&mut first).unwrap();
        let pool = d.pool.clone();
        drop(d); // joins the decoder threads: a hang here fails the test by timeout
        assert_eq!(
            Arc::strong_count(&pool),
            1,
            "a decoder thread still holds the pool"
        );
    }
}
