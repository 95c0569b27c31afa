//! The engine: inputs → chunks → parallel map with a per-worker combiner → a staged reduce tree.
//!
//! Slices (memory-mapped files) are cut into newline-aligned chunks and mapped on a rayon pool;
//! each worker folds its chunks into one partial (chunk → worker), and rayon's reduce merges the
//! workers' partials pairwise (worker → final). Streams are read on their own thread in bounded
//! blocks that the same pool maps. The result does not depend on how the work was split, because
//! every partial's merge is exactly associative and commutative and emit sorts by a total order.

use std::path::Path;
use std::sync::mpsc;
use std::thread;

use rayon::prelude::*;

use crate::chunk::chunks;
use crate::error::{Error, Result};
use crate::input::stream::BlockReader;
use crate::input::{self, InputSpec, Source};
use crate::map::{Chunk, Mapper};
use crate::merge::{merge_all, Merge};

/// Stream blocks queued between the reader thread and the mappers. With the blocks the workers
/// hold, at most `threads + QUEUED_BLOCKS + 1` blocks exist at once.
const QUEUED_BLOCKS: usize = 2;

/// Runs mappers over inputs on a fixed pool of threads.
pub struct Engine {
    pool: rayon::ThreadPool,
    chunk_size: usize,
}

impl Engine {
    /// An engine with `threads` workers cutting inputs into chunks of about `chunk_size` bytes
    /// (which is also the block size for streamed inputs).
    pub fn new(threads: usize, chunk_size: usize) -> Result<Engine> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("logmill-worker-{i}"))
            .build()
            .map_err(|e| Error::ThreadPool {
                threads,
                message: e.to_string(),
            })?;
        Ok(Engine {
            pool,
            chunk_size: chunk_size.max(1),
        })
    }

    /// Opens every input (so a bad argument fails before any work), maps them all and returns
    /// the merged partial. Input `i` of `specs` is `Chunk::input == i` for the mapper.
    pub fn run<M: Mapper>(&self, specs: Vec<InputSpec>, mapper: &M) -> Result<M::Partial> {
        let sources = specs
            .into_iter()
            .map(input::open)
            .collect::<Result<Vec<_>>>()?;
        let mut parts = Vec::new();
        let mut slices = Vec::new();
        let mut streams = Vec::new();
        for (i, s) in sources.into_iter().enumerate() {
            match s {
                Source::Slice { data } => slices.push((i, data)),
                Source::Stream { name, reader } => streams.push((i, name, reader)),
            }
        }
        if !slices.is_empty() {
            parts.push(self.map_slices(&slices, mapper));
        }
        for (i, name, reader) in streams {
            parts.push(self.map_stream(i, &name, reader, mapper)?);
        }
        Ok(merge_all(parts))
    }

    fn map_slices<M: Mapper, D: std::ops::Deref<Target = [u8]> + Sync>(
        &self,
        slices: &[(usize, D)],
        mapper: &M,
    ) -> M::Partial {
        let work: Vec<Chunk<'_>> = slices
            .iter()
            .flat_map(|(input, data)| {
                let data: &[u8] = data;
                chunks(data, self.chunk_size).map(move |r| Chunk {
                    input: *input,
                    data: &data[r],
                })
            })
            .collect();
        self.pool.install(|| {
            work.par_iter()
                .fold(M::Partial::default, |mut p, c| {
                    mapper.map(*c, &mut p);
                    p
                })
                .reduce(M::Partial::default, merged)
        })
    }

    fn map_stream<M: Mapper>(
        &self,
        input: usize,
        name: &Path,
        reader: Box<dyn std::io::Read + Send>,
        mapper: &M,
    ) -> Result<M::Partial> {
        let (full_tx, full_rx) = mpsc::sync_channel::<Vec<u8>>(QUEUED_BLOCKS);
        let (empty_tx, empty_rx) = mpsc::channel::<Vec<u8>>();
        let target = self.chunk_size;
        let producer = thread::Builder::new()
            .name("logmill-reader".into())
            .spawn(move || -> std::io::Result<()> {
                let mut blocks = BlockReader::new(reader, target);
                loop {
                    // Reuse a block the mappers are done with; allocate only to fill the queue.
                    let mut buf = empty_rx.try_recv().unwrap_or_default();
                    if !blocks.fill(&mut buf)? || full_tx.send(buf).is_err() {
                        return Ok(());
                    }
                }
            })
            .map_err(|e| Error::Read {
                path: name.to_path_buf(),
                source: e,
            })?;
        let partial = self.pool.install(|| {
            full_rx
                .into_iter()
                .par_bridge()
                .fold(M::Partial::default, |mut p, buf| {
                    mapper.map(Chunk { input, data: &buf }, &mut p);
                    // The reader may have finished already; then the block is simply dropped.
                    let _ = empty_tx.send(buf);
                    p
                })
                .reduce(M::Partial::default, merged)
        });
        match producer.join() {
            Ok(Ok(())) => Ok(partial),
            Ok(Err(source)) => Err(Error::Read {
                path: name.to_path_buf(),
                source,
            }),
            Err(_) => Err(Error::Read {
                path: name.to_path_buf(),
                source: std::io::Error::other("reader thread panicked"),
            }),
        }
    }
}

fn merged<P: Merge>(mut a: P, b: P) -> P {
    a.merge(b);
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts lines and bytes, and remembers every chunk's last byte.
    struct LineBytes;
    impl Mapper for LineBytes {
        type Partial = Vec<u64>;
        fn map(&self, c: Chunk<'_>, p: &mut Vec<u64>) {
            if p.len() < 2 {
                p.resize(2, 0);
            }
            p[0] += memchr::memchr_iter(b'\n', c.data).count() as u64;
            p[1] += c.data.len() as u64;
        }
    }

    #[test]
    fn every_byte_is_mapped_once_for_any_threads_and_chunk_size() {
        let data: Vec<u8> = (0..2000u32)
            .flat_map(|i| format!("line {i} {}\n", "x".repeat((i % 37) as usize)).into_bytes())
            .collect();
        for threads in 1..=3 {
            for size in [1, 7, 100, 4096, 1 << 20] {
                let e = Engine::new(threads, size).unwrap();
                let spec = InputSpec::Bytes {
                    name: "t".into(),
                    data: data.clone(),
                };
                let got = e.run(vec![spec.clone(), spec], &LineBytes).unwrap();
                assert_eq!(got, vec![4000, 2 * data.len() as u64], "{threads} {size}");
            }
        }
    }
}
