//! Spilling: bounded memory at any key cardinality, as a MapReduce shuffle does it.
//!
//! When the workers' keyed partials would pass `--memory` (see `memory.rs`), a worker sorts its
//! table by partition then key and writes it as a *run*: one temporary file holding `parts`
//! sorted sections, a key's section chosen by its hash. At the end the runs are merged back:
//! one thread per partition streams a k-way merge of that partition's sections (equal keys
//! merged), and the calling thread merges the partitions' outputs into the final order:
//!
//! - key order comes free from the merge;
//! - `--top N` by count keeps a bounded heap per partition;
//! - the full count order is an external sort: each partition sorts its merged rows by
//!   (count descending, key) in memory-bounded buffers, writes full buffers as sorted runs, and
//!   merges them back.
//!
//! Run format: per entry, the key's length as a LEB128 varint, the key's bytes, the state's
//! length as a varint and the state in postcard (a varint for a `u64` count), written through
//! a buffered writer; with compression each section is one zstd frame. Temporary files are
//! created in `--temp-dir`, registered with [`crate::signals`] while they have a name, and
//! unlinked at once: the open descriptor is all that is left, so the kernel frees the space
//! when logmill exits however it exits (success, error, SIGINT, SIGTERM, even SIGKILL).

pub mod memory;

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Read, Write};
use std::marker::PhantomData;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering as Atomic};
use std::sync::{mpsc, Mutex, PoisonError};

use crate::aggregate::{key_hash, KeyedTable, Merge, State, SORT_ENTRY_BYTES};
use crate::engine::{Budget, Spiller};
use crate::error::{Error, Result};
use crate::order::{self, OrderOptions, SortOrder};
use crate::signals;

/// Most runs merged at once; more are first merged in groups into bigger runs, so the read
/// buffers of a merge stay bounded.
const MAX_FANIN: usize = 64;
/// Most partitions of a run (and merge threads).
const MAX_PARTS: usize = 256;
/// Write buffer of a run.
const WRITE_BUF: usize = 256 << 10;
/// Rows a partition thread hands to the final merge at once.
const BATCH_ROWS: usize = 4096;
/// zstd level for runs: the fastest, since runs are read back once.
const ZSTD_LEVEL: i32 = 1;
/// zstd window for runs (2^17 = 128 KiB): every open section holds one while merging.
const ZSTD_WINDOW_LOG: u32 = 17;

/// How a run spills: the memory limit, where temporary files go, and whether they are
/// compressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpillOptions {
    /// The memory limit in bytes (`--memory`).
    pub memory: usize,
    /// The directory of temporary files (`--temp-dir`, default the system's).
    pub temp_dir: PathBuf,
    /// Compress runs with zstd (`--compress-temp`).
    pub compress: bool,
}

impl Default for SpillOptions {
    fn default() -> Self {
        SpillOptions {
            memory: crate::spill::memory::default_memory(),
            temp_dir: std::env::temp_dir(),
            compress: false,
        }
    }
}

/// The partition of a key among `parts`: from the high half of its hash (the table's bucket
/// index uses the low bits).
#[inline]
pub fn partition(key: &[u8], parts: usize) -> usize {
    (((key_hash(key) >> 32) * parts as u64) >> 32) as usize
}

/// The spiller of a partial whose keyed part is a [`KeyedTable`] (reached through `table`);
/// the rest of the partial (job-wide facts) stays in memory.
pub struct TableSpiller<P, S> {
    table: fn(&mut P) -> &mut KeyedTable<S>,
    table_ref: fn(&P) -> &KeyedTable<S>,
    count: fn(&S) -> u64,
    budget: Budget,
    threads: usize,
    parts: usize,
    files: TempFiles,
    compress: bool,
    runs: Mutex<Vec<Run>>,
    error: Mutex<Option<Error>>,
    failed: AtomicBool,
}

impl<P: Send, S: State> TableSpiller<P, S> {
    /// A spiller for partials of `threads` workers, with runs of one partition per thread;
    /// `count` tells how many keys seen a state stands for.
    pub fn new(
        opts: &SpillOptions,
        threads: usize,
        table: fn(&mut P) -> &mut KeyedTable<S>,
        table_ref: fn(&P) -> &KeyedTable<S>,
        count: fn(&S) -> u64,
    ) -> TableSpiller<P, S> {
        let threads = threads.max(1);
        TableSpiller {
            table,
            table_ref,
            count,
            budget: Budget::new(opts.memory),
            threads,
            // One merge thread per partition; partitions are numbered in a byte when sorted.
            parts: threads.min(MAX_PARTS),
            files: TempFiles::new(&opts.temp_dir),
            compress: opts.compress,
            runs: Mutex::new(Vec::new()),
            error: Mutex::new(None),
            failed: AtomicBool::new(false),
        }
    }

    /// The first spill error, if any.
    pub fn take_error(&self) -> Option<Error> {
        self.error
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    /// True when `p` (the merged result of the map) must go to disk: runs exist already, or
    /// ordering it in memory for output would pass the limit.
    pub fn must_spill_result(&self, p: &P) -> bool {
        let t = (self.table_ref)(p);
        // Output sorts boxed rows: a (key, state) pair and a key allocation per key.
        let rows = t.len() * (std::mem::size_of::<(Box<[u8]>, S)>() + 32);
        self.spilled() || t.mem_bytes().saturating_add(rows) > self.budget.limit()
    }

    /// Spills what is left of `p`'s table and hands over every run for the merge. A failed
    /// spill is returned as the error.
    pub fn into_spilled(self, p: &mut P) -> Result<Spilled<S>> {
        self.spill(p);
        if let Some(e) = self.take_error() {
            return Err(e);
        }
        Ok(Spilled {
            runs: self
                .runs
                .into_inner()
                .unwrap_or_else(PoisonError::into_inner),
            parts: self.parts,
            files: self.files,
            memory: self.budget.limit(),
            compress: self.compress,
            _state: PhantomData,
        })
    }

    /// Writes `t` as a run and empties it; also returns how many keys the run stood for (keys
    /// seen, duplicates included) and how many distinct keys it holds.
    fn write_table(&self, t: &mut KeyedTable<S>) -> Result<(Run, u64, u64)> {
        let mut w = RunWriter::create(&self.files, self.parts, self.compress)?;
        let parts = self.parts;
        let appending = t.is_appending();
        let mut seen = 0u64;
        let count = self.count;
        let (slots, rows) = t
            .drain_sorted(
                parts,
                |k| partition(k, parts),
                |p, key, state| {
                    seen = seen.saturating_add(count(state));
                    w.push(p, key, state)
                },
            )
            .map_err(|e| self.files.err(e))?;
        // In append mode every key seen took a slot.
        let seen = if appending { slots as u64 } else { seen };
        let run = w.finish().map_err(|e| self.files.err(e))?;
        Ok((run, seen, rows as u64))
    }

    /// After a spill of `seen` keys of which `distinct` differed: hash the next keys when
    /// they repeat (at least half of them do), append them when nearly all are new.
    fn choose_mode(&self, t: &mut KeyedTable<S>, seen: u64, distinct: u64) {
        if t.is_appending() {
            if seen > distinct.saturating_mul(2) {
                t.set_appending(false, 0);
            }
        } else if seen.saturating_mul(4) <= distinct.saturating_mul(5) {
            // A quarter of this worker's share stays free for a chunk's keys and for what the
            // budget does not see (input pages, buffers).
            let share = self.budget.limit() / self.threads;
            let slots = share / 4 * 3 / KeyedTable::<S>::slot_bytes().max(1);
            // The drained table is empty; switching frees its hash allocation.
            t.set_appending(true, slots);
        }
    }
}

impl<P: Send, S: State> Spiller<P> for TableSpiller<P, S> {
    fn budget(&self) -> &Budget {
        &self.budget
    }

