//! The engine: inputs → chunks → parallel map with a per-worker combiner → a staged reduce tree.
//!
//! Slices (memory-mapped or small files) are cut into newline-aligned chunks and mapped on a
//! rayon pool; each worker folds the chunks of one rayon split into one partial (chunk → split;
//! a worker handles a few splits, as work stealing divides the list), and rayon's reduce merges
//! those partials pairwise (split → final). Streams (stdin, pipes, compressed
//! files, `--mmap never`) are read on their own thread in bounded blocks that the same pool maps.
//! The result does not depend on how the work was split, because every partial's merge is
//! exactly associative and commutative and emit sorts by a total order.

pub mod budget;
mod counted;
mod reads;
mod shard;

use std::ops::Range;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, PoisonError};
use std::thread;

use rayon::prelude::*;

use budget::{merge_budgeted, WorkerSlots};
use shard::shard_ranges;

use crate::aggregate::{merge_all, Merge};
use crate::chunk::{framed_chunks, Framing};
use crate::error::{Error, Result};
use crate::input::stream::BlockReader;
use crate::input::walk::{self, WalkOptions};
use crate::input::{self, Data, InputSpec, MmapPolicy, OpenOptions, Source};
use crate::progress::{Progress, ProgressMode};

pub use budget::{Budget, Spiller};
pub use counted::Counted;
pub use reads::InputRead;
pub use shard::Shard;

/// Stream blocks queued between the reader thread and the mappers. With the blocks the workers
/// hold, at most `threads + QUEUED_BLOCKS + 1` blocks exist at once.
const QUEUED_BLOCKS: usize = 2;

/// The default chunk size: 1 MiB keeps 64 cores busy on a 64 MiB file and leaves per-chunk
/// overhead (a few hundred nanoseconds) invisible next to the time to map a mebibyte.
pub const DEFAULT_CHUNK_SIZE: usize = 1 << 20;

/// Chunks per coarse chunk, among which a mapper that leaves out chunks chooses first.
const COARSE: usize = 64;

/// The most worker threads `-j` (or `LOGMILL_THREADS`) may ask for. Thousands of threads only
/// wake each other on a machine with a few cores and reserve a stack each; the engine also
/// never starts more workers than there are chunks to map, so a large `-j` on a small input
/// costs nothing.
pub const MAX_THREADS: usize = 1024;

/// All cores, as the operating system reports them.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// A piece of input handed to a mapper: whole lines (the last may lack its newline), or whole
/// records under the mapper's [`Framing`].
#[derive(Debug, Clone, Copy)]
pub struct Chunk<'a> {
    /// Which input (by position on the command line) the bytes belong to.
    pub input: usize,
    /// Where `data` starts in its input, in bytes (after decompression), so a mapper can name
    /// the place of a record (the fields job turns it into a line number for rejects).
    pub offset: u64,
    /// The input's first record (see [`Framing::head_end`]), the same for every chunk of the
    /// input: a header that chunks far from the start need too. Only quoted (CSV) framing
    /// reads it; under line framing a stream leaves it empty.
    pub head: &'a [u8],
    /// The bytes: whole lines, the last possibly without its `\n`.
    pub data: &'a [u8],
    /// The input's first lines ([`crate::chunk::sample_end`]), the same for every chunk of
    /// the input, for mappers that ask for it ([`Mapper::wants_sample`]; empty otherwise):
    /// what a mapper decides once per input (a timestamp format) it decides from these.
    pub sample: &'a [u8],
    /// Where the chunk whose lines are counted starts (see [`Mapper::see_chunk`]): `offset`,
    /// unless this is a piece of a larger chunk (a timed run maps runs of lines).
    pub lines_from: u64,
    /// Lines between `lines_from` and `offset`.
    pub lines_before: u64,
}

impl<'a> Chunk<'a> {
    /// A chunk holding a whole input (offset 0, head found by `Framing::Lines`); for tests
    /// and library users that map bytes directly.
    pub fn whole(input: usize, data: &'a [u8]) -> Chunk<'a> {
        Chunk {
            input,
            offset: 0,
            head: &data[..Framing::Lines.head_end(data)],
            data,
            sample: &data[..crate::chunk::sample_end(data)],
            lines_from: 0,
            lines_before: 0,
        }
    }
}

/// A job's map step: folds a chunk into a partial aggregate.
pub trait Mapper: Sync {
    /// The partial aggregate this mapper builds.
    type Partial: Merge;

