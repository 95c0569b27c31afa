//! `logmill reduce --emit ranked`: a reducer's lines with their order keys, the contract of the
//! Spark driver's `--out-dir` (range-partition the result by sampled order keys, format each
//! range with `logmill reduce`, concatenate the parts) and of its reducer-side `--top N`.

use crate::util::{logmill, Dir};

/// Text with many distinct words, many tied counts, keys that are prefixes of others, and a
/// byte that is not UTF-8.
fn corpus() -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..3000u32 {
        let w = format!("w{} ", (i * 7919) % 1013);
        out.extend_from_slice(w.as_bytes());
        if i % 5 == 0 {
            out.extend_from_slice(format!("w{} ", i % 17).as_bytes());
        }
        if i % 97 == 0 {
            out.extend_from_slice(b"caf\xe9 w ");
        }
        if i % 3 != 0 {
            out.push(b'\n');
        }
    }
    out.push(b'\n');
    out
}

fn run(dir: &Dir, args: &[&str], stdin: &[u8]) -> Vec<u8> {
    let out = dir
        .command()
        .args(args)
        .write_stdin(stdin.to_vec())
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0)),
        "logmill {args:?}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Data lines (not `#...`) of ranked output, split into (order key, KEY<TAB>STATE line).
fn ranked_rows(out: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    out.split(|&b| b == b'\n')
        .filter(|l| !l.is_empty() && l[0] != b'#')
        .map(|l| {
            let tab = l
                .iter()
                .position(|&b| b == b'\t')
                .expect("a TAB after the order key");
            let rank = &l[..tab];
            assert!(rank
                .iter()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
            (rank.to_vec(), l[tab + 1..].to_vec())
        })
        .collect()
}

/// Cuts the rows sorted by order key into ranges at `cuts`, formats each range with `logmill
/// reduce`, and concatenates the parts (the header, when the format has one, in the first
/// part only): the single-process output, byte for byte, in every format and order.
#[test]
fn ranges_by_order_key_concatenate_to_the_single_process_output() {
    let dir = Dir::new("ranked_ranges");
    let input = dir.create("in.txt", corpus());
    let input = input.to_str().unwrap();
    let jobs: [&[&str]; 2] = [&["words"], &["match", r"w(\d)(\d+)"]];
    for job in jobs {
        let partial = run(&dir, &[&["--emit", "partial"], job, &[input]].concat(), b"");
        for sort in ["count", "key"] {
            let ranked = run(
                &dir,
                &[&["--emit", "ranked", "reduce"], job, &["--sort", sort]].concat(),
                &partial,
            );
            let mut rows = ranked_rows(&ranked);
            rows.sort();
            assert!(rows.len() > 10, "{job:?}");
            let n = rows.len();
            for format in ["tsv", "csv", "jsonl"] {
                let fmt: &[&str] = &["--sort", sort, "--output-format", format, "--header"];
                let single = run(&dir, &[job, fmt, &[input]].concat(), b"");
                // The header alone: what the format prints for no rows.
                let empty = dir
                    .command()
                    .args([&["reduce"], job, fmt].concat())
                    .write_stdin(Vec::new())
                    .output()
                    .unwrap()
                    .stdout;
                let mut joined = Vec::new();
                let cuts = [0, 1, n / 3, n / 3, n - 1, n];
                for (part, w) in cuts.windows(2).enumerate() {
                    let body: Vec<u8> = rows[w[0]..w[1]]
                        .iter()
                        .flat_map(|(_, line)| line.iter().copied().chain([b'\n']))
                        .collect();
                    let out = dir
                        .command()
                        .args([&["reduce"], job, fmt].concat())
                        .write_stdin(body)
                        .output()
                        .unwrap()
                        .stdout;
                    let out = match part {
                        0 => &out[..],
                        _ => out
                            .strip_prefix(&empty[..])
                            .expect("each part starts with the header"),
                    };
                    joined.extend_from_slice(out);
                }
                assert!(
                    joined == single,
                    "{job:?} --sort {sort} --output-format {format}:\n{}\n---\n{}",
                    String::from_utf8_lossy(&joined),
                    String::from_utf8_lossy(&single)
                );
            }
        }
    }
}

/// With `--top N`, each key partition's reducer keeps its own first N rows (exact: a key's
/// whole count is in one partition); the union of at most R x N rows gives the global top N.
#[test]
fn each_partitions_top_n_holds_the_global_top_n() {
    let dir = Dir::new("ranked_top");
    let input = dir.create("in.txt", corpus());
    let partial = run(
        &dir,
        &["--emit", "partial", "words", input.to_str().unwrap()],
        b"",
    );
    for sort in ["count", "key"] {
        let mut kept = Vec::new();
        for p in 0..3 {
            let which = format!("{p}/3");
            let out = run(
                &dir,
                &[
                    "--emit",
                    "ranked",
                    "reduce",
                    "--partition",
                    &which,
                    "words",
                    "--sort",
                    sort,
                    "--top",
                    "4",
                ],
                &partial,
            );
            let rows = ranked_rows(&out);
            assert_eq!(rows.len(), 4, "partition {p}");
            // In the final order already.
            assert!(rows.windows(2).all(|w| w[0].0 < w[1].0));
            kept.extend(
                rows.into_iter()
                    .flat_map(|(_, l)| l.into_iter().chain([b'\n'])),
            );
        }
        let top = run(
            &dir,
            &["reduce", "words", "--sort", sort, "--top", "4"],
            &kept,
        );
        let single = run(
            &dir,
            &[
                "words",
                "--sort",
                sort,
                "--top",
                "4",
                input.to_str().unwrap(),
            ],
            b"",
        );
        assert_eq!(top, single, "--sort {sort}");
        assert_eq!(
            top.split(|&b| b == b'\n').filter(|l| !l.is_empty()).count(),
            4
        );
    }
}

/// `--emit ranked` is a reducer's output: refused elsewhere, and with flags of final results.
#[test]
fn ranked_is_refused_outside_reduce_and_with_final_only_flags() {
    let dir = Dir::new("ranked_refused");
    let input = dir.create("in.txt", "a b\n");
    let input = input.to_str().unwrap();
    for args in [
        vec!["--emit", "ranked", "words", input],
        vec!["--emit", "ranked", "map", "words"],
        vec!["--emit", "ranked", "merge", input],
        vec!["--emit", "ranked", "reduce", "words", "--top-per", "2"],
    ] {
        let out = logmill().args(&args).write_stdin("").output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.contains("ranked") || err.contains("--top-per"),
            "{args:?}: {err}"
        );
    }
}