    fn mem_bytes(&self, p: &P) -> usize {
        let t = (self.table_ref)(p);
        t.mem_bytes() + t.sort_bytes()
    }

    fn growth(&self, p: &P, chunk_len: usize) -> usize {
        // Keys come from disjoint non-empty pieces of the chunk, mostly with a separator
        // between them: at most about one new key per two bytes.
        let keys = chunk_len / 2 + 256;
        let t = (self.table_ref)(p);
        let sort = if t.is_appending() {
            0
        } else {
            keys * SORT_ENTRY_BYTES
        };
        t.growth_bytes(keys, chunk_len) + sort
    }

    fn merge_growth(&self, a: &P, b: &P) -> usize {
        let (a, b) = ((self.table_ref)(a), (self.table_ref)(b));
        let (big, small) = if a.len() >= b.len() { (a, b) } else { (b, a) };
        big.growth_bytes(small.len(), 0)
    }

    fn worth_spilling(&self, p: &P) -> bool {
        let t = (self.table_ref)(p);
        !t.is_empty() && t.fill_bytes() + t.sort_bytes() >= self.budget.limit() / (4 * self.threads)
    }

    fn spill(&self, p: &mut P) {
        if self.failed() {
            return;
        }
        let t = (self.table)(p);
        if t.is_empty() {
            return;
        }
        match self.write_table(t) {
            Ok((run, seen, distinct)) => {
                self.runs
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(run);
                self.choose_mode(t, seen, distinct);
            }
            Err(e) => {
                self.failed.store(true, Atomic::Relaxed);
                let mut slot = self.error.lock().unwrap_or_else(PoisonError::into_inner);
                slot.get_or_insert(e);
            }
        }
        // Keep the allocation for the refill (no growth, no second table during a move),
        // unless it alone is more than this worker's share.
        if t.mem_bytes() > self.budget.limit() / self.threads {
            *t = KeyedTable::default();
        } else {
            t.clear();
        }
    }

    fn failed(&self) -> bool {
        self.failed.load(Atomic::Relaxed)
    }

    fn spilled(&self) -> bool {
        !self
            .runs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_empty()
    }
}

// ---------------------------------------------------------------------------------------------
// Temporary files and runs.

/// Creates the run files of one process in a directory.
struct TempFiles {
    dir: PathBuf,
    next: AtomicU64,
}

impl TempFiles {
    fn new(dir: &Path) -> TempFiles {
        TempFiles {
            dir: dir.to_path_buf(),
            next: AtomicU64::new(0),
        }
    }

    fn err(&self, source: io::Error) -> Error {
        Error::Spill {
            dir: self.dir.clone(),
            source,
        }
    }

    /// A new file for reading and writing, already unlinked.
    fn create(&self) -> Result<File> {
        let pid = std::process::id();
        loop {
            let n = self.next.fetch_add(1, Atomic::Relaxed);
            let path = self.dir.join(format!(".logmill-spill-{pid}-{n}.run"));
            // Registered before it exists, so a signal between create and unlink removes it.
            let guard = signals::register_temp(&path);
            let opened = OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .open(&path);
            match opened {
                Ok(file) => {
                    std::fs::remove_file(&path).map_err(|e| self.err(e))?;
                    drop(guard);
                    return Ok(file);
                }
                // Left by a killed run with a recycled pid: take the next name.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && n < 1 << 20 => continue,
                Err(e) => return Err(self.err(e)),
            }
        }
    }
}

/// A sorted run on disk: `parts` sections, each a byte range of the file.
#[derive(Debug)]
pub(crate) struct Run {
    file: File,
    parts: Vec<(u64, u64)>,
    /// Per section: its bytes before compression (what a reader gets out of it), so that a
    /// corrupt length can be told from a long key without trying to allocate it.
    raw: Vec<u64>,
    compressed: bool,
}

/// Counts the bytes that reach the file.
struct Counting<W> {
    inner: W,
    n: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.n += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

enum Sink {
    Plain(Counting<BufWriter<File>>),
    Zstd(zstd::Encoder<'static, Counting<BufWriter<File>>>),
    Done,
}

/// Writes the sections of one run in order.
struct RunWriter {
    sink: Sink,
    compress: bool,
    parts: Vec<(u64, u64)>,
    raw: Vec<u64>,
    raw_len: u64,
    want: usize,
    start: u64,
    entry: Vec<u8>,
    state: Vec<u8>,
}

impl RunWriter {
    fn create(files: &TempFiles, parts: usize, compress: bool) -> Result<RunWriter> {
        let file = files.create()?;
        let out = Counting {
            inner: BufWriter::with_capacity(WRITE_BUF, file),
            n: 0,
        };
        let sink = if compress {
            Sink::Zstd(encoder(out).map_err(|e| files.err(e))?)
        } else {
            Sink::Plain(out)
        };
        Ok(RunWriter {
            sink,
            compress,
            parts: Vec::with_capacity(parts),
            raw: Vec::with_capacity(parts),
            raw_len: 0,
            want: parts.max(1),
            start: 0,
            entry: Vec::with_capacity(256),
            state: Vec::with_capacity(64),
        })
    }