    /// Folds every record of `chunk` into `partial`. Must not depend on where the chunk's
    /// boundaries fall beyond their being line boundaries.
    fn map(&self, chunk: Chunk<'_>, partial: &mut Self::Partial);

    /// Whether the mapper wants to see every whole chunk ([`Mapper::see_chunk`]) when a
    /// wrapper maps only pieces of it ([`Mapper::map_piece`]). No by default.
    fn sees_chunks(&self) -> bool {
        false
    }

    /// Sees a whole chunk whose pieces a wrapper maps through [`Mapper::map_piece`] (the
    /// lines of every chunk are counted for `--example`). Nothing by default.
    fn see_chunk(&self, _chunk: Chunk<'_>, _partial: &mut Self::Partial) {}

    /// Maps a piece of a chunk the wrapper showed to [`Mapper::see_chunk`] (the piece's
    /// `lines_from` and `lines_before` place it in that chunk). [`Mapper::map`] by default.
    fn map_piece(&self, piece: Chunk<'_>, partial: &mut Self::Partial) {
        self.map(piece, partial)
    }

    /// Maps `chunk` as [`Mapper::map`] does and calls `first(key, at)` each time a key enters
    /// the keyed table of `partial` (the one the job's `example_access` names), with `at` the
    /// start in `chunk.data` of the record that produced it; records are visited in
    /// order, so on an empty table that is each key's first record in the chunk (what
    /// `--example` needs, found at the job's own speed). Returns false without mapping
    /// anything when the mapper cannot tell (the default): the caller then maps record by
    /// record.
    fn map_placing(
        &self,
        _chunk: Chunk<'_>,
        _partial: &mut Self::Partial,
        _first: &mut dyn FnMut(&[u8], usize),
    ) -> bool {
        false
    }

    /// Where this mapper's records end, so chunks are cut between records. Lines by default.
    fn framing(&self) -> Framing {
        Framing::Lines
    }

    /// Whether chunks should carry the input's first lines ([`Chunk::sample`]). No by default.
    fn wants_sample(&self) -> bool {
        false
    }

    /// Of the chunks of one mapped (not streamed) input slice, in order, the range to map: a
    /// mapper that knows which records it needs may leave out chunks at either end without
    /// their being read (all of them by default).
    fn select_chunks(&self, chunks: &[Chunk<'_>]) -> Range<usize> {
        0..chunks.len()
    }

    /// Called once before any chunk is mapped, with the run's inputs by [`Chunk::input`]
    /// index (directories expanded): a mapper that decides something per input from the input
    /// itself (the modification time that dates year-less timestamps) decides it here.
    fn begin(&self, _inputs: &[InputSpec]) {}

    /// The lines of `chunk` that can matter to this mapper: calls `line` with the start of
    /// each (in increasing order; under record framing, the start of each record that can)
    /// and returns true; a line that is not a candidate adds nothing to the partial when it is
    /// mapped within a piece. False (the default) when the mapper cannot tell: every line may
    /// matter. A wrapper that dates lines (the time options) dates only the candidates.
    fn candidates(&self, _chunk: Chunk<'_>, _line: &mut dyn FnMut(usize)) -> bool {
        false
    }
}

/// A borrowed mapper maps as the mapper does (a job can hand out the mapper it holds).
impl<M: Mapper> Mapper for &M {
    type Partial = M::Partial;

    #[inline]
    fn map(&self, chunk: Chunk<'_>, partial: &mut Self::Partial) {
        (**self).map(chunk, partial)
    }

    fn sees_chunks(&self) -> bool {
        (**self).sees_chunks()
    }

    fn see_chunk(&self, chunk: Chunk<'_>, partial: &mut Self::Partial) {
        (**self).see_chunk(chunk, partial)
    }

    fn map_piece(&self, piece: Chunk<'_>, partial: &mut Self::Partial) {
        (**self).map_piece(piece, partial)
    }

    fn map_placing(
        &self,
        chunk: Chunk<'_>,
        partial: &mut Self::Partial,
        first: &mut dyn FnMut(&[u8], usize),
    ) -> bool {
        (**self).map_placing(chunk, partial, first)
    }

    fn framing(&self) -> Framing {
        (**self).framing()
    }

    fn wants_sample(&self) -> bool {
        (**self).wants_sample()
    }

    fn select_chunks(&self, chunks: &[Chunk<'_>]) -> Range<usize> {
        (**self).select_chunks(chunks)
    }

    fn begin(&self, inputs: &[InputSpec]) {
        (**self).begin(inputs)
    }

    fn candidates(&self, chunk: Chunk<'_>, line: &mut dyn FnMut(usize)) -> bool {
        (**self).candidates(chunk, line)
    }
}

/// How the engine reads and runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineOptions {
    /// Worker threads (at least 1).
    pub threads: usize,
    /// Target chunk (and stream block) size in bytes.
    pub chunk_size: usize,
    /// When files are memory-mapped.
    pub mmap: MmapPolicy,
    /// How directories are expanded.
    pub walk: WalkOptions,
    /// Go on past inputs that cannot be read, reporting them in [`Mapped::failed`].
    pub keep_going: bool,
    /// When to show progress on stderr.
    pub progress: ProgressMode,
    /// Process only this shard of the inputs' bytes.
    pub shard: Option<Shard>,
    /// Bounds on each input's size and on the longest record a stream may buffer.
    pub limits: input::InputLimits,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            threads: default_threads(),
            chunk_size: DEFAULT_CHUNK_SIZE,
            mmap: MmapPolicy::default(),
            walk: WalkOptions::default(),
            keep_going: false,
            progress: ProgressMode::Never,
            shard: None,
            limits: input::InputLimits::default(),
        }
    }
}

/// What a run of the engine produced.
#[derive(Debug)]
pub struct Mapped<P> {
    /// The merged partial of every input that was read completely.
    pub partial: P,
    /// The name of every input, by `Chunk::input` index (after directories were expanded).
    pub inputs: Vec<String>,
    /// The same names as their exact bytes (paths need not be UTF-8).
    pub raw_names: Vec<Vec<u8>>,
    /// Inputs (by index, when they had one) that could not be read, with `keep_going`.
    pub failed: Vec<(Option<usize>, Error)>,
    /// Files skipped as binary while walking directories.
    pub skipped_binary: usize,
    /// What was read of every input, by `Chunk::input` index: the provenance of the result.
    pub reads: Vec<InputRead>,
}

impl<P> Mapped<P> {
    /// Reports inputs that failed (with `keep_going`) and files skipped as binary on stderr,
    /// one line each. True when any input failed: the run must then exit with 2.
    pub fn report(&self) -> bool {
        for (_, e) in &self.failed {
            crate::diag::error(e);
        }
        if self.skipped_binary > 0 {
            crate::diag::note(format_args!(
                "skipped {} binary file(s) found by -r (use --binary to read them)",
                self.skipped_binary
            ));
        }
        !self.failed.is_empty()
    }

