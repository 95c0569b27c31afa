//! Multi-member gzip and multi-frame zstd files, decoded on several threads: the output is the
//! plain file's, byte for byte, for any -j and --chunk-size, whoever made the file (flate2,
//! gzip, pigz, bgzip, zstd, pzstd, the zstd seekable format), and a corrupt member is one
//! clear error naming the file and the member's offset.

use std::io::Write;
use std::path::Path;

use proptest::prelude::*;

use crate::util::*;

fn gzip(data: &[u8], level: u32) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level));
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// `data` cut at `cuts` (sorted offsets), each piece compressed by `one`.
fn members(data: &[u8], cuts: &[usize], mut one: impl FnMut(usize, &[u8]) -> Vec<u8>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, &c) in cuts.iter().chain([&data.len()]).enumerate() {
        let c = c.clamp(start, data.len());
        out.extend(one(i, &data[start..c]));
        start = c;
    }
    out
}

/// A zstd skippable frame holding `content`.
fn skippable(content: &[u8]) -> Vec<u8> {
    let mut f = vec![0x5e, 0x2a, 0x4d, 0x18];
    f.extend((content.len() as u32).to_le_bytes());
    f.extend(content);
    f
}

/// Frames in the zstd seekable format: the frames, then the seek table in a skippable frame.
fn seekable(data: &[u8], cuts: &[usize]) -> Vec<u8> {
    let mut table = Vec::new();
    let mut n = 0u32;
    let mut out = members(data, cuts, |_, piece| {
        let frame = zstd::encode_all(piece, 1).unwrap();
        table.extend((frame.len() as u32).to_le_bytes());
        table.extend((piece.len() as u32).to_le_bytes());
        n += 1;
        frame
    });
    table.extend(n.to_le_bytes());
    table.push(0); // no checksums
    table.extend(0x8F92_EAB1u32.to_le_bytes());
    let mut frame = skippable(&table);
    frame[0] = 0x5e;
    out.extend(frame);
    out
}

/// Runs logmill with `args` then `file`, expecting success.
fn run(args: &[&str], file: &Path) -> Vec<u8> {
    let mut all: Vec<&str> = args.to_vec();
    all.push(file.to_str().unwrap());
    let (out, code, err) = run_logmill(&all, None);
    assert_eq!(code, 0, "{all:?}: {err}");
    out
}