    /// Appends an entry to section `part` (sections in increasing order, keys sorted within).
    fn push<S: State>(&mut self, part: usize, key: &[u8], state: &S) -> io::Result<()> {
        while self.parts.len() < part {
            self.end_part()?;
        }
        self.entry.clear();
        put_varint(&mut self.entry, key.len() as u64);
        self.entry.extend_from_slice(key);
        self.state.clear();
        self.state = postcard::to_extend(state, std::mem::take(&mut self.state))
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        put_varint(&mut self.entry, self.state.len() as u64);
        self.entry.extend_from_slice(&self.state);
        self.raw_len += self.entry.len() as u64;
        match &mut self.sink {
            Sink::Plain(w) => w.write_all(&self.entry),
            Sink::Zstd(w) => w.write_all(&self.entry),
            Sink::Done => Ok(()),
        }
    }

    /// Closes the current section (a zstd frame ends with it).
    fn end_part(&mut self) -> io::Result<()> {
        let end = match std::mem::replace(&mut self.sink, Sink::Done) {
            Sink::Plain(w) => {
                let n = w.n;
                self.sink = Sink::Plain(w);
                n
            }
            Sink::Zstd(enc) => {
                let w = enc.finish()?;
                let n = w.n;
                self.sink = if self.parts.len() + 1 < self.want {
                    Sink::Zstd(encoder(w)?)
                } else {
                    Sink::Plain(w)
                };
                n
            }
            Sink::Done => self.start,
        };
        self.parts.push((self.start, end));
        self.raw.push(std::mem::take(&mut self.raw_len));
        self.start = end;
        Ok(())
    }

    fn finish(mut self) -> io::Result<Run> {
        while self.parts.len() < self.want {
            self.end_part()?;
        }
        let w = match std::mem::replace(&mut self.sink, Sink::Done) {
            Sink::Plain(w) => w,
            Sink::Zstd(enc) => enc.finish()?,
            Sink::Done => return Err(io::Error::other("run written twice")),
        };
        let file = w.inner.into_inner().map_err(|e| e.into_error())?;
        Ok(Run {
            file,
            parts: self.parts,
            raw: self.raw,
            compressed: self.compress,
        })
    }
}

fn encoder<W: Write>(w: W) -> io::Result<zstd::Encoder<'static, W>> {
    let mut e = zstd::Encoder::new(w, ZSTD_LEVEL)?;
    e.window_log(ZSTD_WINDOW_LOG)?;
    Ok(e)
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Reads one section of a run with positioned reads, so threads share the descriptor.
struct Section<'a> {
    file: &'a File,
    pos: u64,
    end: u64,
}

impl Read for Section<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min((self.end - self.pos) as usize);
        if n == 0 {
            return Ok(0);
        }
        let got = self.file.read_at(&mut buf[..n], self.pos)?;
        self.pos += got as u64;
        Ok(got)
    }
}

/// A buffered byte reader that parses entries in place. Bytes from `pin` on are kept when the
/// buffer is refilled (they move to its start), so a parsed key can stay where it was read.
struct Bytes<R> {
    inner: R,
    buf: Vec<u8>,
    pos: usize,
    len: usize,
    pin: usize,
    /// Bytes parsed so far.
    consumed: u64,
}

impl<R: Read> Bytes<R> {
    fn new(inner: R, cap: usize) -> Self {
        Bytes {
            inner,
            buf: vec![0; cap.max(64)],
            pos: 0,
            len: 0,
            pin: usize::MAX,
            consumed: 0,
        }
    }

    /// Makes at least `n` bytes available unless the input ends first; false then.
    #[inline]
    fn ensure(&mut self, n: usize) -> io::Result<bool> {
        if self.len - self.pos >= n {
            return Ok(true);
        }
        self.refill(n)
    }

    #[cold]
    fn refill(&mut self, n: usize) -> io::Result<bool> {
        let from = self.pin.min(self.pos);
        self.buf.copy_within(from..self.len, 0);
        self.len -= from;
        self.pos -= from;
        if self.pin != usize::MAX {
            self.pin -= from;
        }
        if self.buf.len() < self.pos + n {
            self.buf.resize(self.pos + n, 0);
        }
        let n = self.pos + n;
        while self.len < n {
            let got = self.inner.read(&mut self.buf[self.len..])?;
            if got == 0 {
                return Ok(false);
            }
            self.len += got;
        }
        Ok(true)
    }

    /// A varint, or None at the very end of the input.
    fn varint(&mut self) -> io::Result<Option<u64>> {
        let mut v = 0u64;
        for i in 0..10 {
            if !self.ensure(1)? {
                return if i == 0 { Ok(None) } else { Err(truncated()) };
            }
            let b = self.buf[self.pos];
            self.pos += 1;
            self.consumed += 1;
            v |= u64::from(b & 0x7f) << (7 * i);
            if b < 0x80 {
                return Ok(Some(v));
            }
        }
        Err(io::Error::new(io::ErrorKind::InvalidData, "bad varint"))
    }

    fn take(&mut self, n: usize) -> io::Result<&[u8]> {
        if !self.ensure(n)? {
            return Err(truncated());
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        self.consumed += n as u64;
        Ok(s)
    }
}

fn truncated() -> io::Error {
    io::Error::new(io::ErrorKind::UnexpectedEof, "truncated spill run")
}

// ---------------------------------------------------------------------------------------------
// Merging sorted streams.

/// A sorted stream of rows with a current row.
trait Cursor<S> {
    /// Loads the next row; false at the end.
    fn advance(&mut self) -> Result<bool>;
    fn key(&self) -> &[u8];
    fn state(&self) -> &S;
    fn take_state(&mut self) -> S;
}

impl<S, C: Cursor<S> + ?Sized> Cursor<S> for Box<C> {
    fn advance(&mut self) -> Result<bool> {
        (**self).advance()
    }
    fn key(&self) -> &[u8] {
        (**self).key()
    }
    fn state(&self) -> &S {
        (**self).state()
    }
    fn take_state(&mut self) -> S {
        (**self).take_state()
    }
}

/// The rows of one section of a run.
struct RunCursor<'a, S> {
    bytes: Bytes<Box<dyn Read + Send + 'a>>,
    /// The section's length before compression: no entry reaches past it.
    raw_len: u64,
    /// The current key is `bytes.buf[bytes.pin..][..key_len]`: read in place, never copied.
    key_len: usize,
    state: S,
    files_dir: &'a Path,
}