    /// The inputs in argument order, with which of them failed (for per-input results).
    pub fn input_list(&self) -> InputList {
        let mut failed = vec![false; self.inputs.len()];
        for i in self.failed.iter().filter_map(|(i, _)| *i) {
            if let Some(f) = failed.get_mut(i) {
                *f = true;
            }
        }
        InputList {
            names: self.inputs.clone(),
            raw: self.raw_names.clone(),
            failed,
        }
    }
}

/// The inputs of a run in argument order (directories expanded), as per-input results list
/// them.
#[derive(Debug, Clone, Default)]
pub struct InputList {
    /// Names for messages (lossy where a path is not UTF-8).
    pub names: Vec<String>,
    /// The names' exact bytes.
    pub raw: Vec<Vec<u8>>,
    /// Whether each input failed (with `--keep-going`): its results are not there.
    pub failed: Vec<bool>,
}

/// Runs mappers over inputs on a pool of at most `threads` workers, and never more workers than
/// there are chunks (or stream blocks) to map: `-j 1024` on one line starts one thread.
pub struct Engine {
    /// The last pool built, reused while the same number of workers is wanted.
    pool: Mutex<Option<Arc<rayon::ThreadPool>>>,
    opts: EngineOptions,
}

impl Engine {
    /// An engine with `threads` workers cutting inputs into chunks of about `chunk_size` bytes,
    /// with the other options at their defaults.
    pub fn new(threads: usize, chunk_size: usize) -> Result<Engine> {
        Engine::with_options(EngineOptions {
            threads,
            chunk_size,
            ..EngineOptions::default()
        })
    }

