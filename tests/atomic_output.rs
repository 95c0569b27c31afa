//! The atomic output file (`-o`, `--rejects`): it holds what stdout would, a failed run keeps
//! the previous one, and outputs that clash with inputs, each other or odd paths are refused.

use std::fs;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Output, Stdio};
use std::time::Duration;

use crate::util::*;

#[test]
fn output_file_holds_what_stdout_would() {
    let dir = Dir::new("output_file_holds_what_stdout_would");
    let out = dir.path("out");
    let input = testdata("loghub/HDFS_2k.log");
    for fmt in ["tsv", "csv", "json", "jsonl"] {
        fs::write(&out, "previous\n").unwrap();
        let args = ["words", "--output-format", fmt, input.to_str().unwrap()];
        let stdout = run_ok(&args, b"");
        let res = logmill().args(args).arg("-o").arg(&out).output().unwrap();
        assert!(res.status.success(), "{fmt}");
        assert!(res.stdout.is_empty(), "{fmt}: results went to stdout too");
        assert_bytes_eq!(fs::read(&out).unwrap(), stdout, "{fmt}");
        assert_eq!(entries(dir.root()), vec!["out"], "{fmt}");
    }
}

#[test]
fn failed_run_leaves_the_previous_output_untouched() {
    let dir = Dir::new("failed_run_leaves_the_previous_output_untouched");
    let out = dir.create("counts.tsv", "precious\t1\n");
    let missing = dir.path("no-such-input.log");
    let res = logmill()
        .arg("words")
        .arg(testdata("small.txt"))
        .arg(&missing)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(res.status.code(), Some(2));
    let err = String::from_utf8(res.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("no-such-input.log"), "{err}");
    assert_eq!(fs::read(&out).unwrap(), b"precious\t1\n");
    assert_eq!(entries(dir.root()), vec!["counts.tsv"]);

    // An -o in a directory that does not exist fails at once, on one line.
    let res = logmill()
        .args(["words", "-o"])
        .arg(dir.path("nope/out.tsv"))
        .write_stdin("a\n")
        .output()
        .unwrap();
    assert_eq!(res.status.code(), Some(2));
    assert_eq!(String::from_utf8(res.stderr).unwrap().lines().count(), 1);
    // And -o naming a directory is refused, leaving it alone.
    let res = logmill()
        .args(["words", "-o"])
        .arg(dir.root())
        .write_stdin("a\n")
        .output()
        .unwrap();
    assert_eq!(res.status.code(), Some(2));
    assert_eq!(entries(dir.root()), vec!["counts.tsv"]);
}

/// Runs logmill in `dir` with `args` and checks it was refused: exit 2, one line on stderr
/// naming both `a` and `b`, nothing on stdout. Returns the line.
fn refused(dir: &Path, args: &[&str], stdin: Option<&Path>, a: &str, b: &str) -> String {
    let mut cmd = logmill_std();
    cmd.current_dir(dir).args(args);
    match stdin {
        Some(p) => cmd.stdin(fs::File::open(p).unwrap()),
        None => cmd.stdin(Stdio::null()),
    };
    let out = cmd.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    assert!(
        err.contains(a) && err.contains(b),
        "{args:?} names {a} and {b}: {err}"
    );
    assert!(out.stdout.is_empty(), "{args:?}");
    err
}

/// A folder holding `in.txt` (words) and `recs.jsonl` (one good, one bad record), with their
/// contents.
fn inputs() -> (Dir, Vec<u8>, Vec<u8>) {
    let d = Dir::new("inputs");
    let words = b"a b a\nc\n".to_vec();
    let recs = b"{\"a\":1}\nnot json\n".to_vec();
    d.create("in.txt", &words);
    d.create("recs.jsonl", &recs);
    (d, words, recs)
}