impl<'a, S: State> RunCursor<'a, S> {
    fn open(run: &'a Run, part: usize, buf: usize, dir: &'a Path) -> Result<Self> {
        let (pos, end) = run.parts[part];
        let section = Section {
            file: &run.file,
            pos,
            end,
        };
        let inner: Box<dyn Read + Send + 'a> = if run.compressed && end > pos {
            let mut d = zstd::Decoder::with_buffer(io::BufReader::with_capacity(buf, section))
                .map_err(|source| Error::Spill {
                    dir: dir.to_path_buf(),
                    source,
                })?;
            d.window_log_max(ZSTD_WINDOW_LOG)
                .map_err(|source| Error::Spill {
                    dir: dir.to_path_buf(),
                    source,
                })?;
            Box::new(d)
        } else {
            Box::new(section)
        };
        Ok(RunCursor::from_reader(inner, run.raw[part], buf, dir))
    }

    /// A cursor over the entries of `raw_len` bytes coming out of `inner`.
    fn from_reader(
        inner: Box<dyn Read + Send + 'a>,
        raw_len: u64,
        buf: usize,
        dir: &'a Path,
    ) -> Self {
        RunCursor {
            bytes: Bytes::new(inner, buf),
            raw_len,
            key_len: 0,
            state: S::default(),
            files_dir: dir,
        }
    }

    /// `len` as a length of the rest of the section, or an error when the section is shorter
    /// (a corrupt run must not make the reader allocate what its lengths claim).
    fn fits(&self, len: u64) -> io::Result<usize> {
        let left = self.raw_len.saturating_sub(self.bytes.consumed);
        if len > left {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("corrupt spill run: an entry of {len} bytes with {left} left"),
            ));
        }
        usize::try_from(len).map_err(|_| truncated())
    }

    fn read_next(&mut self) -> io::Result<bool> {
        // The previous key may be dropped from the buffer now.
        self.bytes.pin = usize::MAX;
        let Some(klen) = self.bytes.varint()? else {
            return Ok(false);
        };
        let klen = self.fits(klen)?;
        if !self.bytes.ensure(klen)? {
            return Err(truncated());
        }
        self.bytes.pin = self.bytes.pos;
        self.bytes.pos += klen;
        self.bytes.consumed += klen as u64;
        self.key_len = klen;
        let slen = self.bytes.varint()?.ok_or_else(truncated)?;
        let slen = self.fits(slen)?;
        let raw = self.bytes.take(slen)?;
        self.state =
            postcard::from_bytes(raw).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        Ok(true)
    }
}

impl<S: State> Cursor<S> for RunCursor<'_, S> {
    fn advance(&mut self) -> Result<bool> {
        self.read_next().map_err(|source| Error::Spill {
            dir: self.files_dir.to_path_buf(),
            source,
        })
    }
    #[inline]
    fn key(&self) -> &[u8] {
        let at = self.bytes.pin;
        if at == usize::MAX {
            return &[];
        }
        &self.bytes.buf[at..at + self.key_len]
    }
    fn state(&self) -> &S {
        &self.state
    }
    fn take_state(&mut self) -> S {
        std::mem::take(&mut self.state)
    }
}

/// Rows in memory: keys end to end, one state each, visited in `order` when set.
struct Batch<S> {
    keys: Vec<u8>,
    ends: Vec<usize>,
    states: Vec<S>,
    order: Option<Vec<u32>>,
}

impl<S> Batch<S> {
    fn new() -> Self {
        Batch {
            keys: Vec::new(),
            ends: Vec::new(),
            states: Vec::new(),
            order: None,
        }
    }

    fn push(&mut self, key: &[u8], state: S) {
        self.keys.extend_from_slice(key);
        self.ends.push(self.keys.len());
        self.states.push(state);
    }

    fn len(&self) -> usize {
        self.states.len()
    }

    fn key(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.keys[start..self.ends[i]]
    }

    /// Bytes held (for the external sort's budget), with `extra` per row for its order entry.
    fn bytes(&self, extra: usize) -> usize {
        self.keys.capacity()
            + self.ends.capacity() * 8
            + self.states.capacity() * (std::mem::size_of::<S>() + extra)
    }

    /// Orders the rows by (count descending, key). The rows must be in key order already (as
    /// a partition's merge yields them): a stable sort by count keeps that order among equal
    /// counts, so this is an LSD radix sort on the counts' bytes, skipping the bytes all counts
    /// share (one pass when every count is below 256).
    fn sort_by_count(&mut self, count: fn(&S) -> u64) {
        debug_assert!((1..self.len()).all(|i| self.key(i - 1) < self.key(i)));
        let ranks: Vec<u64> = self
            .states
            .iter()
            .map(|s| order::count_rank(count(s)))
            .collect();
        let mut idx: Vec<u32> = (0..self.len() as u32).collect();
        let mut scratch = vec![0u32; idx.len()];
        for shift in (0..64).step_by(8) {
            let mut counts = [0usize; 256];
            for &i in &idx {
                counts[(ranks[i as usize] >> shift) as usize & 0xff] += 1;
            }
            if counts.contains(&idx.len()) {
                continue;
            }
            let mut at = 0;
            for c in counts.iter_mut() {
                let n = *c;
                *c = at;
                at += n;
            }
            for &i in &idx {
                let b = (ranks[i as usize] >> shift) as usize & 0xff;
                scratch[counts[b]] = i;
                counts[b] += 1;
            }
            std::mem::swap(&mut idx, &mut scratch);
        }
        self.order = Some(idx);
    }
}

/// A cursor over a stream of batches (a channel, or one batch in memory).
struct BatchCursor<S, I> {
    batches: I,
    batch: Batch<S>,
    next: usize,
    row: usize,
}

impl<S: Default, I: Iterator<Item = Result<Batch<S>>>> BatchCursor<S, I> {
    fn new(batches: I) -> Self {
        BatchCursor {
            batches,
            batch: Batch::new(),
            next: 0,
            row: 0,
        }
    }
}

impl<S: Default, I: Iterator<Item = Result<Batch<S>>>> Cursor<S> for BatchCursor<S, I> {
    fn advance(&mut self) -> Result<bool> {
        while self.next >= self.batch.len() {
            match self.batches.next() {
                None => return Ok(false),
                Some(b) => {
                    self.batch = b?;
                    self.next = 0;
                }
            }
        }
        self.row = match &self.batch.order {
            Some(o) => o[self.next] as usize,
            None => self.next,
        };
        self.next += 1;
        Ok(true)
    }
    fn key(&self) -> &[u8] {
        self.batch.key(self.row)
    }
    fn state(&self) -> &S {
        &self.batch.states[self.row]
    }
    fn take_state(&mut self) -> S {
        std::mem::take(&mut self.batch.states[self.row])
    }
}

/// The order rows are merged in.
enum RowOrder<S> {
    Key,
    Count(fn(&S) -> u64),
}

impl<S> Clone for RowOrder<S> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<S> Copy for RowOrder<S> {}

