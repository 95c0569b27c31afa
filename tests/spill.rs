//! `--memory`: spilled runs merged back give the same bytes as the in-memory path (and as
//! `sort | uniq -c`), for every order, format, job and configuration; temporary files never
//! outlive the run (issue #7).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use proptest::prelude::*;

use crate::util::*;

/// A log of `lines` request lines over about `distinct` request ids (deterministic), with a
/// status and a byte count, some ids long enough to live on the heap of the table.
fn high_cardinality_log(lines: usize, distinct: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(lines * 40);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for i in 0..lines {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let id = x % distinct;
        let status = [200, 200, 200, 404, 500][(x >> 40) as usize % 5];
        let pad = if id % 11 == 0 {
            "-with-a-long-suffix"
        } else {
            ""
        };
        out.extend_from_slice(
            format!(
                "req-{id:x}{pad} {status} {}\n",
                (x >> 20) % 5000 + i as u64 % 3
            )
            .as_bytes(),
        );
    }
    out
}

/// Writes `data` to `name` in a new temp dir, returned with the path.
fn input(name: &str, data: &[u8]) -> (Dir, PathBuf) {
    let dir = Dir::new("input");
    let path = dir.create(name, data);
    (dir, path)
}

/// Runs logmill with `args`, asserting success, and returns stdout.
fn ok(args: &[&str]) -> Vec<u8> {
    let (out, code, err) = run_logmill(args, None);
    assert_eq!(code, 0, "logmill {args:?}: {err}");
    out
}

/// Entries of `dir` (to check that no temporary file was left).
fn entries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn tiny_memory_matches_in_memory_and_sort_uniq_c() {
    let data = high_cardinality_log(120_000, 1_000_000);
    let (dir, path) = input("hc.log", &data);
    let temp = Dir::new("tiny_memory_matches_in_memory_and_sort_uniq_c");
    let p = path.to_str().unwrap();
    let t = temp.root().to_str().unwrap();
    for order in [&["--sort", "key"][..], &[], &["--top", "25"]] {
        let mut mem = vec!["words", p, "--memory", "4G"];
        mem.extend_from_slice(order);
        let want = ok(&mem);
        let mut spill = vec!["words", p, "--memory", "1M", "--temp-dir", t, "-j", "2"];
        spill.extend_from_slice(order);
        assert_bytes_eq!(ok(&spill), want, "{order:?}");
        if order.is_empty() {
            // stdin, one thread, small chunks, compressed runs.
            let (out, code, err) = run_logmill(
                &[
                    "words",
                    "--memory",
                    "1M",
                    "--temp-dir",
                    t,
                    "-j",
                    "1",
                    "--chunk-size",
                    "64K",
                    "--compress-temp",
                ],
                Some(&data),
            );
            assert_eq!(code, 0, "{err}");
            assert_bytes_eq!(out, want, "stdin");
        }
    }
    if require_tools(&["tr", "sort", "uniq"]) {
        let oracle = parse_uniq_c(&sh(&format!(
            "tr ' ' '\\n' < {} | sort | uniq -c",
            shell_quote(&path)
        )));
        assert!(oracle.len() > 100_000, "{} distinct keys", oracle.len());
        let got = ok(&[
            "words",
            p,
            "--memory",
            "1M",
            "--temp-dir",
            t,
            "--sort",
            "key",
        ]);
        assert_bytes_eq!(got, render_counts(&oracle, Order::Key, None));
    }
    assert!(entries(temp.root()).is_empty());
    drop(dir);
}

#[test]
fn spilled_match_sums_partials_and_formats_agree() {
    let data = high_cardinality_log(40_000, 20_000);
    let (_dir, path) = input("hc.log", &data);
    let p = path.to_str().unwrap();
    let cases: &[&[&str]] = &[
        &["match", r"^(\S+) (\d+) (\d+)", "--sum", "3"],
        &["match", r"^req-(\w)\S* (\d+)", "--sort", "key"],
        &["words", "--output-format", "jsonl", "--top", "7"],
        &["words", "--emit", "partial"],
        &["map", "words"],
    ];
    for args in cases {
        spills_as_in_memory(args, p, &["1", "64K"], "3");
    }
}