/// Lines of text with a gzip member and a zstd frame inside some of them, so that a scan for
/// member starts finds false ones inside stored (level 0) members.
fn text(lines: &[(u8, u16)]) -> Vec<u8> {
    let fake_gzip = gzip(b"inner\n", 1);
    let fake_zstd = zstd::encode_all(&b"inner\n"[..], 1).unwrap();
    let mut out = b"plain text first\n".to_vec();
    for (i, &(kind, n)) in lines.iter().enumerate() {
        match kind % 8 {
            0 => out.extend(&fake_gzip),
            1 => out.extend(&fake_zstd),
            _ => write!(
                out,
                "w{} x{} {}",
                n % 50,
                i % 7,
                "ab ".repeat(usize::from(n % 9))
            )
            .unwrap(),
        }
        out.push(b'\n');
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// Random text in random members (gzip at random levels, stored ones included, or zstd
    /// frames with skippable frames between them): every job's output is the plain file's for
    /// any -j and --chunk-size.
    #[test]
    fn members_decode_in_parallel_to_the_plain_files_output(
        lines in proptest::collection::vec((any::<u8>(), any::<u16>()), 1..600),
        cuts in proptest::collection::vec(0usize..20_000, 0..12),
        levels in proptest::collection::vec(0u32..10, 12),
        zst in any::<bool>(),
        threads in 1usize..5,
        chunk in 1usize..400,
    ) {
        let data = text(&lines);
        let mut cuts = cuts;
        cuts.sort_unstable();
        let compressed = if zst {
            members(&data, &cuts, |i, piece| {
                let mut f = zstd::encode_all(piece, 1).unwrap();
                if i % 2 == 1 {
                    f.extend(skippable(b"note"));
                }
                f
            })
        } else {
            members(&data, &cuts, |i, piece| gzip(piece, levels[i]))
        };
        let dir = Dir::new("members_decode_in_parallel");
        let plain = dir.create("plain.log", &data);
        let packed = dir.create("packed", &compressed);
        let chunk = chunk.to_string();
        let j = threads.to_string();
        for args in [
            &["lines", "-j", &j, "--chunk-size", &chunk][..],
            &["words", "-j", &j, "--chunk-size", &chunk],
            &["lines", "--records", "indented", "-j", &j, "--chunk-size", &chunk],
        ] {
            let want = run(args, &plain);
            prop_assert!(run(args, &packed) == want, "{:?}", args);
        }
    }
}

/// About 3 MB of log lines.
fn log_text() -> Vec<u8> {
    (0..48).flat_map(log_block).collect()
}

#[test]
fn files_of_the_gzip_and_zstd_tools_read_as_the_plain_file() {
    if !require_tools(&["gzip", "pigz", "bgzip", "zstd", "pzstd"]) {
        return;
    }
    let dir = Dir::new("files_of_the_gzip_and_zstd_tools");
    let data = log_text();
    let plain = dir.create("a.log", &data);
    let p = plain.display();
    let q = dir.root().display();
    sh(&format!(
        "cd {q} && bgzip -c {p} > bgzf.gz && pigz -1 -c {p} > pigz.gz && \
         split -b 700000 {p} part. && for f in part.*; do gzip -1 -c $f >> cat.gz; \
         zstd -q -1 -c $f >> cat.zst; done && pzstd -q -p 2 -1 -c {p} > pzstd.zst"
    ));
    let seek = dir.create("seekable.zst", seekable(&data, &[1 << 20, 2 << 20]));
    let files = ["bgzf.gz", "pigz.gz", "cat.gz", "cat.zst", "pzstd.zst"]
        .map(|f| dir.path(f))
        .into_iter()
        .chain([seek]);
    for file in files {
        for args in [
            &["lines", "-j", "1"][..],
            &["lines", "-j", "2", "--chunk-size", "100k"],
            &["words", "-j", "3", "--chunk-size", "7000"],
            &["match", "-j", "2", "status=(\\d+)"],
        ] {
            let want = run(args, &plain);
            assert!(run(args, &file) == want, "{args:?} {}", file.display());
        }
    }
}

#[test]
fn a_corrupt_member_is_one_error_naming_the_file_and_the_member() {
    let data = log_text();
    let cut = data.len() / 3;
    let mut file = gzip(&data[..cut], 1);
    let second = file.len();
    let mut bad = gzip(&data[cut..], 1);
    let n = bad.len();
    bad[n / 2..n / 2 + 64].fill(0xee);
    file.extend(bad);
    let dir = Dir::new("a_corrupt_member_is_one_error");
    let f = dir.create("bad.log.gz", &file);
    for j in ["1", "2"] {
        let err = refused(
            &["lines", "-j", j, f.to_str().unwrap()],
            None,
            &format!("corrupt gzip member at byte {second} of the compressed file"),
        );
        assert!(err.contains("bad.log.gz"), "{err}");
    }
    // A zstd frame cut short.
    let mut file = zstd::encode_all(&data[..cut], 1).unwrap();
    let second = file.len();
    let frame = zstd::encode_all(&data[cut..], 1).unwrap();
    file.extend(&frame[..frame.len() / 2]);
    let f = dir.create("bad.log.zst", &file);
    refused(
        &["lines", "-j", "2", f.to_str().unwrap()],
        None,
        &format!("corrupt zstd frame at byte {second} of the compressed file"),
    );
}

#[test]
fn zero_padding_after_the_members_is_ignored_with_a_warning() {
    let data = log_text();
    let mut file = members(&data, &[data.len() / 2], |_, p| gzip(p, 1));
    file.extend([0u8; 1000]);
    let dir = Dir::new("zero_padding_after_the_members");
    let plain = dir.create("a.log", &data);
    let f = dir.create("padded.gz", &file);
    let want = run(&["lines"], &plain);
    let (out, code, err) = run_logmill(&["lines", "-j", "2", f.to_str().unwrap()], None);
    assert_eq!((code, out), (0, want), "{err}");
    assert!(
        err.contains("1000 byte(s) of trailing zero padding"),
        "{err}"
    );
    assert_eq!(err.matches("trailing zero padding").count(), 1, "{err}");
    file.extend(b"garbage");
    let f = dir.create("garbage.gz", &file);
    refused(
        &["lines", "-j", "2", f.to_str().unwrap()],
        None,
        "trailing garbage",
    );
}

/// Members of wildly different decoded sizes (several 256 KiB blocks, a few bytes, none): the
/// decoders fill used blocks again, and a short member's block must not keep a longer earlier
/// member's bytes past its own.
#[test]
fn members_of_very_different_sizes_reuse_blocks_without_stale_bytes() {
    let data = log_text();
    let cuts = [
        1_200_000, 1_200_003, 1_200_003, 1_500_000, 1_500_001, 2_000_000, 2_000_040,
    ];
    let dir = Dir::new("members_of_very_different_sizes");
    let plain = dir.create("a.log", &data);
    let gz = dir.create("a.gz", members(&data, &cuts, |_, p| gzip(p, 1)));
    let zst = dir.create(
        "a.zst",
        members(&data, &cuts, |_, p| zstd::encode_all(p, 1).unwrap()),
    );
    for j in ["1", "2", "3"] {
        for args in [
            &["lines", "-j", j, "--chunk-size", "64k"][..],
            &["words", "-j", j],
        ] {
            let want = run(args, &plain);
            for file in [&gz, &zst] {
                assert!(run(args, file) == want, "{args:?} {}", file.display());
            }
        }
    }
}

/// A file of one member (or frame) is read by one decoder straight from its mapping: output,
/// warnings and errors are those of reading it as a stream (`--mmap never`), byte for byte.
#[test]
fn one_member_read_from_the_mapping_is_read_as_from_a_stream() {
    let data = log_text();
    let dir = Dir::new("one_member_read_from_the_mapping");
    let mut padded = gzip(&data, 1);
    padded.extend([0u8; 700]);
    let mut corrupt = gzip(&data, 6);
    let n = corrupt.len();
    corrupt[n / 2..n / 2 + 64].fill(0xee);
    let mut garbage = gzip(&data, 1);
    garbage.extend(b"garbage");
    let files = [
        dir.create("one.gz", gzip(&data, 9)),
        dir.create("one.zst", zstd::encode_all(&data[..], 3).unwrap()),
        dir.create("padded.gz", padded),
        dir.create("corrupt.gz", corrupt),
        dir.create("garbage.gz", garbage),
    ];
    for file in &files {
        let f = file.to_str().unwrap();
        for j in ["1", "2"] {
            let mapped = run_logmill(&["words", "-j", j, "--chunk-size", "100k", f], None);
            let streamed = run_logmill(
                &[
                    "words",
                    "-j",
                    j,
                    "--chunk-size",
                    "100k",
                    "--mmap",
                    "never",
                    f,
                ],
                None,
            );
            assert!(mapped == streamed, "{f} -j{j}: {mapped:?}");
        }
    }
    let (_, _, err) = run_logmill(&["lines", files[2].to_str().unwrap()], None);
    assert!(
        err.contains("700 byte(s) of trailing zero padding"),
        "{err}"
    );
    let (_, code, err) = run_logmill(&["lines", files[3].to_str().unwrap()], None);
    assert!(
        code != 0 && err.contains("corrupt gzip member at byte 0 of the compressed file"),
        "{err}"
    );
}