/// A k-way merge over a loser tree (a tournament: each inner node keeps the loser of the
/// match played there, so replacing the winner replays one leaf-to-root path, one comparison
/// per level, where a binary heap needs two). Rows with equal keys are merged. In key order
/// each cursor's key prefix is cached beside the tree, so most matches compare two numbers
/// without touching the cursors.
struct Merger<S, C> {
    cursors: Vec<C>,
    /// `tree[0]` is the winner; `tree[1..k]` the losers of the inner nodes. Leaf `i` sits at
    /// position `k + i`, the parent of position `j` at `j / 2`.
    tree: Vec<usize>,
    /// Per cursor: its row's rank, compared before the keys themselves — in key order the
    /// first eight bytes of the key, in count order the count (descending) and those bytes.
    rank: Vec<(u64, u64)>,
    /// Per cursor: true once it has no row left (it then loses every match).
    done: Vec<bool>,
    order: RowOrder<S>,
}

impl<S: Merge, C: Cursor<S>> Merger<S, C> {
    fn new(mut cursors: Vec<C>, order: RowOrder<S>) -> Result<Self> {
        let k = cursors.len();
        let mut done = vec![false; k];
        let mut rank = vec![(0, 0); k];
        for (i, c) in cursors.iter_mut().enumerate() {
            if c.advance()? {
                rank[i] = Self::rank_of(order, c);
            } else {
                done[i] = true;
            }
        }
        let mut m = Merger {
            cursors,
            tree: vec![0; k.max(1)],
            rank,
            done,
            order,
        };
        if k > 1 {
            // Play every match bottom-up: winners of inner nodes in `win`, losers in the tree.
            let mut win = vec![0usize; k];
            for j in (1..k).rev() {
                let side = |c: usize| if c >= k { c - k } else { win[c] };
                let (a, b) = (side(2 * j), side(2 * j + 1));
                let (w, l) = if m.less(b, a) { (b, a) } else { (a, b) };
                win[j] = w;
                m.tree[j] = l;
            }
            m.tree[0] = win[1];
        }
        Ok(m)
    }

    /// True when cursor `a`'s row comes before cursor `b`'s (ties by index, so the merge is
    /// deterministic); a finished cursor comes after everything.
    #[inline]
    fn less(&self, a: usize, b: usize) -> bool {
        match (self.done[a], self.done[b]) {
            (true, _) => return false,
            (false, true) => return true,
            _ => {}
        }
        let by = self.rank[a].cmp(&self.rank[b]).then_with(|| {
            let (x, y) = (&self.cursors[a], &self.cursors[b]);
            x.key().cmp(y.key())
        });
        by.then(a.cmp(&b)) == Ordering::Less
    }

    #[inline]
    fn rank_of(order: RowOrder<S>, c: &C) -> (u64, u64) {
        match order {
            RowOrder::Key => order::rank(SortOrder::Key, 0, c.key()),
            RowOrder::Count(count) => order::rank(SortOrder::Count, count(c.state()), c.key()),
        }
    }

    /// Moves the winning cursor on and replays its path to the root.
    fn advance_top(&mut self) -> Result<()> {
        let top = self.tree[0];
        if self.cursors[top].advance()? {
            self.rank[top] = Self::rank_of(self.order, &self.cursors[top]);
        } else {
            self.done[top] = true;
        }
        let k = self.cursors.len();
        let mut w = top;
        let mut j = (top + k) / 2;
        while j > 0 {
            let l = self.tree[j];
            if self.less(l, w) {
                self.tree[j] = w;
                w = l;
            }
            j /= 2;
        }
        self.tree[0] = w;
        Ok(())
    }

    /// The next row in order, its key in `key`, with every equal key merged in.
    fn next_row(&mut self, key: &mut Vec<u8>) -> Result<Option<S>> {
        key.clear();
        self.next_appending(key)
    }