/// Runs `args` on `input` in memory, then spilling at each of `memories` with `threads`
/// threads and 16K chunks, asserting the same bytes; returns the in-memory output.
fn spills_as_in_memory(args: &[&str], input: &str, memories: &[&str], threads: &str) -> Vec<u8> {
    let mut mem = args.to_vec();
    mem.extend([input, "--memory", "4G"]);
    let want = ok(&mem);
    for memory in memories {
        let mut spill = args.to_vec();
        spill.extend([
            input,
            "--memory",
            memory,
            "-j",
            threads,
            "--chunk-size",
            "16K",
        ]);
        assert_bytes_eq!(ok(&spill), want, "{args:?} --memory {memory}");
    }
    want
}

#[test]
fn spilled_fields_give_the_in_memory_bytes() {
    // About 20,000 groups (request ids), every aggregate kind: their states go through the
    // spill runs' encoding and back, in every order and in partial output.
    let data = high_cardinality_log(40_000, 20_000);
    let (_dir, path) = input("hc.log", &data);
    let p = path.to_str().unwrap();
    let cases: &[&[&str]] = &[
        &[
            "fields", "--by", "1", "--count", "--sum", "3", "--min", "3", "--max", "3", "--mean",
            "3",
        ],
        &[
            "fields",
            "--by",
            "1,2",
            "--distinct",
            "3",
            "--approx-distinct",
            "3",
            "--pct",
            "3:50,90",
            "--sort",
            "key",
        ],
        &[
            "fields",
            "--by",
            "1",
            "--pct",
            "3:50",
            "--exact-pct",
            "--top",
            "25",
        ],
        &[
            "fields",
            "--by",
            "1",
            "--where",
            "2=404",
            "--sum",
            "3",
            "--output-format",
            "json",
        ],
        &["fields", "--by", "1", "--count", "--emit", "partial"],
    ];
    for args in cases {
        let want = spills_as_in_memory(args, p, &["1", "256K"], "2");
        assert!(
            want.len() > 200,
            "{args:?}: {}",
            String::from_utf8_lossy(&want)
        );
    }
}

#[test]
fn merge_and_reduce_spill_partials_too() {
    // Partials of three slices of a high-cardinality log, merged with a tiny --memory, give
    // the in-memory merge's bytes; so does `reduce` over their bare lines, shuffled.
    let data = high_cardinality_log(30_000, 12_000);
    let dir = Dir::new("merge_and_reduce_spill_partials_too");
    let temp = dir.path("tmp");
    std::fs::create_dir(&temp).unwrap();
    let t = temp.to_str().unwrap();
    let jobs: &[&[&str]] = &[
        &["words"],
        &["match", r"^(\S+) (\d+) (\d+)", "--sum", "3"],
        &[
            "fields", "--by", "1", "--count", "--mean", "3", "--pct", "3:90",
        ],
    ];
    let third = data.len() / 3;
    let cut = |at: usize| at + data[at..].iter().position(|&b| b == b'\n').unwrap() + 1;
    let (a, b) = (cut(third), cut(2 * third));
    let mut paths = Vec::new();
    for (i, slice) in [&data[..a], &data[a..b], &data[b..]].iter().enumerate() {
        let p = dir.path(format!("slice{i}.log"));
        std::fs::write(&p, slice).unwrap();
        paths.push(p.to_str().unwrap().to_string());
    }
    for job in jobs {
        let mut partials = Vec::new();
        let mut lines = Vec::new();
        for (i, p) in paths.iter().enumerate() {
            let mut args = job.to_vec();
            args.extend(["--emit", "partial", p]);
            let out = ok(&args);
            let file = dir.path(format!("p{i}.partial"));
            std::fs::write(&file, &out).unwrap();
            partials.push(file.to_str().unwrap().to_string());
            lines.extend(
                out.split(|&c| c == b'\n')
                    .filter(|l| !l.is_empty() && l[0] != b'#')
                    .map(<[u8]>::to_vec),
            );
        }
        // A fixed shuffle of the bare lines, as a Hadoop reducer might get them.
        let mut x = 7u64;
        for i in (1..lines.len()).rev() {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            lines.swap(i, (x >> 33) as usize % (i + 1));
        }
        let bare = lines.join(&b'\n');
        for extra in [&[][..], &["--sort", "key"], &["--emit", "partial"]] {
            let mut merge: Vec<&str> = vec!["merge"];
            merge.extend(partials.iter().map(String::as_str));
            merge.extend(extra.iter().copied());
            let mut want_args = merge.clone();
            want_args.extend(["--memory", "4G"]);
            let want = ok(&want_args);
            let mut spill = merge.clone();
            spill.extend(["--memory", "64K", "--temp-dir", t]);
            assert_bytes_eq!(ok(&spill), want, "{job:?} {extra:?}");

            let mut reduce: Vec<&str> = vec!["reduce"];
            reduce.extend(job.iter().copied());
            reduce.extend(extra.iter().copied());
            let (mem, code, err) =
                run_logmill(&[&reduce[..], &["--memory", "4G"]].concat(), Some(&bare));
            assert_eq!(code, 0, "{err}");
            let (spilled, code, err) = run_logmill(
                &[&reduce[..], &["--memory", "64K", "--temp-dir", t]].concat(),
                Some(&bare),
            );
            assert_eq!(code, 0, "{err}");
            assert_bytes_eq!(spilled, mem, "reduce {job:?} {extra:?}");
        }
    }
    assert!(entries(&temp).is_empty());

    // The spill path is the one taken (a temp dir that does not exist fails it), and a count
    // that saturates across spilled runs is still refused, naming the key.
    let mut many: Vec<u8> = (0..20_000)
        .flat_map(|i| format!("k{i}\t1\n").into_bytes())
        .collect();
    let (_, code, err) = run_logmill(
        &[
            "reduce",
            "words",
            "--memory",
            "64K",
            "--temp-dir",
            "/nonexistent",
        ],
        Some(&many),
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("/nonexistent"), "{err}");
    many.extend(format!("k7\t{}\n", u64::MAX - 1).into_bytes());
    let (_, code, err) = run_logmill(
        &[
            "reduce",
            "words",
            "--memory",
            "64K",
            "--temp-dir",
            t,
            "--sort",
            "key",
        ],
        Some(&many),
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("key 'k7'") && err.contains("overflows"),
        "{err}"
    );
}