#[test]
fn an_output_that_is_an_input_is_refused_and_the_input_kept() {
    let (d, words, recs) = inputs();
    let p = d.root();
    fs::hard_link(d.path("in.txt"), d.path("hard.txt")).unwrap();
    d.symlink("in.txt", "link.txt");
    d.create_dir("sub");
    refused(
        p,
        &["words", "-o", "in.txt", "in.txt"],
        None,
        "-o in.txt",
        "in.txt",
    );
    refused(
        p,
        &["words", "-o", "./in.txt", "in.txt"],
        None,
        "-o ./in.txt",
        "in.txt",
    );
    refused(
        p,
        &["words", "-o", "link.txt", "in.txt"],
        None,
        "link.txt",
        "in.txt",
    );
    refused(
        p,
        &["words", "-o", "in.txt", "link.txt"],
        None,
        "in.txt",
        "link.txt",
    );
    refused(
        p,
        &["words", "-o", "hard.txt", "in.txt"],
        None,
        "hard.txt",
        "in.txt",
    );
    refused(
        p,
        &["words", "-o", "sub/../in.txt", "in.txt"],
        None,
        "sub/../in.txt",
        "in.txt",
    );
    // Stdin redirected from the file is that file.
    let stdin = d.path("in.txt");
    refused(
        p,
        &["words", "-o", "in.txt"],
        Some(&stdin),
        "-o in.txt",
        "standard input",
    );
    refused(
        p,
        &["words", "-o", "hard.txt", "-"],
        Some(&stdin),
        "hard.txt",
        "standard input",
    );
    // --state is read and replaced, but never an input.
    refused(
        p,
        &["words", "--state", "in.txt", "in.txt"],
        None,
        "--state in.txt",
        "in.txt",
    );
    refused(
        p,
        &["grep", "a", "--state", "link.txt", "in.txt"],
        None,
        "--state",
        "in.txt",
    );
    // The reported case: --rejects onto the input.
    let args = [
        "fields",
        "--format",
        "jsonl",
        "--by",
        "a",
        "--rejects",
        "recs.jsonl",
    ];
    let mut with_input = args.to_vec();
    with_input.push("recs.jsonl");
    refused(
        p,
        &with_input,
        None,
        "--rejects recs.jsonl",
        "input recs.jsonl",
    );
    // The --files-from list is an input too.
    d.create("list", "in.txt\n");
    let list_before = d.read("list");
    refused(
        p,
        &["words", "--files-from", "list", "-o", "list"],
        None,
        "-o list",
        "list",
    );
    assert_eq!(d.read("list"), list_before);

    assert_eq!(d.read("in.txt"), words);
    assert_eq!(d.read("recs.jsonl"), recs);
    assert_eq!(
        entries(p),
        vec![
            "hard.txt",
            "in.txt",
            "link.txt",
            "list",
            "recs.jsonl",
            "sub"
        ],
        "no output or temporary file created"
    );
}

#[test]
fn an_output_inside_a_walked_directory_is_refused() {
    let (d, words, _) = inputs();
    let p = d.root();
    d.create_dir("logs/deep");
    d.create("logs/deep/x.log", "x y\n");
    refused(
        p,
        &["words", "-r", "logs", "-o", "logs/deep/x.log"],
        None,
        "-o logs/deep/x.log",
        "logs/deep/x.log",
    );
    // A hard link from outside to a walked file.
    fs::hard_link(d.path("logs/deep/x.log"), d.path("outside.txt")).unwrap();
    refused(
        p,
        &["words", "-r", "logs", "-o", "outside.txt"],
        None,
        "outside.txt",
        "x.log",
    );
    assert_eq!(d.read("logs/deep/x.log"), b"x y\n");
    // A hidden file is not walked (without --hidden), so it may be written; a new file may be
    // written into a walked directory.
    let ok = d
        .command()
        .args([
            "words",
            "-r",
            "logs",
            "-o",
            "logs/.counts",
            "--state",
            "logs/new.state",
        ])
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert_eq!(d.read("logs/.counts"), b"x\t1\ny\t1\n");
    assert_eq!(d.read("in.txt"), words);
}

