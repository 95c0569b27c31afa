//! Inputs as scripts and cron jobs meet them: compressed files (by content, multi-member),
//! directories, file lists, unreadable inputs, the mmap policies and progress output; a mapped
//! input truncated mid-run; limits on threads, chunk sizes and `--max-line`; stdin named twice.

use std::fs;
use std::io::{Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::util::*;

/// The words table of `args` (exit 0 required).
fn words(args: &[&str]) -> Vec<u8> {
    let out = logmill().arg("words").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn gzip_and_zstd_give_the_plain_files_bytes() {
    if !require_tools(&["gzip"]) {
        return;
    }
    let dir = Dir::new("gzip_and_zstd_give_the_plain_files_bytes");
    let plain = testdata("loghub/OpenSSH_2k.log");
    let gz = dir.path("a.log.gz");
    let multi = dir.path("no-extension");
    let zst = dir.path("a.zst");
    sh(&format!(
        "gzip -c {p} > {gz}; head -c 70000 {p} | gzip -1 > {m}; tail -c +70001 {p} | gzip -9 >> {m}",
        p = plain.display(),
        gz = gz.display(),
        m = multi.display(),
    ));
    // zstd: two frames, made with the reference library.
    let data = std::fs::read(&plain).unwrap();
    let mut frames = zstd::encode_all(&data[..1000], 3).unwrap();
    frames.extend(zstd::encode_all(&data[1000..], 1).unwrap());
    std::fs::write(&zst, frames).unwrap();

    let expected = words(&[path_str(&plain)]);
    for f in [&gz, &multi, &zst] {
        for extra in [&["-j1"][..], &["-j3", "--chunk-size", "1K"][..]] {
            let mut args = extra.to_vec();
            args.push(path_str(f));
            assert_bytes_eq!(words(&args), expected, "{} {extra:?}", f.display());
        }
        // Through stdin too.
        let out = logmill()
            .args(["words", "--chunk-size", "4K"])
            .pipe_stdin(f)
            .unwrap()
            .output()
            .unwrap();
        assert!(out.status.success());
        assert_bytes_eq!(out.stdout, expected, "stdin {}", f.display());
    }
}

#[test]
fn corrupt_gzip_is_an_error_naming_the_file() {
    let dir = Dir::new("corrupt_gzip_is_an_error_naming_the_file");
    let gz = dir.path("bad.gz");
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(&std::fs::read(testdata("kjv.txt")).unwrap())
        .unwrap();
    let mut bytes = e.finish().unwrap();
    let mid = bytes.len() / 2;
    bytes[mid..mid + 64].fill(0xAA);
    std::fs::write(&gz, &bytes).unwrap();
    let out = logmill().args(["words", path_str(&gz)]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.gz"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn recursive_walk_skips_hidden_and_binary_unless_asked() {
    let dir = Dir::new("recursive_walk_skips_hidden_and_binary_unless_asked");
    dir.create_dir("logs/.old");
    dir.create("logs/a.log", "alpha beta\n");
    dir.create("logs/b.log", "beta\n");
    dir.create("logs/.old/c.log", "gamma\n");
    dir.create("logs/.hidden", "delta\n");
    dir.create("logs/core", b"epsilon\0\x01\x02\n");
    let root = dir.path("logs");

    let out = logmill()
        .args(["words", "-r", "--sort", "key", path_str(&root)])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), "alpha\t1\nbeta\t2\n");
    assert!(String::from_utf8_lossy(&out.stderr).contains("binary"));

    let all = words(&[
        "-r",
        "--hidden",
        "--binary",
        "--sort",
        "key",
        path_str(&root),
    ]);
    let text = String::from_utf8_lossy(&all);
    for w in ["alpha", "beta", "gamma", "delta", "epsilon"] {
        assert!(text.contains(w), "{w} missing in {text}");
    }

    // Without -r a directory is a one-line error naming it.
    let out = logmill().args(["words", path_str(&root)]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("logs") && err.contains("directory"), "{err}");
}

#[test]
fn files_from_newline_and_nul_lists() {
    if !require_tools(&["find", "sort"]) {
        return;
    }
    let dir = Dir::new("files_from_newline_and_nul_lists");
    let r = dir.root();
    for (name, text) in [
        ("x 1.log", "one two\n"),
        ("y.log", "two\n"),
        ("z.log", "three"),
    ] {
        dir.create(name, text);
    }
    let expected = "two\t2\none\t1\nthree\t1\n";
    // NUL-separated from find, on stdin.
    let out = sh(&format!(
        "find {} -name '*.log' -print0 | {} words --files-from - -0",
        r.display(),
        assert_cmd::cargo::cargo_bin("logmill").display()
    ));
    assert_eq!(String::from_utf8_lossy(&out), expected);
    // Newline-separated from a file, mixed with a FILE argument.
    dir.create("list.txt", "x 1.log\ny.log\n\n");
    let out = dir
        .command()
        .args(["words", "--files-from", "list.txt", "z.log"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
    // A missing list is an error naming it.
    let out = logmill()
        .args(["words", "--files-from", "/nonexistent/list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/list"));
}

#[test]
fn keep_going_prints_the_rest_and_exits_3() {
    let good = testdata("small.txt");
    let expected = words(&[path_str(&good)]);
    let out = logmill()
        .args(["words", "/nonexistent/a.log", path_str(&good)])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        out.stdout.is_empty(),
        "without --keep-going nothing is printed"
    );

    let out = logmill()
        .args([
            "words",
            "--keep-going",
            "/nonexistent/a.log",
            path_str(&good),
            "/nonexistent/b.log",
        ])
        .output()
        .unwrap();
    // Partial success: some inputs failed, the others gave their results.
    assert_eq!(out.status.code(), Some(3));
    assert_bytes_eq!(out.stdout, expected);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 2, "{err}");
    assert!(err.contains("/nonexistent/a.log") && err.contains("/nonexistent/b.log"));
}

#[test]
fn mmap_policies_agree() {
    // Large enough that `auto` maps it (1 MiB or more).
    let kjv = testdata("kjv.txt");
    let expected = words(&["--mmap", "always", path_str(&kjv)]);
    for policy in ["auto", "never"] {
        for j in ["1", "2"] {
            let got = words(&[
                "--mmap",
                policy,
                "-j",
                j,
                "--chunk-size",
                "64K",
                path_str(&kjv),
            ]);
            assert_bytes_eq!(got, expected, "--mmap {policy} -j {j}");
        }
    }
}

#[test]
fn progress_is_silent_without_a_terminal_and_drawn_on_one() {
    let kjv = testdata("kjv.txt");
    let out = logmill()
        .args(["words", "--progress", "auto", path_str(&kjv)])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        out.stderr.is_empty(),
        "auto must stay silent off a terminal"
    );

    if !require_tools(&["script"]) {
        return;
    }
    let bin = assert_cmd::cargo::cargo_bin("logmill");
    // A slow producer keeps the run alive long enough for frames to be drawn on the pty.
    let run = |mode: &str| {
        sh(&format!(
            "script -qec \"(cat {k}; sleep 1.5; cat {k}) | {b} words --progress {mode} >/dev/null\" /dev/null",
            k = kjv.display(),
            b = bin.display()
        ))
    };
    let drawn = String::from_utf8_lossy(&run("auto")).to_string();
    assert!(
        drawn.contains("B/s"),
        "no progress drawn on a terminal: {drawn:?}"
    );
    let never = String::from_utf8_lossy(&run("never")).to_string();
    assert!(!never.contains("B/s"), "--progress never drew: {never:?}");
}