    /// An engine with the given options.
    pub fn with_options(opts: EngineOptions) -> Result<Engine> {
        Ok(Engine {
            pool: Mutex::new(None),
            opts: EngineOptions {
                chunk_size: opts.chunk_size.max(1),
                threads: opts.threads.max(1),
                ..opts
            },
        })
    }

    /// A pool with one worker per unit of `work`, up to `threads`.
    fn pool(&self, work: usize) -> Result<Arc<rayon::ThreadPool>> {
        let workers = work.clamp(1, self.opts.threads);
        let mut cached = self.pool.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(pool) = cached.as_ref() {
            if pool.current_num_threads() == workers {
                return Ok(Arc::clone(pool));
            }
        }
        *cached = None; // stop the old workers before starting new ones
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(workers)
            .thread_name(|i| format!("logmill-worker-{i}"))
            .build()
            .map_err(|e| Error::ThreadPool {
                threads: workers,
                message: e.to_string(),
            })?;
        let pool = Arc::new(pool);
        *cached = Some(Arc::clone(&pool));
        Ok(pool)
    }

    /// Expands and opens every input (so a bad argument fails before any work unless
    /// `keep_going`), maps them all and returns the merged partial. Input `i` of the expanded
    /// list is `Chunk::input == i` for the mapper.
    pub fn run<M: Mapper>(&self, specs: Vec<InputSpec>, mapper: &M) -> Result<Mapped<M::Partial>> {
        self.run_with(specs, mapper, None)
    }

    /// [`Engine::run`] within a memory budget: with a spiller, each worker folds into its own
    /// partial and spills it (see `spill/`) before a chunk could take the partials past the
    /// budget. A spill failure stops the mapping; the spiller keeps the error.
    pub fn run_with<M: Mapper>(
        &self,
        specs: Vec<InputSpec>,
        mapper: &M,
        spiller: Option<&dyn Spiller<M::Partial>>,
    ) -> Result<Mapped<M::Partial>> {
        let expanded = walk::expand(specs, self.opts.walk);
        let mut failed = Vec::new();
        for e in expanded.errors {
            self.fail(&mut failed, None, e)?;
        }
        let progress = Progress::new(self.opts.progress);
        let open_opts = OpenOptions {
            mmap: self.opts.mmap,
            progress: progress.clone(),
            limits: self.opts.limits,
            decode_threads: self.opts.threads,
            decode_run: self.opts.chunk_size.saturating_mul(4).min(64 << 20),
        };
        mapper.begin(&expanded.inputs);
        let inputs: Vec<String> = expanded.inputs.iter().map(InputSpec::name).collect();
        let raw_names: Vec<Vec<u8>> = expanded.inputs.iter().map(InputSpec::name_bytes).collect();
        let mut reads: Vec<InputRead> = expanded.inputs.iter().map(InputRead::unread).collect();
        let mut opened = Vec::new();
        for (i, spec) in expanded.inputs.into_iter().enumerate() {
            match input::open(spec, &open_opts) {
                Ok(source) => opened.push((i, source)),
                Err(e) => self.fail(&mut failed, Some(i), e)?,
            }
        }
        let shards = match self.opts.shard {
            Some(shard) => Some(shard_ranges(&opened, shard, mapper.framing())?),
            None => None,
        };
        let mut slices = Vec::new();
        let mut streams = Vec::new();
        let mut total = Some(0u64);
        for (k, (i, source)) in opened.into_iter().enumerate() {
            let part = shards.as_ref().map(|s| s[k].clone());
            reads[i].size = match &source {
                Source::Slice { data, .. } => Some(data.len() as u64),
                Source::Stream { raw_len, .. } => *raw_len,
            };
            if part.as_ref().is_some_and(|r| r.is_none()) {
                continue; // another shard's input
            }
            match source {
                Source::Slice { data, window } => {
                    let range = match part.flatten() {
                        Some(r) => window.start + r.start..window.start + r.end,
                        None => window,
                    };
                    reads[i].range = Some(range.start as u64..range.end as u64);
                    total = total.map(|t| t + range.len() as u64);
                    slices.push((i, data, range));
                }
                Source::Stream {
                    name,
                    reader,
                    expected_len,
                    raw_len,
                } => {
                    reads[i].range = raw_len.map(|n| 0..n);
                    total = total.zip(raw_len).map(|(a, b)| a + b);
                    streams.push((i, name, reader, expected_len));
                }
            }
        }
        progress.set_total(total);
        let mut parts = Vec::new();
        if !slices.is_empty() {
            parts.push(match spiller {
                None => self.map_slices(&slices, mapper, &progress)?,
                Some(s) => self.map_slices_budgeted(&slices, mapper, &progress, s)?,
            });
        }
        for (i, name, reader, expected_len) in streams {
            match self.map_stream(i, &name, reader, expected_len, mapper, spiller) {
                Ok(p) => parts.push(p),
                Err(e) => {
                    if !self.opts.keep_going {
                        progress.finish();
                    }
                    reads[i].range = None;
                    self.fail(&mut failed, Some(i), e)?
                }
            }
        }
        progress.finish();
        let partial = match spiller {
            None => merge_all(parts),
            Some(s) => merge_budgeted(parts, s),
        };
        Ok(Mapped {
            partial,
            inputs,
            raw_names,
            failed,
            skipped_binary: expanded.skipped_binary,
            reads,
        })
    }

