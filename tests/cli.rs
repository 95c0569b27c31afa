//! The command line of `logmill words`: inputs (files, stdin, `-`, FIFOs), output options,
//! flag validation, the environment, exit codes and messages, and a closed stdout. Expected
//! tables come from the independent oracle in `util.rs`, never from logmill's own output.

use std::collections::BTreeMap;

use crate::util::*;

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(testdata(rel)).expect("testdata is readable")
}

/// The oracle's table for one testdata file.
fn counts(rel: &str) -> BTreeMap<Vec<u8>, u64> {
    ascii_word_counts(&read(rel))
}

/// Runs `logmill ARGS` with `stdin` and asserts it succeeded with nothing on stderr.
fn ok_stdout(args: &[&str], stdin: &[u8]) -> Vec<u8> {
    let out = logmill()
        .args(args)
        .write_stdin(stdin.to_vec())
        .output()
        .unwrap();
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "logmill {args:?}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Runs `logmill ARGS` expecting exit code 2, an empty stdout and a one-line message on stderr;
/// returns the message.
fn fails_with_one_line(cmd: &mut assert_cmd::Command) -> String {
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{cmd:?}: {out:?}");
    assert!(out.stdout.is_empty(), "{cmd:?} printed to stdout: {out:?}");
    let err = String::from_utf8(out.stderr).expect("messages are UTF-8 here");
    assert!(
        err.ends_with('\n') && err.lines().count() == 1,
        "{cmd:?}: expected one line on stderr, got {err:?}"
    );
    err
}

fn path_str(rel: &str) -> String {
    testdata(rel).to_str().unwrap().to_string()
}

// ---------------------------------------------------------------------------------------------
// Inputs

#[test]
fn no_file_argument_reads_stdin() {
    let data = read("loghub/Proxifier_2k.log");
    let expected = render_counts(&ascii_word_counts(&data), Order::Count, None);
    assert_bytes_eq!(ok_stdout(&["words"], &data), expected);
}

#[test]
fn dash_reads_stdin() {
    let data = read("fixtures/mixed_endings.txt");
    let expected = render_counts(&ascii_word_counts(&data), Order::Count, None);
    assert_bytes_eq!(ok_stdout(&["words", "-"], &data), expected);
}

/// Counts add up across files, and the last word of a file without a final newline does not
/// run into the first word of the next file (`cat a b | ...` would join them).
#[test]
fn several_files_add_up() {
    let files = [
        "no_end_newline.txt",
        "loghub/Linux_2k.log",
        "small.txt",
        "fixtures/nul_bytes.txt",
        "loghub/OpenSSH_2k.log",
    ];
    let mut expected = BTreeMap::new();
    for f in files {
        add_counts(&mut expected, &counts(f));
    }
    let paths: Vec<String> = files.iter().map(|f| path_str(f)).collect();
    for (threads, chunk) in [("1", "1M"), ("2", "1"), ("4", "64K")] {
        let mut args = vec!["words", "-j", threads, "--chunk-size", chunk];
        args.extend(paths.iter().map(String::as_str));
        let got = ok_stdout(&args, b"");
        assert_bytes_eq!(
            got,
            render_counts(&expected, Order::Count, None),
            "-j {threads} --chunk-size {chunk}"
        );
    }
}

#[test]
fn the_same_file_twice_counts_twice() {
    let doubled: BTreeMap<Vec<u8>, u64> = counts("loghub/Apache_2k.log")
        .into_iter()
        .map(|(k, n)| (k, 2 * n))
        .collect();
    let p = path_str("loghub/Apache_2k.log");
    let got = ok_stdout(&["words", &p, &p], b"");
    assert_bytes_eq!(got, render_counts(&doubled, Order::Count, None));
}

/// Files and `-` mix in any position; stdin (here without a final newline) is one more input.
#[test]
fn files_and_stdin_mix() {
    let stdin = read("no_end_newline.txt");
    let mut expected = counts("small.txt");
    add_counts(&mut expected, &ascii_word_counts(&stdin));
    add_counts(&mut expected, &counts("loghub/HDFS_2k.log"));
    let (a, b) = (path_str("small.txt"), path_str("loghub/HDFS_2k.log"));
    for chunk in ["1", "64K"] {
        let got = ok_stdout(&["words", "--chunk-size", chunk, &a, "-", &b], &stdin);
        assert_bytes_eq!(
            got,
            render_counts(&expected, Order::Count, None),
            "--chunk-size {chunk}"
        );
    }
}

/// A FIFO (bash process substitution) has no length to map; it is read as a stream.
#[test]
fn fifo_argument_is_read_as_a_stream() {
    let bin = assert_cmd::cargo::cargo_bin("logmill");
    let script = format!(
        "{} words --chunk-size 3 <(cat {})",
        shell_quote(&bin),
        shell_quote(testdata("loghub/Linux_2k.log"))
    );
    let expected = render_counts(&counts("loghub/Linux_2k.log"), Order::Count, None);
    assert_bytes_eq!(sh(&script), expected);
}

#[test]
fn empty_and_blank_inputs_give_empty_output() {
    for rel in ["fixtures/empty.txt", "fixtures/whitespace_only.txt"] {
        let p = path_str(rel);
        assert_bytes_eq!(ok_stdout(&["words", &p], b""), b"", "{rel} as a file");
        assert_bytes_eq!(ok_stdout(&["words"], &read(rel)), b"", "{rel} on stdin");
    }
}

// ---------------------------------------------------------------------------------------------
// Output options

#[test]
fn top_n_is_the_first_n_rows_of_the_full_order() {
    let expected = counts("loghub/OpenSSH_2k.log");
    let p = path_str("loghub/OpenSSH_2k.log");
    for n in [1, 2, 7, 100, expected.len(), expected.len() + 1, 1_000_000] {
        let got = ok_stdout(&["words", "--top", &n.to_string(), &p], b"");
        assert_bytes_eq!(
            got,
            render_counts(&expected, Order::Count, Some(n)),
            "--top {n}"
        );
    }
}

#[test]
fn top_zero_prints_nothing() {
    let p = path_str("small.txt");
    assert_bytes_eq!(ok_stdout(&["words", "--top", "0", &p], b""), b"");
}

#[test]
fn sort_key_orders_by_key_bytes() {
    for rel in ["loghub/Apache_2k.log", "fixtures/invalid_utf8.txt"] {
        let p = path_str(rel);
        let got = ok_stdout(&["words", "--sort", "key", &p], b"");
        assert_bytes_eq!(got, render_counts(&counts(rel), Order::Key, None), "{rel}");
    }
}

#[test]
fn sort_key_with_top() {
    let rel = "loghub/HDFS_2k.log";
    let p = path_str(rel);
    let got = ok_stdout(&["words", "--sort", "key", "--top", "30", &p], b"");
    assert_bytes_eq!(got, render_counts(&counts(rel), Order::Key, Some(30)));
}

#[test]
fn sort_count_is_the_default() {
    let rel = "loghub/Proxifier_2k.log";
    let p = path_str(rel);
    assert_bytes_eq!(
        ok_stdout(&["words", "--sort", "count", &p], b""),
        ok_stdout(&["words", &p], b"")
    );
}

/// `logmill words ... | head`: the reader goes away after one line, the rest of a ~300 KB output
/// (far more than a 64 KiB pipe holds) meets a closed pipe, and logmill must end quietly with
/// status 0 — no "Broken pipe" message, no death by SIGPIPE (141).
#[test]
fn closed_stdout_ends_quietly_with_success() {
    let dir = Dir::new("closed_stdout_ends_quietly_with_success");
    let err = dir.path("stderr");
    let bin = shell_quote(assert_cmd::cargo::cargo_bin("logmill"));
    let kjv = shell_quote(testdata("kjv.txt"));
    for (input, how) in [(kjv.clone(), "file"), (format!("< {kjv}"), "stdin")] {
        let script = format!(
            "{bin} words --sort key {input} 2> {} | head -n 1; echo \"status=${{PIPESTATUS[0]}}\"",
            shell_quote(&err)
        );
        let out = String::from_utf8(sh(&script)).unwrap();
        let mut lines = out.lines();
        let first = lines.next().unwrap_or_default();
        assert!(first.contains('\t'), "{how}: head got {first:?}");
        assert_eq!(lines.next(), Some("status=0"), "{how}: {out:?}");
        let stderr = std::fs::read_to_string(&err).unwrap();
        assert!(stderr.is_empty(), "{how}: stderr {stderr:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Errors

#[test]
fn missing_file_is_an_error_naming_it() {
    let dir = Dir::new("missing_file_is_an_error_naming_it");
    let missing = dir.path("no such file.log");
    let m = missing.to_str().unwrap();
    let err = fails_with_one_line(logmill().args(["words", m]));
    assert!(err.contains(m), "message should name {m}: {err:?}");
    // Among good inputs too: nothing is printed, whatever the position of the bad one.
    let good = path_str("small.txt");
    let err = fails_with_one_line(
        logmill()
            .args(["words", &good, m, "-"])
            .write_stdin("a b\n"),
    );
    assert!(err.contains(m), "{err:?}");
}

#[test]
fn directory_argument_is_an_error_naming_it() {
    let d = path_str("loghub");
    let err = fails_with_one_line(logmill().args(["words", &d]));
    assert!(err.contains(&d), "message should name {d}: {err:?}");
    let good = path_str("small.txt");
    fails_with_one_line(logmill().args(["words", &good, &d]));
}

#[test]
fn directory_on_stdin_is_an_error() {
    let dir = std::fs::File::open(testdata("loghub")).unwrap();
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("logmill"))
        .env_remove("LOGMILL_THREADS")
        .arg("words")
        .stdin(dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(out.stdout.is_empty(), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).lines().count(),
        1,
        "{out:?}"
    );
}

#[test]
fn bad_chunk_size_is_an_error_naming_the_flag() {
    let p = path_str("small.txt");
    for bad in [
        "0",
        "abc",
        "12X",
        "1.5.5M",
        "2T",
        "-1K",
        "",
        "99999999999999999999",
    ] {
        // `=` so clap takes "-1K" as the value rather than as a flag.
        let arg = format!("--chunk-size={bad}");
        let err = fails_with_one_line(logmill().args(["words", &arg, &p]));
        assert!(
            err.contains("--chunk-size"),
            "--chunk-size {bad:?}: {err:?}"
        );
    }
}

#[test]
fn chunk_size_accepts_suffixes() {
    let rel = "loghub/Linux_2k.log";
    let p = path_str(rel);
    let expected = render_counts(&counts(rel), Order::Count, None);
    for size in ["1", "100", "4k", "64K", "1.5K", "1M", "2MiB", "1g"] {
        let got = ok_stdout(&["words", "--chunk-size", size, &p], b"");
        assert_bytes_eq!(got, expected, "--chunk-size {size}");
    }
}

#[test]
fn unknown_flag_and_missing_job_are_usage_errors() {
    for args in [&["words", "--bogus"][..], &[], &["nosuchjob"]] {
        let out = logmill().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
        assert!(out.stdout.is_empty(), "{args:?}: {out:?}");
        assert!(!out.stderr.is_empty(), "{args:?}: {out:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Environment

/// Where the thread count comes from: `-j`/`--threads` (in either position) wins over
/// `LOGMILL_THREADS`, even an unusable one (say, left in a shell profile); the variable is read
/// when no flag is given; a bad value of either is one error line naming where it came from;
/// neither gives the default.
#[test]
fn threads_come_from_the_flag_then_logmill_threads_then_the_default() {
    let p = path_str("small.txt");
    let small = render_counts(&counts("small.txt"), Order::Count, None);
    let apache_rel = "loghub/Apache_2k.log";
    let apache_p = path_str(apache_rel);
    let apache = render_counts(&counts(apache_rel), Order::Count, None);
    enum Want<'a> {
        /// Success with these bytes on stdout.
        Out(&'a [u8]),
        /// Exit 2 with one error line that contains this.
        Err(&'a str),
    }
    let cases: &[(Option<&str>, &[&str], Want)] = &[
        // Default: neither flag nor variable.
        (None, &["words", &p], Want::Out(&small)),
        // The variable is used without a flag (and several threads give the same bytes).
        (
            Some("2"),
            &["words", "--chunk-size", "1K", &apache_p],
            Want::Out(&apache),
        ),
        // A value the engine refuses shows the variable is really read; the error names it.
        (Some("0"), &["words", &p], Want::Err("LOGMILL_THREADS")),
        // The flag wins over the variable, before or after the job.
        (Some("0"), &["words", "-j", "2", &p], Want::Out(&small)),
        (Some("0"), &["-j", "2", "words", &p], Want::Out(&small)),
        (Some("abc"), &["words", "-j", "1", &p], Want::Out(&small)),
        (Some("abc"), &["-j", "1", "words", &p], Want::Out(&small)),
        // An invalid flag is an error naming the flag.
        (None, &["words", "-j", "0", &p], Want::Err("--threads")),
        (
            None,
            &["words", "--threads", "0", &p],
            Want::Err("--threads"),
        ),
    ];
    for (env, args, want) in cases {
        let mut cmd = logmill();
        if let Some(v) = env {
            cmd.env("LOGMILL_THREADS", v);
        }
        cmd.args(*args);
        let what = format!("LOGMILL_THREADS={env:?} logmill {args:?}");
        match want {
            Want::Out(expected) => {
                let out = cmd.output().unwrap();
                assert!(
                    out.status.success(),
                    "{what}: {}\n{}",
                    out.status,
                    String::from_utf8_lossy(&out.stderr)
                );
                assert_bytes_eq!(out.stdout, expected, "{what}");
            }
            Want::Err(needle) => {
                let err = fails_with_one_line(&mut cmd);
                assert!(err.contains(needle), "{what}: {err:?}");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Help and version

#[test]
fn help_and_version_exit_zero() {
    let out = logmill().arg("--help").output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(
        help.contains("words") && help.contains("--threads"),
        "{help}"
    );

    let out = logmill().args(["words", "--help"]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let help = String::from_utf8(out.stdout).unwrap();
    for flag in ["--unicode", "--top", "--sort", "--chunk-size"] {
        assert!(help.contains(flag), "words --help lacks {flag}:\n{help}");
    }

    let out = logmill().arg("--version").output().unwrap();
    assert!(out.status.success(), "{out:?}");
    // The git revision may follow; tests/help.rs checks it.
    let version = String::from_utf8(out.stdout).unwrap();
    assert!(
        version.starts_with(&format!("logmill {}", env!("CARGO_PKG_VERSION"))),
        "{version}"
    );
}
