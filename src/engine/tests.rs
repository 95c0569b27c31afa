use super::*;

/// Counts lines and bytes.
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

fn sample() -> Vec<u8> {
    (0..2000u32)
        .flat_map(|i| format!("line {i} {}\n", "x".repeat((i % 37) as usize)).into_bytes())
        .collect()
}

#[test]
fn never_more_workers_than_chunks() {
    let e = Engine::new(64, 4).unwrap();
    let workers = |e: &Engine| {
        e.pool
            .lock()
            .unwrap()
            .as_ref()
            .map(|p| p.current_num_threads())
    };
    let bytes = |data: &[u8]| InputSpec::Bytes {
        name: "t".into(),
        data: data.to_vec(),
    };
    e.run(vec![bytes(b"one line\n")], &LineBytes).unwrap();
    assert_eq!(workers(&e), Some(1));
    e.run(vec![bytes(b"a\nb\nc\n")], &LineBytes).unwrap();
    assert_eq!(workers(&e), Some(2), "4-byte chunks: a b, then c");
    // A stream (here gzip) gets one worker per block read ahead, up to -j.
    let gz = {
        use std::io::Write;
        let mut w = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        w.write_all(b"x\n").unwrap();
        w.finish().unwrap()
    };
    e.run(vec![bytes(&gz)], &LineBytes).unwrap();
    assert_eq!(workers(&e), Some(1));
}

#[test]
fn every_byte_is_mapped_once_for_any_threads_and_chunk_size() {
    let data = sample();
    for threads in 1..=3 {
        for size in [1, 7, 100, 4096, 1 << 20] {
            let e = Engine::new(threads, size).unwrap();
            let spec = InputSpec::Bytes {
                name: "t".into(),
                data: data.clone(),
            };
            let got = e.run(vec![spec.clone(), spec], &LineBytes).unwrap();
            assert_eq!(
                got.partial,
                vec![4000, 2 * data.len() as u64],
                "{threads} {size}"
            );
        }
    }
}

#[test]
fn streams_and_files_under_every_mmap_policy_agree() {
    let data = sample();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("in.log");
    std::fs::write(&path, &data).unwrap();
    let gz = dir.path().join("in.log.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut enc, &data).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    for mmap in [MmapPolicy::Auto, MmapPolicy::Always, MmapPolicy::Never] {
        for size in [1, 64, 1 << 20] {
            let e = Engine::with_options(EngineOptions {
                threads: 2,
                chunk_size: size,
                mmap,
                ..Default::default()
            })
            .unwrap();
            let specs = vec![InputSpec::Path(path.clone()), InputSpec::Path(gz.clone())];
            let got = e.run(specs, &LineBytes).unwrap();
            assert_eq!(got.partial, vec![4000, 2 * data.len() as u64]);
            assert_eq!(got.inputs.len(), 2);
        }
    }
}

#[test]
fn shards_cover_every_line_once() {
    let data = sample();
    let mut short = data.clone();
    short.extend_from_slice(b"no final newline");
    for n in 1..=7u64 {
        let mut lines = 0;
        let mut bytes = 0;
        for index in 0..n {
            let e = Engine::with_options(EngineOptions {
                threads: 2,
                chunk_size: 97,
                shard: Some(Shard { index, count: n }),
                ..Default::default()
            })
            .unwrap();
            let specs = vec![
                InputSpec::Bytes {
                    name: "a".into(),
                    data: data.clone(),
                },
                InputSpec::Bytes {
                    name: "b".into(),
                    data: short.clone(),
                },
            ];
            let got = e.run(specs, &LineBytes).unwrap().partial;
            lines += got.first().copied().unwrap_or(0);
            bytes += got.get(1).copied().unwrap_or(0);
        }
        assert_eq!(lines, 4000, "{n} shards");
        assert_eq!(bytes, (data.len() + short.len()) as u64, "{n} shards");
    }
}

#[test]
fn keep_going_reports_and_skips_unreadable_inputs() {
    let specs = vec![
        InputSpec::Path("/nonexistent/logmill".into()),
        InputSpec::Bytes {
            name: "ok".into(),
            data: b"a\nb\n".to_vec(),
        },
    ];
    let strict = Engine::new(1, 64).unwrap();
    assert!(strict.run(specs.clone(), &LineBytes).is_err());
    let lenient = Engine::with_options(EngineOptions {
        threads: 1,
        keep_going: true,
        ..Default::default()
    })
    .unwrap();
    let got = lenient.run(specs, &LineBytes).unwrap();
    assert_eq!(got.partial, vec![2, 4]);
    assert_eq!(got.failed.len(), 1);
    assert_eq!(got.failed[0].0, Some(0));
}
