//! Criterion benches of the engine's parts on seeded synthetic data: the chunker, the words
//! mapper on one chunk, the keyed-table merge and the whole engine at 1 and 2 threads.
//!
//! Every input is generated here from a fixed seed (no files), so two runs on one machine time
//! the same bytes. Sample counts and measurement times are kept small: the whole suite finishes
//! in a couple of minutes on 2 cores (`cargo bench --bench engine`). Pass a filter to run one
//! group, e.g. `cargo bench --bench engine -- merge`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};

use logmill::aggregate::{KeyedTable, Merge};
use logmill::chunk::chunks;
use logmill::engine::Engine;
use logmill::jobs::words::WordsMapper;
use logmill::jobs::{Chunk, Mapper};
use logmill::InputSpec;

/// Size of the chunker and whole-engine inputs.
const BIG: usize = 32 << 20;
/// One chunk: the engine's default chunk size.
const CHUNK: usize = 1 << 20;
/// Distinct keys per table in the merge bench.
const MERGE_KEYS: usize = 100_000;
/// Distinct words in the synthetic vocabulary (the KJV has ~33k, a log far more).
const VOCABULARY: usize = 60_000;
const SEED: u64 = 0x6c6f_676d_696c_6c21;

/// SplitMix64: a tiny, well-mixed, seedable generator (no `rand` dependency needed).
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next()) * n as u128) >> 64) as usize
    }

    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A Zipf-like (log-uniform) index in `0..n`: rank r is drawn with probability ~ 1/r.
    fn zipf(&mut self, n: usize) -> usize {
        let r = ((n as f64 + 1.0).ln() * self.unit()).exp() as usize;
        r.saturating_sub(1).min(n - 1)
    }
}

/// A vocabulary of lowercase ASCII words, about 4% with a non-ASCII letter (é, ß, λ, ж) so the
/// Unicode mapper meets multi-byte characters.
fn vocabulary(rng: &mut SplitMix) -> Vec<String> {
    const EXTRA: [char; 4] = ['é', 'ß', 'λ', 'ж'];
    (0..VOCABULARY)
        .map(|_| {
            let len = 2 + rng.below(8) + rng.below(4);
            let mut w: String = (0..len)
                .map(|_| char::from(b'a' + rng.below(26) as u8))
                .collect();
            if rng.below(25) == 0 {
                w.insert(rng.below(len), EXTRA[rng.below(EXTRA.len())]);
            }
            w
        })
        .collect()
}

/// About `size` bytes of text lines (8 to 23 words each) drawn Zipf-like from the vocabulary;
/// one word in ten is capitalised, one in twenty ends with punctuation, separators are mostly
/// single spaces with an occasional tab or double space.
fn text(size: usize, seed: u64) -> Vec<u8> {
    let mut rng = SplitMix(seed);
    let vocab = vocabulary(&mut rng);
    let mut out = Vec::with_capacity(size + 256);
    while out.len() < size {
        let words = 8 + rng.below(16);
        for i in 0..words {
            if i > 0 {
                out.extend_from_slice(match rng.below(40) {
                    0 => b"\t",
                    1 => b"  ",
                    _ => b" ",
                });
            }
            let w = vocab[rng.zipf(vocab.len())].as_bytes();
            let start = out.len();
            out.extend_from_slice(w);
            if rng.below(10) == 0 {
                out[start] = out[start].to_ascii_uppercase();
            }
            if rng.below(20) == 0 {
                out.push(b",.;:!?"[rng.below(6)]);
            }
        }
        out.push(b'\n');
    }
    out
}

/// A table of `n` distinct keys `key-<k>` with k drawn from `offset..offset + 2n` without
/// repeats, so two tables with offsets 0 and n share about half their keys.
fn table(n: usize, offset: usize, seed: u64) -> KeyedTable<u64> {
    let mut rng = SplitMix(seed);
    let mut t = KeyedTable::default();
    while t.len() < n {
        let k = offset + rng.below(2 * n);
        *t.entry(format!("key-{k:08x}").as_bytes()) += 1 + rng.below(1000) as u64;
    }
    t
}

fn bench_chunker(c: &mut Criterion) {
    let data = text(BIG, SEED);
    let mut g = c.benchmark_group("chunker");
    g.throughput(Throughput::Bytes(data.len() as u64));
    for size in [64 << 10, CHUNK] {
        g.bench_function(format!("32MiB/chunk={}KiB", size >> 10), |b| {
            b.iter(|| chunks(black_box(&data), size).count())
        });
    }
    g.finish();
}

fn bench_words_mapper(c: &mut Criterion) {
    let data = text(CHUNK + (CHUNK >> 1), SEED ^ 1);
    let one = chunks(&data, CHUNK).next().expect("a chunk");
    let chunk = Chunk::whole(0, &data[one]);
    let mut g = c.benchmark_group("words_mapper");
    g.throughput(Throughput::Bytes(chunk.data.len() as u64));
    for unicode in [false, true] {
        let mapper = WordsMapper {
            unicode,
            records: None,
        };
        let mode = if unicode { "unicode" } else { "ascii" };
        // A fresh table per chunk: every distinct word is inserted (a key copy) once.
        g.bench_function(format!("1MiB/{mode}/empty-table"), |b| {
            b.iter(|| {
                let mut t = KeyedTable::default();
                mapper.map(black_box(chunk), &mut t);
                t
            })
        });
        // A worker's combiner after its first chunks: the words are already there.
        let mut warm = KeyedTable::default();
        mapper.map(chunk, &mut warm);
        g.bench_function(format!("1MiB/{mode}/warm-table"), |b| {
            b.iter(|| mapper.map(black_box(chunk), &mut warm))
        });
    }
    g.finish();
}

fn bench_merge(c: &mut Criterion) {
    let a = table(MERGE_KEYS, 0, SEED ^ 2);
    let b = table(MERGE_KEYS, MERGE_KEYS, SEED ^ 3);
    let mut g = c.benchmark_group("merge");
    // Throughput in keys folded in (the smaller table's), not bytes: merge cost is per key.
    g.throughput(Throughput::Elements(b.len() as u64));
    g.bench_function("keyed_table/100k+100k/half-shared", |bench| {
        bench.iter_batched(
            || (a.clone(), b.clone()),
            |(mut x, y)| {
                x.merge(y);
                x
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

fn bench_engine(c: &mut Criterion) {
    let data = text(BIG, SEED ^ 4);
    let mapper = WordsMapper::default();
    let mut g = c.benchmark_group("engine_words");
    g.throughput(Throughput::Bytes(data.len() as u64));
    for threads in [1, 2] {
        let engine = Engine::new(threads, CHUNK).expect("thread pool");
        g.bench_function(format!("32MiB/threads={threads}"), |b| {
            b.iter_batched(
                // `run` takes its inputs by value; copying 32 MiB stays outside the timing.
                || {
                    vec![InputSpec::Bytes {
                        name: "synthetic".into(),
                        data: data.clone(),
                    }]
                },
                |specs| engine.run(specs, &mapper).expect("in-memory input"),
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .noise_threshold(0.05)
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_chunker, bench_words_mapper, bench_merge, bench_engine
}
criterion_main!(benches);