    /// Records a failed input with `keep_going`, or returns the error.
    fn fail(
        &self,
        failed: &mut Vec<(Option<usize>, Error)>,
        input: Option<usize>,
        e: Error,
    ) -> Result<()> {
        if self.opts.keep_going {
            failed.push((input, e));
            Ok(())
        } else {
            Err(e)
        }
    }

    /// The chunks of every slice, in order, cut at `framing`'s record boundaries. `cut` sees
    /// each chunk as it is listed: the slice's index, its data and the chunk's byte range in
    /// that data.
    fn chunk_list<'a, M: Mapper>(
        &self,
        slices: &'a [(usize, Data, Range<usize>)],
        mapper: &M,
        mut cut: impl FnMut(usize, &Data, Range<usize>),
    ) -> Vec<Chunk<'a>> {
        let framing = mapper.framing();
        let sample = mapper.wants_sample();
        let mut work = Vec::new();
        for (k, (input, whole, range)) in slices.iter().enumerate() {
            let full: &[u8] = whole;
            // The head is the input's first record even when this run maps a later shard.
            let head = &full[..framing.head_end(full)];
            let sample = &full[..if sample {
                crate::chunk::sample_end(full)
            } else {
                0
            }];
            let chunk = |at: Range<usize>| Chunk {
                input: *input,
                offset: at.start as u64,
                head,
                data: &full[at.clone()],
                sample,
                lines_from: at.start as u64,
                lines_before: 0,
            };
            // A mapper that leaves out chunks (`--sorted`) first chooses among coarse chunks,
            // so the chunks it leaves out are never cut (each cut reads a page of the file).
            let coarse = self.opts.chunk_size.saturating_mul(COARSE);
            let mut range = range.clone();
            if range.len() / 2 > coarse {
                let data = &full[range.clone()];
                let cuts: Vec<Range<usize>> = framed_chunks(data, coarse, framing)
                    .map(|r| range.start + r.start..range.start + r.end)
                    .collect();
                let firsts: Vec<Chunk<'_>> = cuts.iter().cloned().map(chunk).collect();
                let keep = mapper.select_chunks(&firsts);
                range = match cuts.get(keep.clone()) {
                    Some([first, .., last]) => first.start..last.end,
                    Some([only]) => only.clone(),
                    _ => range.start..range.start,
                };
            }
            let data = &full[range.clone()];
            let start = work.len();
            for r in framed_chunks(data, self.opts.chunk_size, framing) {
                let at = range.start + r.start..range.start + r.end;
                cut(k, whole, at.clone());
                work.push(chunk(at));
            }
            // The mapper may leave out chunks it knows it does not need (`--sorted`).
            let listed = start;
            let keep = mapper.select_chunks(&work[listed..]);
            work.truncate(listed + keep.end);
            work.drain(listed..listed + keep.start);
        }
        work
    }