#[test]
fn memory_flag_env_and_errors() {
    let (_dir, path) = input("a.txt", b"a b a\n");
    let p = path.to_str().unwrap();
    let (out, code, _) = run_logmill(&["words", p, "--memory", "1"], None);
    assert_eq!((out.as_slice(), code), (&b"a\t2\nb\t1\n"[..], 0));
    let (_, code, err) = run_logmill(&["words", p, "--memory", "lots"], None);
    assert_eq!(code, 2);
    assert!(err.contains("--memory"), "{err}");
    let env_run = |value: &str, args: &[&str]| {
        let out = logmill()
            .env("LOGMILL_MEMORY", value)
            .args(["words", p])
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, err) = env_run("nonsense", &[]);
    assert_eq!(code, 2);
    assert!(err.contains("LOGMILL_MEMORY"), "{err}");
    // The flag wins: the bad environment value is not even read.
    assert_eq!(env_run("nonsense", &["--memory", "1M"]).0, 0);
    // A temp dir that does not exist is an error naming it, once a run has to spill.
    let data = high_cardinality_log(5_000, 5_000);
    let (_d2, big) = input("big.log", &data);
    let (_, code, err) = run_logmill(
        &[
            "words",
            big.to_str().unwrap(),
            "--memory",
            "1",
            "--temp-dir",
            "/nonexistent/logmill-temp",
        ],
        None,
    );
    assert_eq!(code, 2);
    assert!(
        err.starts_with("logmill: /nonexistent/logmill-temp: ") && err.lines().count() == 1,
        "{err}"
    );
}