#[test]
fn two_outputs_on_one_file_are_refused() {
    let (d, _, recs) = inputs();
    let p = d.root();
    d.create("old.tsv", "old\n");
    d.symlink("old.tsv", "alias.tsv");
    let fields = ["fields", "--format", "jsonl", "--by", "a"];
    let with = |more: &[&'static str]| {
        let mut v = fields.to_vec();
        v.extend_from_slice(more);
        v.push("recs.jsonl");
        v
    };
    // Not yet existing: the same path once resolved.
    refused(
        p,
        &with(&["-o", "new.tsv", "--rejects", "./new.tsv"]),
        None,
        "new.tsv",
        "-o",
    );
    refused(
        p,
        &with(&["-o", "old.tsv", "--rejects", "alias.tsv"]),
        None,
        "alias.tsv",
        "old",
    );
    refused(
        p,
        &with(&["-o", "old.tsv", "--state", "old.tsv"]),
        None,
        "--state",
        "-o old",
    );
    refused(
        p,
        &["words", "--state", "alias.tsv", "-o", "old.tsv", "in.txt"],
        None,
        "--state alias.tsv",
        "-o old.tsv",
    );
    assert_eq!(d.read("old.tsv"), b"old\n");
    assert_eq!(d.read("recs.jsonl"), recs);
    assert!(!d.path("new.tsv").exists());
    // Two outputs that are the same device are fine: /dev/null is not a file to lose.
    let ok = d
        .command()
        .args(with(&["-o", "/dev/null", "--rejects", "/dev/null"]))
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
}