    fn map_slices<M: Mapper>(
        &self,
        slices: &[(usize, Data, Range<usize>)],
        mapper: &M,
        progress: &Progress,
    ) -> Result<M::Partial> {
        let work = self.chunk_list(slices, mapper, |_, _, _| {});
        Ok(self.pool(work.len())?.install(|| {
            work.par_iter()
                .fold(M::Partial::default, |mut p, c| {
                    mapper.map(*c, &mut p);
                    progress.add(c.data.len() as u64);
                    p
                })
                .reduce(M::Partial::default, merged)
        }))
    }

    /// [`Engine::map_slices`] with one partial per worker, kept within the spiller's budget.
    /// When memory-mapped inputs are bigger than half the budget, their pages are released from
    /// the resident set as the work goes on, so the mapped files do not fill it.
    fn map_slices_budgeted<M: Mapper>(
        &self,
        slices: &[(usize, Data, Range<usize>)],
        mapper: &M,
        progress: &Progress,
        spiller: &dyn Spiller<M::Partial>,
    ) -> Result<M::Partial> {
        let mapped_bytes: usize = slices
            .iter()
            .filter(|(_, d, _)| d.is_mapped())
            .map(|(_, _, r)| r.len())
            .sum();
        let limit = spiller.budget().limit();
        let release = mapped_bytes > limit / 2;
        // The kernel maps file pages in large folios (up to a 2 MiB huge page), so one fault
        // maps neighbours' pages too and releasing a chunk's own pages would miss those: every
        // eighth of the budget mapped, release every mapped input whole (pages a worker is
        // still reading fault back in).
        let release_every = (limit / 8).max(self.opts.chunk_size);
        let release_all = || {
            for (_, data, range) in slices {
                data.release(range.clone());
            }
        };
        // Finding a boundary touches a page per chunk, which may map a huge page each: release
        // each input's pages as the list is cut. `released` is (slice, bytes released so far).
        let mut released = (usize::MAX, 0);
        let work = self.chunk_list(slices, mapper, |k, whole, r| {
            if !release {
                return;
            }
            if released.0 != k {
                released = (k, r.start);
            }
            if r.end - released.1 >= release_every {
                whole.release(released.1..r.end);
                released.1 = r.end;
            }
        });
        if release {
            release_all();
        }
        let since_release = AtomicUsize::new(0);
        let pool = self.pool(work.len())?;
        let slots = WorkerSlots::new(pool.current_num_threads());
        pool.install(|| {
            work.par_iter().for_each(|c| {
                if spiller.failed() {
                    return;
                }
                slots.map(*c, mapper, spiller);
                let n = c.data.len();
                if release && since_release.fetch_add(n, Ordering::Relaxed) + n >= release_every {
                    since_release.store(0, Ordering::Relaxed);
                    release_all();
                }
                progress.add(n as u64);
            })
        });
        Ok(merge_budgeted(slots.into_partials(spiller), spiller))
    }