#[test]
fn truncating_a_mapped_input_is_an_error_not_a_crash() {
    let dir = Dir::new("truncating_a_mapped_input_is_an_error_not_a_crash");
    let name = "logmill-shrinking-input.log";
    let path = dir.path(name);
    {
        let mut f = std::io::BufWriter::new(fs::File::create(&path).unwrap());
        for i in 0..512 {
            f.write_all(&log_block(i * 977)).unwrap();
        }
    }
    let mut saw_error = false;
    for _attempt in 0..3 {
        fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(512 << 16)
            .unwrap();
        let mut child = logmill_std()
            .args(["words", "-j", "2"])
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Truncate as soon as the file is mapped: logmill then touches pages past the new end.
        let maps = format!("/proc/{}/maps", child.id());
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            match fs::read_to_string(&maps) {
                Ok(m) if m.contains(name) => break,
                Ok(_) => std::thread::sleep(Duration::from_micros(200)),
                Err(_) => break, // exited already, or no procfs: truncate anyway
            }
        }
        fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(0)
            .unwrap();
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        let status = child.wait().unwrap();
        assert_eq!(status.signal(), None, "killed by a signal: {status}");
        match status.code() {
            Some(0) => {}
            Some(2) => {
                // One line, naming the input (the SIGBUS handler finds it by the faulting
                // address among the ranges the input side noted).
                assert_eq!(
                    stderr,
                    format!(
                        "logmill: {}: this input file shrank while it was being read \
                         (memory-mapped); its results would be wrong. Rerun, or use --mmap never\n",
                        path.display()
                    )
                );
                saw_error = true;
                break;
            }
            other => panic!("exit {other:?}: {stderr}"),
        }
    }
    if require(Path::new("/proc/self/maps").exists(), "/proc/self/maps") {
        assert!(saw_error, "the truncation never hit the run");
    }
}