#[test]
fn temp_files_are_gone_after_success_error_and_sigterm() {
    let data = high_cardinality_log(30_000, 30_000);
    let (_dir, path) = input("hc.log", &data);
    let temp = Dir::new("temp_files_are_gone_after_success_error_and_sigterm");
    let t = temp.root().to_str().unwrap();
    let p = path.to_str().unwrap();
    // Success.
    ok(&["words", p, "--memory", "1", "--temp-dir", t]);
    assert!(entries(temp.root()).is_empty());
    // An error after runs were written: the output cannot be written.
    if require(Path::new("/dev/full").exists(), "/dev/full") {
        let (_, code, err) = run_logmill(
            &[
                "words",
                p,
                "--memory",
                "1",
                "--temp-dir",
                t,
                "-o",
                "/dev/full",
            ],
            None,
        );
        assert_eq!(code, 2, "{err}");
        assert!(entries(temp.root()).is_empty());
    }
    // SIGTERM while runs are open: stdin stays open, so the run waits after spilling.
    let bin = assert_cmd::cargo::cargo_bin("logmill");
    let mut child = Command::new(bin)
        .args([
            "words",
            "--memory",
            "1",
            "--chunk-size",
            "4K",
            "--temp-dir",
            t,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    std::io::Write::write_all(&mut stdin, &data).unwrap();
    let pid = child.id();
    // Wait until the process holds run files (unlinked, so only /proc shows them).
    let held = || {
        std::fs::read_dir(format!("/proc/{pid}/fd"))
            .map(|d| {
                d.filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
                    .filter(|l| l.to_string_lossy().contains(".logmill-spill-"))
                    .count()
            })
            .unwrap_or(0)
    };
    let start = std::time::Instant::now();
    while held() == 0 && start.elapsed() < std::time::Duration::from_secs(20) {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(held() > 0, "no spill run was open");
    // A run has a name only between its creation and its unlink a moment later; once the input
    // is consumed no spill is under way, and the open runs have no name at all.
    let start = std::time::Instant::now();
    while !entries(temp.root()).is_empty() && start.elapsed() < std::time::Duration::from_secs(5) {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(
        entries(temp.root()).is_empty() && held() > 0,
        "open runs are unlinked"
    );
    // SAFETY: kill(2) on our own child's pid.
    unsafe { libc::kill(pid as i32, libc::SIGTERM) };
    let status = child.wait().unwrap();
    drop(stdin);
    assert_eq!(status.code(), Some(143));
    assert!(entries(temp.root()).is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// Any --memory, -j and chunk size: the same bytes as the in-memory run.
    #[test]
    fn output_is_the_same_for_any_memory(
        lines in 1usize..3000,
        distinct in 1u64..5000,
        memory in prop::sample::select(vec!["1", "8K", "200K", "4G"]),
        threads in 1usize..4,
        chunk in prop::sample::select(vec!["1", "300", "4K", "1M"]),
        order in prop::sample::select(vec!["count", "key"]),
        top in prop::option::of(0usize..50),
    ) {
        let data = high_cardinality_log(lines, distinct);
        let (_dir, path) = input("p.log", &data);
        let p = path.to_str().unwrap();
        let top = top.map(|n| n.to_string());
        let mut base = vec!["words", p, "--sort", order];
        if let Some(n) = &top {
            base.extend(["--top", n.as_str()]);
        }
        let mut mem = base.clone();
        mem.extend(["--memory", "4G", "-j", "1"]);
        let want = ok(&mem);
        let j = threads.to_string();
        let mut spill = base.clone();
        spill.extend(["--memory", memory, "-j", &j, "--chunk-size", chunk]);
        prop_assert_eq!(ok(&spill), want);
    }
}

/// Unmounts a test tmpfs when dropped.
struct Mounted(PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_is_one_line_naming_the_directory_and_exit_2() {
    // A 256 KiB tmpfs fills up at once. Mounting needs root (as in CI); elsewhere, skip.
    let base = Dir::new("a_full_disk_is_one_line_naming_the_directory_and_exit_2");
    let dir = base.path("tiny");
    std::fs::create_dir(&dir).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=256k", "tmpfs"])
        .arg(&dir)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !require(mounted, "a tmpfs mount (mount needs root)") {
        return;
    }
    let guard = Mounted(dir.clone());
    let data = high_cardinality_log(60_000, 1_000_000);
    let (_d, path) = input("hc.log", &data);
    let (_, code, err) = run_logmill(
        &[
            "words",
            path.to_str().unwrap(),
            "--memory",
            "1",
            "--temp-dir",
            dir.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(code, 2, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(dir.to_str().unwrap()) && err.contains("no space left on device"),
        "{err}"
    );
    assert!(entries(&dir).is_empty());
    drop(guard);
}

#[test]
fn more_threads_than_partitions_spill_the_same() {
    // -j 300 caps the partitions (and merge threads) at 256; the output is unchanged.
    let data: Vec<u8> = (0..60_000u32)
        .flat_map(|i| format!("id{:08x}\n", i.wrapping_mul(2_654_435_761)).into_bytes())
        .collect();
    let (_dir, path) = input("ids.txt", &data);
    let p = path.to_str().unwrap();
    let want = ok(&["words", "--sort", "key", p, "--memory", "4G", "-j", "1"]);
    let got = ok(&[
        "words",
        "--sort",
        "key",
        p,
        "--memory",
        "64K",
        "-j",
        "300",
        "--chunk-size",
        "4K",
    ]);
    assert_bytes_eq!(got, want, "-j 300");
}