    fn map_stream<M: Mapper>(
        &self,
        input: usize,
        name: &Path,
        reader: Box<dyn std::io::Read + Send>,
        expected_len: Option<u64>,
        mapper: &M,
        spiller: Option<&dyn Spiller<M::Partial>>,
    ) -> Result<M::Partial> {
        let (full_tx, full_rx) = mpsc::sync_channel::<Vec<u8>>(QUEUED_BLOCKS);
        let (empty_tx, empty_rx) = mpsc::channel::<Vec<u8>>();
        let target = self.opts.chunk_size;
        let framing = mapper.framing();
        let max_line = self.opts.limits.max_line;
        let producer = thread::Builder::new()
            .name("logmill-reader".into())
            .spawn(move || -> std::io::Result<u64> {
                let mut blocks =
                    BlockReader::framed(reader, target, framing).with_max_line(max_line);
                let mut total = 0u64;
                loop {
                    // Reuse a block the mappers are done with; allocate only to fill the queue.
                    let mut buf = empty_rx.try_recv().unwrap_or_default();
                    if !blocks.fill(&mut buf)? {
                        return Ok(total);
                    }
                    total += buf.len() as u64;
                    if full_tx.send(buf).is_err() {
                        return Ok(total);
                    }
                }
            })
            .map_err(|e| Error::Read {
                path: name.to_path_buf(),
                source: e,
            })?;
        // Read ahead up to one block per worker: a stream that ends sooner (one line on stdin)
        // gets no more workers than it has blocks.
        let mut rest = full_rx.into_iter();
        let ahead: Vec<Vec<u8>> = rest.by_ref().take(self.opts.threads).collect();
        let pool = match self.pool(ahead.len()) {
            Ok(pool) => pool,
            Err(e) => {
                drop(rest); // the reader stops at its next block
                let _ = producer.join();
                return Err(e);
            }
        };
        // The first block starts the input: its first record is the head every block sees.
        // Blocks come in order from one reader, so their offsets are a running total.
        let mut blocks = ahead.into_iter().chain(rest);
        let mut first = blocks.next();
        // Quoted framing skips blank lines before the head: take blocks of nothing but blank
        // lines into the first block, so the head is in it as it is in a mapped file.
        if let Framing::Quoted { .. } = framing {
            while let Some(b) = first.as_mut() {
                if !b.iter().all(|&c| c == b'\n' || c == b'\r') {
                    break;
                }
                match blocks.next() {
                    Some(next) => b.extend_from_slice(&next),
                    None => break,
                }
            }
        }
        // A mapper that wants the input's first lines gets them whole in the first block,
        // whatever the block size (`sample_end` of the data read, not of one block).
        if mapper.wants_sample() {
            while let Some(b) = first.as_mut() {
                if crate::chunk::sample_end(b) < b.len() || b.len() >= crate::chunk::SAMPLE_BYTES {
                    break;
                }
                match blocks.next() {
                    Some(next) => b.extend_from_slice(&next),
                    None => break,
                }
            }
        }
        let sample: Vec<u8> = match &first {
            Some(b) if mapper.wants_sample() => b[..crate::chunk::sample_end(b)].to_vec(),
            _ => Vec::new(),
        };
        // Only quoted (CSV) framing has a header that later blocks need. A line format's first
        // line is not copied: it can be the whole input (one 1 GiB line on stdin).
        let head: Vec<u8> = match framing {
            Framing::Quoted { .. } => first
                .as_deref()
                .map_or_else(Vec::new, |b| b[..framing.head_end(b)].to_vec()),
            Framing::Lines | Framing::Records(_) => Vec::new(),
        };
        let mut offset = 0u64;
        let numbered = first.into_iter().chain(blocks).map(|buf| {
            let at = offset;
            offset += buf.len() as u64;
            (at, buf)
        });
        let partial = match spiller {
            None => pool.install(|| {
                numbered
                    .par_bridge()
                    .fold(M::Partial::default, |mut p, (at, buf)| {
                        let chunk = Chunk {
                            input,
                            offset: at,
                            head: &head,
                            data: &buf,
                            sample: &sample,
                            lines_from: at,
                            lines_before: 0,
                        };
                        mapper.map(chunk, &mut p);
                        // The reader may have finished already; then the block is simply
                        // dropped.
                        let _ = empty_tx.send(buf);
                        p
                    })
                    .reduce(M::Partial::default, merged)
            }),
            Some(s) => {
                let slots = WorkerSlots::new(pool.current_num_threads());
                pool.install(|| {
                    numbered.par_bridge().for_each(|(at, buf)| {
                        if !s.failed() {
                            let chunk = Chunk {
                                input,
                                offset: at,
                                head: &head,
                                data: &buf,
                                sample: &sample,
                                lines_from: at,
                                lines_before: 0,
                            };
                            slots.map(chunk, mapper, s);
                        }
                        let _ = empty_tx.send(buf);
                    })
                });
                merge_budgeted(slots.into_partials(s), s)
            }
        };
        let read_err = |source| Error::Read {
            path: name.to_path_buf(),
            source,
        };
        match producer.join() {
            Ok(Ok(read)) => match expected_len {
                Some(expected) if read < expected => Err(Error::Shrank {
                    path: name.to_path_buf(),
                    expected,
                    read,
                }),
                _ => Ok(partial),
            },
            Ok(Err(source)) => Err(read_err(source)),
            Err(_) => Err(read_err(std::io::Error::other("reader thread panicked"))),
        }
    }
}

fn merged<P: Merge>(mut a: P, b: P) -> P {
    a.merge(b);
    a
}

#[cfg(test)]
mod tests;