#[track_caller]
fn succeeds(args: &[&str], stdin: Option<&[u8]>) -> Vec<u8> {
    let (out, code, err) = run_logmill(args, stdin);
    assert_eq!(code, 0, "{args:?}: {err}");
    out
}

#[test]
fn stdin_named_twice_is_read_once_as_cat_does() {
    for chunk in ["1", "3", "1M"] {
        let out = succeeds(
            &["words", "--chunk-size", chunk, "-", "-"],
            Some(b"hello world\n"),
        );
        assert_eq!(out, b"hello\t1\nworld\t1\n", "--chunk-size {chunk}");
    }
    let out = succeeds(&["grep", "-c", "hello", "-", "-"], Some(b"hello world\n"));
    assert_eq!(out, b"1\n");
    // A file between the two: stdin is counted once, the file once.
    let file = testdata("compressed/words.txt");
    let f = file.to_str().unwrap();
    let out = succeeds(&["words", "-", f, "-"], Some(b"alpha\n"));
    assert_eq!(out, b"gamma\t3\nalpha\t2\nbeta\t2\n");
    // `--files-from -` takes stdin for the list: a `-` input then has nothing left.
    let out = succeeds(
        &["words", "--files-from", "-", "-"],
        Some(format!("{f}\n").as_bytes()),
    );
    assert_eq!(out, b"gamma\t3\nbeta\t2\nalpha\t1\n");
}