#[test]
fn merge_may_accumulate_a_partial_in_place() {
    let d = Dir::new("merge_may_accumulate_a_partial_in_place");
    let p = d.root();
    for (name, text) in [("total.partial", "a b\n"), ("day.partial", "a c\n")] {
        let out = logmill()
            .args(["words", "--emit", "partial"])
            .write_stdin(text)
            .output()
            .unwrap();
        assert!(out.status.success());
        d.create(name, out.stdout);
    }
    let out = d
        .command()
        .args(["merge", "--emit", "partial", "total.partial", "day.partial"])
        .args(["-o", "total.partial"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown = d
        .command()
        .args(["merge", "total.partial"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&shown.stdout), "a\t2\nb\t1\nc\t1\n");
    assert_eq!(entries(p), vec!["day.partial", "total.partial"]);
}

#[test]
fn output_to_dev_stdout_appends_where_stdout_goes() {
    let d = Dir::new("output_to_dev_stdout_appends_where_stdout_goes");
    let log = d.create("log", "earlier\n");
    let append = fs::OpenOptions::new().append(true).open(&log).unwrap();
    let out = logmill_std()
        .args(["words", "-o", "/dev/stdout", "-"])
        .stdin(fs::File::open(testdata("small.txt")).unwrap())
        .stdout(append)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // As `>> log` promises: the earlier lines stay, the results follow.
    let expected = logmill()
        .arg("words")
        .arg(testdata("small.txt"))
        .output()
        .unwrap()
        .stdout;
    assert!(!expected.is_empty());
    assert_eq!(
        fs::read(&log).unwrap(),
        [&b"earlier\n"[..], &expected].concat()
    );
    assert_eq!(entries(d.root()), vec!["log"]);
}

#[test]
fn odd_output_paths_fail_cleanly() {
    let (d, words, _) = inputs();
    let p = d.root();
    for (out, says) in [
        (".", "directory"),
        ("no/such/dir/out.tsv", "no/such/dir/out.tsv"),
    ] {
        let res = d
            .command()
            .args(["words", "-o", out, "in.txt"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&res.stderr);
        assert_eq!(res.status.code(), Some(2), "{out}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(says), "{err}");
    }
    // --rejects in a missing directory fails before any work, as -o does.
    let res = d
        .command()
        .args(["fields", "--format", "jsonl", "--count"])
        .args(["--rejects", "no/such/rejects", "recs.jsonl"])
        .output()
        .unwrap();
    assert_eq!(res.status.code(), Some(2));
    assert!(res.stdout.is_empty(), "no results printed");
    assert!(String::from_utf8_lossy(&res.stderr).contains("no/such/rejects"));
    assert_eq!(d.read("in.txt"), words);
    assert_eq!(entries(p), vec!["in.txt", "recs.jsonl"]);
}

/// Runs `fields --rejects` with a file-size limit (`ulimit -f`) the rejects file cannot fit in.
fn run_with_file_limit(dir: &Path, input: &Path, rejects: &Path, limit: u64) -> Output {
    let mut cmd = logmill_std();
    cmd.current_dir(dir)
        .args(["fields", "--format", "jsonl", "--count", "--rejects"])
        .arg(rejects)
        .arg(input)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: setrlimit(2) and signal(2) in the forked child before exec.
    unsafe {
        cmd.pre_exec(move || {
            let lim = libc::rlimit {
                rlim_cur: limit,
                rlim_max: limit,
            };
            libc::setrlimit(libc::RLIMIT_FSIZE, &lim);
            Ok(())
        })
    };
    cmd.output().unwrap()
}

#[test]
fn rejects_file_is_replaced_atomically() {
    let d = Dir::new("rejects_file_is_replaced_atomically");
    // Each reject line starts with the input's long path, so the rejects file is far bigger
    // than the spooled record texts: the write that fails is the rejects file's.
    let deep = d.path("d".repeat(200));
    fs::create_dir(&deep).unwrap();
    let input = deep.join("recs.jsonl");
    let mut text = String::from("{\"a\":1}\n");
    for _ in 0..200 {
        text.push_str("x\n");
    }
    fs::write(&input, &text).unwrap();
    let rejects = d.create("rejects.txt", "the previous rejects\n");

    let res = run_with_file_limit(d.root(), &input, &rejects, 8192);
    let err = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(2), "{err}");
    assert!(err.contains("rejects.txt"), "{err}");
    assert_eq!(
        fs::read(&rejects).unwrap(),
        b"the previous rejects\n",
        "a failed write keeps the previous rejects file"
    );
    assert_eq!(
        entries(d.root()),
        vec!["d".repeat(200), "rejects.txt".into()],
        "no temporary file left"
    );

    // Without the limit: the whole list, in place, no temporary file.
    let res = run_with_file_limit(d.root(), &input, &rejects, libc::RLIM_INFINITY);
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    let listed = fs::read_to_string(&rejects).unwrap();
    assert_eq!(listed.lines().count(), 200);
    assert!(
        listed.ends_with(":201:x\n"),
        "{}",
        &listed[listed.len() - 40..]
    );
    assert_eq!(entries(d.root()).len(), 2);
}

#[test]
fn a_closed_stdout_is_an_error() {
    // `logmill words f >&-`: no one to give the results to (coreutils: "Bad file descriptor").
    let mut cmd = logmill_std();
    cmd.arg("words")
        .arg(testdata("small.txt"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    // SAFETY: close(2) in the forked child before exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::close(1);
            Ok(())
        })
    };
    let res = cmd.output().unwrap();
    let err = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("standard output is closed"), "{err}");

    // With -o the results have somewhere to go.
    let d = Dir::new("a_closed_stdout_is_an_error");
    let out = d.path("out.tsv");
    let mut cmd = logmill_std();
    cmd.args(["words", "-o"])
        .arg(&out)
        .arg(testdata("small.txt"))
        .stdout(Stdio::null());
    // SAFETY: as above.
    unsafe {
        cmd.pre_exec(|| {
            libc::close(1);
            Ok(())
        })
    };
    assert!(cmd.status().unwrap().success());
    assert!(fs::metadata(&out).unwrap().len() > 0);
}

#[test]
fn a_closed_pipe_without_state_still_exits_0() {
    // `logmill words f | head -1`: the README's promise, kept.
    let mut child = logmill_std()
        .arg("words")
        .arg(testdata("kjv.txt"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let res = wait_with_deadline(child, Duration::from_secs(60));
    assert_eq!(
        res.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
}

#[test]
fn a_hidden_walk_does_not_read_the_outputs_temporary_file() {
    // `-o` inside the walked directory, new: its temporary file is there during the walk.
    let d = Dir::new("a_hidden_walk_does_not_read_the_outputs_temporary_file");
    d.create("x.log", "a a\n");
    let res = d
        .command()
        .args([
            "grep",
            "--by-file",
            "-r",
            "--hidden",
            "a",
            ".",
            "-o",
            "out.tsv",
        ])
        .output()
        .unwrap();
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    let rows = fs::read_to_string(d.path("out.tsv")).unwrap();
    assert!(rows.starts_with("./x.log\t1\n"), "{rows}");
    assert!(
        !rows.contains(".tmp"),
        "the temporary file is not an input: {rows}"
    );
}