    /// The next row in order, appended to `batch`; false at the end.
    fn next_into(&mut self, batch: &mut Batch<S>) -> Result<bool> {
        match self.next_appending(&mut batch.keys)? {
            Some(state) => {
                batch.ends.push(batch.keys.len());
                batch.states.push(state);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Calls `f` with the next row as it stands, without combining equal keys (for cursors
    /// whose keys are disjoint); false at the end.
    fn pass_top(&mut self, f: &mut impl FnMut(&[u8], &S) -> Result<()>) -> Result<bool> {
        let top = self.tree[0];
        if self.cursors.is_empty() || self.done[top] {
            return Ok(false);
        }
        let c = &self.cursors[top];
        f(c.key(), c.state())?;
        self.advance_top()?;
        Ok(true)
    }

    /// [`Merger::next_row`], the key appended to `keys`.
    #[inline]
    fn next_appending(&mut self, keys: &mut Vec<u8>) -> Result<Option<S>> {
        let top = self.tree[0];
        if self.cursors.is_empty() || self.done[top] {
            return Ok(None);
        }
        let start = keys.len();
        keys.extend_from_slice(self.cursors[top].key());
        let mut state = self.cursors[top].take_state();
        self.advance_top()?;
        loop {
            let next = self.tree[0];
            if self.done[next]
                || !crate::aggregate::key_eq(self.cursors[next].key(), &keys[start..])
            {
                break;
            }
            state.merge(self.cursors[next].take_state());
            self.advance_top()?;
        }
        Ok(Some(state))
    }
}

// ---------------------------------------------------------------------------------------------
// The spilled result.

/// A job's result on disk: sorted runs to merge, streamed to output in any order.
pub struct Spilled<S> {
    runs: Vec<Run>,
    parts: usize,
    files: TempFiles,
    memory: usize,
    compress: bool,
    _state: PhantomData<S>,
}

/// The final order of spilled rows.
pub struct RowsOrder<S> {
    /// Count or key order, and `--top`.
    pub order: OrderOptions,
    /// The count that ranks a state in count order.
    pub count: fn(&S) -> u64,
    /// The error for a row whose count saturated, when such rows must fail the run (rows
    /// merged from partial files).
    pub refuse_saturated: Option<fn(&[u8]) -> Error>,
}

impl<S> Clone for RowsOrder<S> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<S> Copy for RowsOrder<S> {}

impl<S> RowsOrder<S> {
    /// The same order, failing with `error(key)` on a saturated count (see
    /// [`crate::aggregate::Merge::saturated`]).
    pub fn refusing_saturated(self, error: fn(&[u8]) -> Error) -> Self {
        RowsOrder {
            refuse_saturated: Some(error),
            ..self
        }
    }

    /// The order of `opts`, ranking states by `count`.
    pub fn new(opts: impl Into<OrderOptions>, count: fn(&S) -> u64) -> Self {
        RowsOrder {
            order: opts.into(),
            count,
            refuse_saturated: None,
        }
    }

    /// Key order, every row (partial output).
    pub fn by_key(count: fn(&S) -> u64) -> Self {
        RowsOrder {
            order: OrderOptions {
                sort: SortOrder::Key,
                top: None,
            },
            count,
            refuse_saturated: None,
        }
    }
}

/// What a partition thread does with its merged rows.
enum PartitionPlan {
    Stream,
    Top(usize),
    Sort,
}

impl<S: State> Spilled<S> {
    /// How many runs the map wrote (the last, from the merged result, included).
    pub fn runs(&self) -> usize {
        self.runs.len()
    }

    /// Calls `f` with every row in `order`, equal keys merged; stops at the first error.
    pub fn for_each(
        mut self,
        order: RowsOrder<S>,
        mut f: impl FnMut(&[u8], &S) -> Result<()>,
    ) -> Result<()> {
        self.reduce_fanin()?;
        let limit = order.order.limit();
        if limit == 0 {
            return Ok(());
        }
        let parts = self.parts;
        // Half the budget to read buffers, half to the external sort (or top heaps).
        let readers = (self.runs.len() * parts).max(1);
        let buf = (self.memory / 2 / readers).clamp(4 << 10, 1 << 20);
        let sort_budget = (self.memory / 2 / parts).max(1 << 16);
        let row_bytes = std::mem::size_of::<S>() + 96;
        let plan = match (order.order.sort, order.order.top) {
            (SortOrder::Key, _) => PartitionPlan::Stream,
            (SortOrder::Count, Some(n)) if n.saturating_mul(row_bytes) <= sort_budget => {
                PartitionPlan::Top(n)
            }
            (SortOrder::Count, _) => PartitionPlan::Sort,
        };
        let final_order = match order.order.sort {
            SortOrder::Key => RowOrder::Key,
            SortOrder::Count => RowOrder::Count(order.count),
        };
        let this = &self;
        let plan = &plan;
        std::thread::scope(|scope| -> Result<()> {
            let mut receivers = Vec::with_capacity(parts);
            for p in 0..parts {
                let (tx, rx) = mpsc::sync_channel::<Result<Batch<S>>>(2);
                receivers.push(rx);
                std::thread::Builder::new()
                    .name(format!("logmill-merge-{p}"))
                    .spawn_scoped(scope, move || {
                        let sent = this.merge_partition(p, buf, sort_budget, plan, order, &tx);
                        if let Err(e) = sent {
                            let _ = tx.send(Err(e));
                        }
                    })
                    .map_err(|e| this.files.err(e))?;
            }
            let cursors: Vec<_> = receivers
                .into_iter()
                .map(|rx| BatchCursor::new(rx.into_iter()))
                .collect();
            // Partitions hold disjoint keys: rows pass straight through, nothing to combine.
            let mut merger = Merger::new(cursors, final_order)?;
            let mut n = 0usize;
            let mut each = |key: &[u8], state: &S| {
                if let Some(error) = order.refuse_saturated.filter(|_| state.saturated()) {
                    return Err(error(key));
                }
                f(key, state)
            };
            while n < limit && merger.pass_top(&mut each)? {
                n += 1;
            }
            // Dropping the merger closes the channels: partition threads still sending stop.
            Ok(())
        })
    }

    /// Merges partition `p` of every run and sends its rows, in the final order, to `tx`.
    fn merge_partition(
        &self,
        p: usize,
        buf: usize,
        sort_budget: usize,
        plan: &PartitionPlan,
        order: RowsOrder<S>,
        tx: &mpsc::SyncSender<Result<Batch<S>>>,
    ) -> Result<()> {
        let cursors = self
            .runs
            .iter()
            .map(|r| RunCursor::open(r, p, buf, &self.files.dir))
            .collect::<Result<Vec<_>>>()?;
        let mut merger = Merger::new(cursors, RowOrder::Key)?;
        let mut key = Vec::new();
        // A closed channel means the consumer has all it wants (or failed): stop quietly.
        let send = |b: Batch<S>| tx.send(Ok(b)).is_ok();
        match *plan {
            PartitionPlan::Stream => {
                let mut batch = Batch::new();
                while merger.next_into(&mut batch)? {
                    if batch.len() >= BATCH_ROWS
                        && !send(std::mem::replace(&mut batch, Batch::new()))
                    {
                        return Ok(());
                    }
                }
                send(batch);
            }
            PartitionPlan::Top(n) => {
                let mut heap: BinaryHeap<Ranked<S>> = BinaryHeap::with_capacity(n + 1);
                while let Some(state) = merger.next_row(&mut key)? {
                    let count = (order.count)(&state);
                    if heap.len() == n {
                        let worst = heap.peek().expect("n > 0");
                        // Not before the worst kept row in the final order: not kept.
                        if order::compare(
                            SortOrder::Count,
                            (count, &key),
                            (worst.count, &worst.key),
                        ) != Ordering::Less
                        {
                            continue;
                        }
                        heap.pop();
                    }
                    heap.push(Ranked {
                        count,
                        key: key.as_slice().into(),
                        state,
                    });
                }
                let mut batch = Batch::new();
                for r in heap.into_sorted_vec() {
                    batch.push(&r.key, r.state);
                }
                send(batch);
            }
            PartitionPlan::Sort => {
                let count = order.count;
                let mut sorted: Vec<Run> = Vec::new();
                let mut batch = Batch::new();
                while let Some(state) = merger.next_row(&mut key)? {
                    batch.push(&key, state);
                    if batch.bytes(24) >= sort_budget {
                        batch.sort_by_count(count);
                        sorted.push(self.write_batch(&batch)?);
                        batch = Batch::new();
                    }
                }
                drop(merger);
                batch.sort_by_count(count);
                if sorted.is_empty() {
                    send(batch);
                    return Ok(());
                }
                let rbuf = (sort_budget / 2 / sorted.len()).clamp(4 << 10, 1 << 20);
                let mut cursors: Vec<Box<dyn Cursor<S> + '_>> = sorted
                    .iter()
                    .map(|r| {
                        RunCursor::open(r, 0, rbuf, &self.files.dir)
                            .map(|c| Box::new(c) as Box<dyn Cursor<S>>)
                    })
                    .collect::<Result<_>>()?;
                cursors.push(Box::new(BatchCursor::new(std::iter::once(Ok(batch)))));
                let mut merger = Merger::new(cursors, RowOrder::Count(count))?;
                let mut out = Batch::new();
                while let Some(state) = merger.next_row(&mut key)? {
                    out.push(&key, state);
                    if out.len() >= BATCH_ROWS && !send(std::mem::replace(&mut out, Batch::new())) {
                        return Ok(());
                    }
                }
                send(out);
            }
        }
        Ok(())
    }

    /// Writes a sorted batch as a run of one section.
    fn write_batch(&self, batch: &Batch<S>) -> Result<Run> {
        let mut w = RunWriter::create(&self.files, 1, self.compress)?;
        let io = |e| self.files.err(e);
        match &batch.order {
            Some(o) => {
                for &i in o {
                    w.push(0, batch.key(i as usize), &batch.states[i as usize])
                        .map_err(io)?;
                }
            }
            None => {
                for i in 0..batch.len() {
                    w.push(0, batch.key(i), &batch.states[i]).map_err(io)?;
                }
            }
        }
        w.finish().map_err(io)
    }

    /// Merges runs in groups until at most [`MAX_FANIN`] are left.
    fn reduce_fanin(&mut self) -> Result<()> {
        while self.runs.len() > MAX_FANIN {
            let group: Vec<Run> = self.runs.drain(..MAX_FANIN).collect();
            let buf = (self.memory / 2 / MAX_FANIN).clamp(4 << 10, 1 << 20);
            let mut w = RunWriter::create(&self.files, self.parts, self.compress)?;
            let io = |e| self.files.err(e);
            let mut key = Vec::new();
            for p in 0..self.parts {
                let cursors = group
                    .iter()
                    .map(|r| RunCursor::<S>::open(r, p, buf, &self.files.dir))
                    .collect::<Result<Vec<_>>>()?;
                let mut merger = Merger::new(cursors, RowOrder::Key)?;
                while let Some(state) = merger.next_row(&mut key)? {
                    w.push(p, &key, &state).map_err(io)?;
                }
            }
            self.runs.push(w.finish().map_err(io)?);
        }
        Ok(())
    }
}

/// A row kept by a top-N heap; the greatest is the worst ranked (lowest count, then the
/// greatest key), so the heap's root is the one to drop.
struct Ranked<S> {
    count: u64,
    key: Box<[u8]>,
    state: S,
}

impl<S> PartialEq for Ranked<S> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl<S> Eq for Ranked<S> {}
impl<S> PartialOrd for Ranked<S> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<S> Ord for Ranked<S> {
    fn cmp(&self, other: &Self) -> Ordering {
        order::compare(
            SortOrder::Count,
            (self.count, &self.key),
            (other.count, &other.key),
        )
    }
}

/// A job's final rows: sorted in memory, or spilled runs merged as they are written.
pub enum Rows<S> {
    /// Already in final order.
    Memory(Vec<(Box<[u8]>, S)>),
    /// Merged from disk in the given order.
    Spilled(Spilled<S>, RowsOrder<S>),
}

impl<S: State> Rows<S> {
    /// Calls `f` with each row in order; stops at the first error.
    pub fn for_each(self, mut f: impl FnMut(&[u8], &S) -> Result<()>) -> Result<()> {
        match self {
            Rows::Memory(rows) => rows.iter().try_for_each(|(k, s)| f(k, s)),
            Rows::Spilled(s, order) => s.for_each(order, f),
        }
    }
}

/// Reads a run section held in memory, as the merge reads spilled runs, and returns its rows;
/// any bytes give rows or an error, never a panic or an allocation of what a corrupt length
/// claims (for the `spill_run` fuzz target and its regression replay).
#[doc(hidden)]
pub fn read_run_section<S: State>(data: &[u8]) -> Result<Vec<(Vec<u8>, S)>> {
    let dir = Path::new("<memory>");
    let inner: Box<dyn Read + Send + '_> = Box::new(data);
    let mut c: RunCursor<'_, S> = RunCursor::from_reader(inner, data.len() as u64, 64, dir);
    let mut rows = Vec::new();
    while c.advance()? {
        rows.push((c.key().to_vec(), c.take_state()));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn opts(memory: usize, compress: bool, dir: &Path) -> SpillOptions {
        SpillOptions {
            memory,
            temp_dir: dir.to_path_buf(),
            compress,
        }
    }

    fn tables(n: usize, keys: u64) -> Vec<KeyedTable<u64>> {
        (0..n)
            .map(|t| {
                let mut k = KeyedTable::default();
                for i in 0..keys {
                    let key = format!(
                        "k{:05}{}",
                        (i * 7 + t as u64 * 13) % (keys * 2),
                        "x".repeat((i % 30) as usize)
                    );
                    *k.entry(key.as_bytes()) += i % 5 + 1;
                }
                k
            })
            .collect()
    }

    fn expected(ts: &[KeyedTable<u64>]) -> BTreeMap<Vec<u8>, u64> {
        let mut m = BTreeMap::new();
        for t in ts {
            for (k, c) in t.iter() {
                *m.entry(k.to_vec()).or_insert(0) += c;
            }
        }
        m
    }

    fn spill_all(ts: Vec<KeyedTable<u64>>, threads: usize, o: &SpillOptions) -> Spilled<u64> {
        let s: TableSpiller<KeyedTable<u64>, u64> =
            TableSpiller::new(o, threads, |t| t, |t| t, |c| *c);
        let mut last = KeyedTable::default();
        for mut t in ts {
            s.spill(&mut t);
            assert!(t.is_empty());
        }
        assert!(s.spilled());
        s.into_spilled(&mut last).unwrap()
    }

    fn collect(sp: Spilled<u64>, order: RowsOrder<u64>) -> Vec<(Vec<u8>, u64)> {
        let mut v = Vec::new();
        sp.for_each(order, |k, c| {
            v.push((k.to_vec(), *c));
            Ok(())
        })
        .unwrap();
        v
    }

    #[test]
    fn varints_round_trip() {
        for v in [0u64, 1, 127, 128, 300, u32::MAX as u64, u64::MAX] {
            let mut b = Vec::new();
            put_varint(&mut b, v);
            let mut r = Bytes::new(&b[..], 64);
            assert_eq!(r.varint().unwrap(), Some(v));
            assert_eq!(r.varint().unwrap(), None);
        }
    }

    #[test]
    fn runs_round_trip_plain_and_compressed() {
        let dir = tempfile::tempdir().unwrap();
        for compress in [false, true] {
            let o = opts(1 << 20, compress, dir.path());
            let ts = tables(1, 3000);
            let want = expected(&ts);
            let sp = spill_all(ts, 3, &o);
            assert_eq!(sp.runs(), 1);
            let got = collect(sp, RowsOrder::by_key(|c| *c));
            let want: Vec<_> = want.into_iter().collect();
            assert_eq!(got, want, "compress {compress}");
        }
        // Every run file was unlinked at once.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn k_way_merge_in_every_order() {
        let dir = tempfile::tempdir().unwrap();
        let ts = tables(5, 2000);
        let want = expected(&ts);
        let by_key: Vec<_> = want.clone().into_iter().collect();
        let mut by_count = by_key.clone();
        by_count.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        for (threads, memory) in [(1, 1 << 20), (2, 1 << 16), (4, 1 << 12)] {
            let o = opts(memory, false, dir.path());
            let key = collect(
                spill_all(ts.clone(), threads, &o),
                RowsOrder::by_key(|c| *c),
            );
            assert_eq!(key, by_key);
            let count_opts = OrderOptions::default();
            let got = collect(
                spill_all(ts.clone(), threads, &o),
                RowsOrder::new(count_opts, |c| *c),
            );
            assert_eq!(got, by_count, "{threads} {memory}");
            for top in [0, 1, 7, 100, 100_000] {
                let got = collect(
                    spill_all(ts.clone(), threads, &o),
                    RowsOrder::new(
                        OrderOptions {
                            top: Some(top),
                            ..count_opts
                        },
                        |c| *c,
                    ),
                );
                assert_eq!(got, by_count[..top.min(by_count.len())], "top {top}");
            }
        }
    }

    #[test]
    fn many_runs_are_merged_in_groups() {
        let dir = tempfile::tempdir().unwrap();
        let ts = tables(MAX_FANIN + 9, 50);
        let want: Vec<_> = expected(&ts).into_iter().collect();
        let o = opts(1 << 20, true, dir.path());
        let sp = spill_all(ts, 2, &o);
        assert_eq!(sp.runs(), MAX_FANIN + 9);
        assert_eq!(collect(sp, RowsOrder::by_key(|c| *c)), want);
    }

    #[test]
    fn a_missing_temp_dir_is_an_error_naming_it() {
        let o = opts(1 << 20, false, Path::new("/nonexistent/logmill-spill"));
        let s: TableSpiller<KeyedTable<u64>, u64> = TableSpiller::new(&o, 1, |t| t, |t| t, |c| *c);
        let mut t = tables(1, 10).pop().unwrap();
        s.spill(&mut t);
        assert!(s.failed());
        let e = s.take_error().unwrap().to_string();
        assert!(e.contains("/nonexistent/logmill-spill"), "{e}");
    }

    #[test]
    fn loser_tree_merges_any_number_of_runs() {
        let dir = tempfile::tempdir().unwrap();
        for n in 1..=9 {
            let ts = tables(n, 300 + 17 * n as u64);
            let by_key: Vec<_> = expected(&ts).into_iter().collect();
            let mut by_count = by_key.clone();
            by_count.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            let o = opts(1 << 20, false, dir.path());
            let key = collect(spill_all(ts.clone(), 3, &o), RowsOrder::by_key(|c| *c));
            assert_eq!(key, by_key, "{n} runs");
            let count = collect(
                spill_all(ts, 3, &o),
                RowsOrder::new(OrderOptions::default(), |c| *c),
            );
            assert_eq!(count, by_count, "{n} runs");
        }
        // No cursors at all.
        type Cursors = BatchCursor<u64, std::vec::IntoIter<Result<Batch<u64>>>>;
        let mut m: Merger<u64, Cursors> = Merger::new(Vec::new(), RowOrder::Key).unwrap();
        assert!(m.next_row(&mut Vec::new()).unwrap().is_none());
    }

    #[test]
    fn spilling_switches_to_appending_for_new_keys_and_back_for_repeats() {
        let dir = tempfile::tempdir().unwrap();
        let o = opts(1 << 20, false, dir.path());
        let s: TableSpiller<KeyedTable<u64>, u64> = TableSpiller::new(&o, 1, |t| t, |t| t, |c| *c);
        let mut t = KeyedTable::default();
        let mut want: BTreeMap<Vec<u8>, u64> = BTreeMap::new();
        let mut add = |t: &mut KeyedTable<u64>, k: String| {
            *t.entry(k.as_bytes()) += 1;
            *want.entry(k.into_bytes()).or_default() += 1;
        };
        // Every key new: the next keys are appended.
        for i in 0..1000 {
            add(&mut t, format!("id{i:06}"));
        }
        s.spill(&mut t);
        assert!(t.is_appending());
        // Appended keys that repeat (and some seen before): back to hashing after the spill.
        for i in 0..3000 {
            add(&mut t, format!("id{:06}", i % 700));
        }
        assert_eq!(t.len(), 3000);
        s.spill(&mut t);
        assert!(!t.is_appending());
        for i in 0..500 {
            add(&mut t, format!("k{}", i % 50));
        }
        let sp = s.into_spilled(&mut t).unwrap();
        assert_eq!(sp.runs(), 3);
        let got = collect(sp, RowsOrder::by_key(|c| *c));
        assert_eq!(got, want.into_iter().collect::<Vec<_>>());
    }

    #[test]
    fn batches_sort_by_count_then_key() {
        let mut b: Batch<u64> = Batch::new();
        let mut want = Vec::new();
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for i in 0..5000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let c = match i % 4 {
                0 => x % 3,
                1 => x % 300,
                2 => x >> (x % 64),
                _ => u64::MAX - x % 2,
            };
            let key = format!("k{i:06}");
            b.push(key.as_bytes(), c);
            want.push((key.into_bytes(), c));
        }
        b.sort_by_count(|c| *c);
        want.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let order = b.order.clone().unwrap();
        let got: Vec<_> = order
            .iter()
            .map(|&i| (b.key(i as usize).to_vec(), b.states[i as usize]))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn corrupt_runs_are_errors_not_allocations() {
        let rows = read_run_section::<u64>(b"\x02k1\x01\x05\x02k2\x02\xac\x02").unwrap();
        assert_eq!(rows, vec![(b"k1".to_vec(), 5), (b"k2".to_vec(), 300)]);
        assert!(read_run_section::<u64>(b"").unwrap().is_empty());
        // A key length far past the section: refused before anything is allocated.
        let e = read_run_section::<u64>(b"\xff\xff\xff\xff\xff\xff\xff\xff\x01")
            .unwrap_err()
            .to_string();
        assert!(e.contains("corrupt spill run"), "{e}");
        let e = read_run_section::<u64>(b"\x02k1\x09\x05")
            .unwrap_err()
            .to_string();
        assert!(e.contains("corrupt spill run"), "{e}");
        assert!(read_run_section::<u64>(b"\x02k1\x01").is_err());
        assert!(read_run_section::<u64>(b"\x02k").is_err());
    }
}