#[test]
fn thread_counts_past_the_maximum_are_refused_in_one_line() {
    let t = Instant::now();
    refused(&["words", "-j", "100000"], Some(b"x\n"), "from 1 to 1024");
    refused(&["words", "-j", "1025"], Some(b"x\n"), "from 1 to 1024");
    refused(&["words", "-j", "0"], Some(b"x\n"), "from 1 to 1024");
    // merge and reduce take -j too.
    refused(&["merge", "-j", "100000"], Some(b""), "from 1 to 1024");
    refused(
        &["reduce", "-j", "100000", "words"],
        Some(b""),
        "from 1 to 1024",
    );
    let (_, code, err) = {
        let out = logmill()
            .env("LOGMILL_THREADS", "100000")
            .arg("words")
            .write_stdin("x\n")
            .output()
            .unwrap();
        (
            out.stdout,
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    assert_eq!(code, Some(2), "{err}");
    assert!(one_line(&err) && err.contains("LOGMILL_THREADS"), "{err}");
    assert!(
        t.elapsed() < Duration::from_secs(30),
        "took {:?}",
        t.elapsed()
    );
}

#[test]
fn the_most_threads_on_a_tiny_input_finish_at_once() {
    // One chunk: one worker, whatever -j says (the engine's unit tests check the count).
    let t = Instant::now();
    let out = succeeds(&["words", "-j", "1024"], Some(b"x\n"));
    assert_eq!(out, b"x\t1\n");
    let file = testdata("compressed/words.txt");
    let out = succeeds(&["words", "-j", "1024", file.to_str().unwrap()], None);
    assert_eq!(out, b"gamma\t3\nbeta\t2\nalpha\t1\n");
    assert!(
        t.elapsed() < Duration::from_secs(20),
        "took {:?}",
        t.elapsed()
    );
}

#[test]
fn a_chunk_size_larger_than_memory_is_not_allocated_up_front() {
    for size in ["1T", "64G", "1tib"] {
        let out = succeeds(&["words", "--chunk-size", size], Some(b"hi\n"));
        assert_eq!(out, b"hi\t1\n", "--chunk-size {size}");
        let gz = testdata("compressed/words.txt.gz");
        let out = succeeds(&["words", "--chunk-size", size, gz.to_str().unwrap()], None);
        assert_eq!(
            out, b"gamma\t3\nbeta\t2\nalpha\t1\n",
            "--chunk-size {size} on .gz"
        );
        let out = succeeds(
            &["words", "--mmap", "never", "--chunk-size", size, "-"],
            Some(b"a b\n"),
        );
        assert_eq!(out, b"a\t1\nb\t1\n");
    }
    refused(
        &["words", "--chunk-size", "2T"],
        Some(b"hi\n"),
        "the most is 1T",
    );
    refused(
        &["words", "--chunk-size", "99999999999999999999T"],
        Some(b"hi\n"),
        "too large",
    );
}

#[test]
fn sizes_take_decimals_everywhere() {
    let data = b"a b a\n";
    for flag in ["--chunk-size", "--max-line", "--max-bytes", "--memory"] {
        for value in ["1.5M", "0.5K", "2.25g"] {
            let out = succeeds(&["words", flag, value], Some(data));
            assert_eq!(out, b"a\t2\nb\t1\n", "{flag} {value}");
        }
    }
    // 1.5K is 1536 bytes: a 1536-byte line passes --max-line 1.5K, one more byte fails.
    let line = |n: usize| {
        let mut v = vec![b'x'; n];
        v.push(b'\n');
        v
    };
    succeeds(&["words", "--max-line", "1.5K"], Some(&line(1536)));
    refused(
        &["words", "--max-line", "1.5K"],
        Some(&line(1537)),
        "--max-line",
    );
    let e = refused(
        &["words", "--chunk-size", "1.5Q"],
        Some(data),
        "unknown unit",
    );
    assert!(e.contains("1.5M") && !e.contains("suffix"), "{e}");
    refused(
        &["words", "--max-bytes", "0.1"],
        Some(data),
        "at least 1 byte",
    );
    refused(
        &["words", "--memory", "lots"],
        Some(data),
        "expected a size",
    );
}

/// A file holding `lines`, each `len` bytes of `x` and a newline.
fn long_lines_file(dir: &Path, name: &str, len: usize) -> std::path::PathBuf {
    let path = dir.join(name);
    let mut data = b"short line\n".to_vec();
    data.extend(std::iter::repeat_n(b'x', len));
    data.extend_from_slice(b"\nlast\n");
    std::fs::write(&path, data).unwrap();
    path
}

#[test]
fn max_line_is_exact_whatever_the_chunk_size() {
    let dir = Dir::new("max_line_is_exact_whatever_the_chunk_size");
    // A 3,000,001-byte line against --max-line 2M, at chunk sizes below and above it.
    let big = long_lines_file(dir.root(), "big.txt", 3_000_001);
    let big = big.to_str().unwrap();
    for chunk in ["1K", "1M", "4M"] {
        refused(
            &[
                "words",
                "--mmap",
                "never",
                "--max-line",
                "2M",
                "--chunk-size",
                chunk,
                big,
            ],
            None,
            "--max-line",
        );
    }
    // Memory-mapped files stay unlimited, as documented.
    succeeds(
        &["words", "--mmap", "always", "--max-line", "2M", big],
        None,
    );
    // A line of exactly the limit passes; one byte more fails, on stdin, at every chunk size.
    let at = long_lines_file(dir.root(), "at.txt", 5000);
    let data = std::fs::read(&at).unwrap();
    let mut over = data.clone();
    over.insert(20, b'x');
    for chunk in ["1", "100", "4999", "5000", "5001", "1M"] {
        let args = ["words", "--max-line", "5000", "--chunk-size", chunk];
        succeeds(&args, Some(&data));
        refused(&args, Some(&over), "--max-line (5000 bytes)");
    }
    refused(
        &["words", "--max-line", "100"],
        Some(&data),
        "--max-line (100 bytes)",
    );
    // The last line, without a newline, counts too.
    refused(
        &["words", "--max-line", "3"],
        Some(b"ab\nabcd"),
        "--max-line",
    );
    // Compressed streams are streams: the same limit.
    if require_tools(&["gzip"]) {
        let gz = dir.path("at.txt.gz");
        sh(&format!("gzip -c {} > {}", at.display(), gz.display()));
        let gz = gz.to_str().unwrap();
        succeeds(&["words", "--max-line", "5000", gz], None);
        refused(&["words", "--max-line", "4999", gz], None, "--max-line");
    }
}

#[test]
fn max_line_is_exact_for_partials_read_by_merge() {
    let dir = Dir::new("max_line_is_exact_for_partials_read_by_merge");
    let part = dir.path("p.partial");
    let word = "y".repeat(300);
    let mut cmd = logmill();
    cmd.args(["words", "--emit", "partial", "-o"])
        .arg(&part)
        .write_stdin(format!("a\n{word}\nb\n"));
    assert!(cmd.output().unwrap().status.success());
    let p = part.to_str().unwrap();
    // The 300-byte key's line sits between two short lines in one read.
    refused(&["merge", "--max-line", "200", p], None, "--max-line");
    let out = succeeds(&["merge", "--max-line", "1K", p], None);
    assert!(out.ends_with(format!("{word}\t1\n").as_bytes()));
}

const WORDS_COUNTS: &[u8] = b"gamma\t3\nbeta\t2\nalpha\t1\n";

#[test]
fn xz_bzip2_and_pzstd_inputs_are_decompressed_by_content() {
    for (name, times) in [
        ("words.txt.gz", 1),
        ("words.txt.zst", 1),
        ("words.pzstd.zst", 1),
        ("words.txt.xz", 1),
        ("words.twice.xz", 2),
        ("words.txt.bz2", 1),
        ("words.twice.bz2", 2),
    ] {
        let path = testdata(&format!("compressed/{name}"));
        let expected: Vec<u8> = if times == 1 {
            WORDS_COUNTS.to_vec()
        } else {
            b"gamma\t6\nbeta\t4\nalpha\t2\n".to_vec()
        };
        let (out, code, err) = run_logmill(&["words", path.to_str().unwrap()], None);
        assert_eq!((code, out.as_slice()), (0, &expected[..]), "{name}: {err}");
        assert!(err.is_empty(), "{name}: {err}");
        // The same bytes on stdin, and under another name: content decides, not the name.
        let data = std::fs::read(&path).unwrap();
        let out = succeeds(&["words", "-j", "2", "--chunk-size", "1"], Some(&data));
        assert_eq!(out, expected, "{name} on stdin");
    }
}

#[test]
fn gzip_with_trailing_zero_padding_is_counted_with_a_warning() {
    let path = testdata("compressed/words.padded.gz");
    let (out, code, err) = run_logmill(&["words", path.to_str().unwrap()], None);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, WORDS_COUNTS);
    assert!(one_line(&err), "{err:?}");
    assert!(err.contains("warning") && err.contains("512 byte(s) of trailing zero padding"));
    assert!(err.contains("words.padded.gz"), "{err}");
    // Other bytes after the gzip data are still an error.
    let mut data = std::fs::read(testdata("compressed/words.txt.gz")).unwrap();
    data.extend_from_slice(b"garbage");
    refused(&["words"], Some(&data), "trailing garbage");
}

#[test]
fn files_made_by_the_real_tools_at_test_time_read_like_the_plain_file() {
    if !require_tools(&["gzip", "xz", "bzip2", "zstd", "pzstd"]) {
        return;
    }
    let dir = Dir::new("files_made_by_the_real_tools_at_test_time_read_like_the_plain_file");
    let plain = testdata("loghub/OpenSSH_2k.log");
    let p = plain.display();
    let d = dir.root().display();
    sh(&format!(
        "xz -c {p} > {d}/a.xz; bzip2 -c {p} > {d}/a.bz2; pzstd -q -p 2 -c {p} > {d}/a.pzst; \
         gzip -c {p} > {d}/a.gz; head -c 4096 /dev/zero >> {d}/a.gz"
    ));
    let data = std::fs::read(&plain).unwrap();
    let expected = render_counts(&ascii_word_counts(&data), Order::Count, None);
    for name in ["a.xz", "a.bz2", "a.pzst", "a.gz"] {
        let path = dir.path(name);
        for chunk in ["1K", "1M"] {
            let (out, code, err) = run_logmill(
                &[
                    "words",
                    "-j",
                    "3",
                    "--chunk-size",
                    chunk,
                    path.to_str().unwrap(),
                ],
                None,
            );
            assert_eq!(code, 0, "{name}: {err}");
            assert!(out == expected, "{name} --chunk-size {chunk}");
        }
    }
}

#[test]
fn text_that_starts_like_a_magic_number_stays_text() {
    // "BZh9" without a bzip2 block after it, and "P*M" without the rest of a skippable frame.
    let out = succeeds(&["words"], Some(b"BZh9 is not bzip2\n"));
    assert_eq!(out, b"bzh9\t1\nbzip2\t1\nis\t1\nnot\t1\n");
    let out = succeeds(&["words"], Some(b"P*M text\n"));
    assert_eq!(out, b"p*m\t1\ntext\t1\n");
}