/// Job-wide facts (`#meta`: records rejected by `match --sum`) go with one key partition, the
/// one of the key `#meta` as the Spark driver's shuffle sends them: partitions merged back
/// count them once, as the single run does.
#[test]
fn meta_belongs_to_one_key_partition() {
    let dir = Dir::new("ranked_meta");
    let log = "GET /a 200 10\nGET /b 404 -\nGET /c 200 5\nGET /d 500 -\nGET /e 404 7\n";
    let input = dir.create("access.log", log);
    let input = input.to_str().unwrap();
    let job = ["match", r" (\d{3}) (\d+|-)", "--sum", "2"];
    run(
        &dir,
        &[
            &["--emit", "partial"],
            &job[..],
            &["-o", "all.partial", input],
        ]
        .concat(),
        b"",
    );
    let mut with_meta = 0;
    let mut parts = Vec::new();
    for p in 0..3 {
        let part = format!("p{p}.partial");
        let which = format!("{p}/3");
        run(
            &dir,
            &[
                "--emit",
                "partial",
                "merge",
                "--partition",
                &which,
                "-o",
                &part,
                "all.partial",
            ],
            b"",
        );
        with_meta += dir
            .read(&part)
            .split(|&b| b == b'\n')
            .filter(|l| l.starts_with(b"#meta\t"))
            .count();
        parts.push(part);
    }
    assert_eq!(with_meta, 1, "one partition holds the #meta line");
    let single = dir.command().args(job).arg(input).output().unwrap();
    let merged = dir
        .command()
        .arg("merge")
        .arg("--complete")
        .args(&parts)
        .output()
        .unwrap();
    assert_eq!(merged.stdout, single.stdout);
    let warning = |o: &std::process::Output| String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(
        warning(&single).contains("2 matches rejected"),
        "{}",
        warning(&single)
    );
    assert_eq!(warning(&merged), warning(&single));
}
