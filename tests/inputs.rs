//! Inputs as scripts and cron jobs meet them: compressed files (by content, multi-member),
//! directories, file lists, unreadable inputs, the mmap policies and progress output.

use std::io::Write;
use std::path::Path;

use crate::util::{logmill, require_tools, sh, testdata};

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
    let dir = tempfile::tempdir().unwrap();
    let plain = testdata("loghub/OpenSSH_2k.log");
    let gz = dir.path().join("a.log.gz");
    let multi = dir.path().join("no-extension");
    let zst = dir.path().join("a.zst");
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
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("bad.gz");
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
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    std::fs::create_dir_all(r.join("logs/.old")).unwrap();
    std::fs::write(r.join("logs/a.log"), "alpha beta\n").unwrap();
    std::fs::write(r.join("logs/b.log"), "beta\n").unwrap();
    std::fs::write(r.join("logs/.old/c.log"), "gamma\n").unwrap();
    std::fs::write(r.join("logs/.hidden"), "delta\n").unwrap();
    std::fs::write(r.join("logs/core"), b"epsilon\0\x01\x02\n").unwrap();
    let root = r.join("logs");

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
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    for (name, text) in [
        ("x 1.log", "one two\n"),
        ("y.log", "two\n"),
        ("z.log", "three"),
    ] {
        std::fs::write(r.join(name), text).unwrap();
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
    let list = r.join("list.txt");
    std::fs::write(&list, "x 1.log\ny.log\n\n").unwrap();
    let out = logmill()
        .current_dir(r)
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
fn keep_going_prints_the_rest_and_exits_2() {
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
    assert_eq!(out.status.code(), Some(2));
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
