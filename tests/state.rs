//! Incremental cron runs with `--state`: each run reads only what was appended; rotation and
//! truncation are detected; the state is replaced only when a run succeeds, is locked against a
//! second run, is written before anything is printed, and a cut or altered state or partial
//! is refused; version 1 partials and states are still read.

use std::ffi::OsStr;
use std::fs;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::io::AsRawFd;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::util::*;

fn run(args: &[&str]) -> (Vec<u8>, String, i32) {
    let out = logmill().args(args).output().unwrap();
    (
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

/// The job's output over `text` in one direct run: the oracle.
fn direct(job: &[&str], text: &[u8]) -> Vec<u8> {
    let mut args = job.to_vec();
    args.push("-");
    let out = logmill().args(&args).write_stdin(text).output().unwrap();
    out.stdout
}

fn append(p: &Path, bytes: &[u8]) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(p)
        .unwrap();
    f.write_all(bytes).unwrap();
}

/// The lines of a real log, to feed a growing file in pieces.
fn source_lines() -> Vec<Vec<u8>> {
    std::fs::read(testdata("loghub/OpenSSH_2k.log"))
        .unwrap()
        .split_inclusive(|&b| b == b'\n')
        .map(<[u8]>::to_vec)
        .collect()
}

#[test]
fn a_growing_log_is_read_once_and_totals_run_on() {
    let d = Dir::new("a_growing_log_is_read_once_and_totals_run_on");
    let log = d.path("auth.log");
    let st = d.path("auth.state");
    let (log_s, st_s) = (log.to_str().unwrap(), st.to_str().unwrap());
    let lines = source_lines();
    for job in [
        vec!["words"],
        vec!["match", r"sshd\[(\d+)\]: (\w+)"],
        vec!["grep", "-c", "Failed"],
    ] {
        let _ = std::fs::remove_file(&log);
        let _ = std::fs::remove_file(&st);
        let mut seen: Vec<u8> = Vec::new();
        // Pieces cut mid-line: the unfinished line must wait for the next run.
        let text: Vec<u8> = lines.concat();
        let cuts = [0, 1000, 1001, 57_003, 57_003, 120_000, text.len()];
        for w in cuts.windows(2) {
            append(&log, &text[w[0]..w[1]]);
            let before_total = seen.clone();
            // What is complete now.
            let all: &[u8] = &text[..w[1]];
            let complete = &all[..all.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1)];
            seen = complete.to_vec();
            let mut args = job.clone();
            args.extend(["--state", st_s, "--since-last", log_s]);
            let (new_only, err, code) = run(&args);
            assert!(code == 0 || code == 1, "{job:?}: {err}");
            assert_bytes_eq!(
                new_only,
                direct(&job, &seen[before_total.len()..]),
                "{job:?} --since-last after {} bytes",
                w[1]
            );
        }
        // Without --since-last: the running total, equal to one run over everything seen.
        let mut args = job.clone();
        args.extend(["--state", st_s, log_s]);
        let (total, _, _) = run(&args);
        assert_bytes_eq!(total, direct(&job, &seen), "{job:?} running total");
    }
}

#[test]
fn rotation_by_rename_and_copytruncate_start_the_file_over() {
    let d = Dir::new("rotation_by_rename_and_copytruncate_start_the_file_over");
    let log = d.path("app.log");
    let st = d.path("s");
    let (log_s, st_s) = (log.to_str().unwrap(), st.to_str().unwrap());
    let lines = source_lines();
    let first: Vec<u8> = lines[..500].concat();
    let second: Vec<u8> = lines[500..900].concat();
    let third: Vec<u8> = lines[900..].concat();
    std::fs::write(&log, &first).unwrap();
    run(&["words", "--state", st_s, log_s]);

    // Rotated by rename: the path is a new file (new inode).
    std::fs::rename(&log, d.path("app.log.1")).unwrap();
    std::fs::write(&log, &second).unwrap();
    let (out, err, code) = run(&["words", "--state", st_s, "--since-last", log_s]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("rotated or truncated"), "{err}");
    assert_bytes_eq!(out, direct(&["words"], &second));

    // copytruncate: same inode, truncated in place, then written again (shorter than before).
    let f = std::fs::OpenOptions::new().write(true).open(&log).unwrap();
    f.set_len(0).unwrap();
    drop(f);
    append(&log, &third[..third.len() / 10]);
    let piece = &third[..third.len() / 10];
    let complete = &piece[..piece.iter().rposition(|&b| b == b'\n').unwrap() + 1];
    let (out, err, _) = run(&["words", "--state", st_s, "--since-last", log_s]);
    assert!(err.contains("rotated or truncated"), "{err}");
    assert_bytes_eq!(out, direct(&["words"], complete));

    // The running total covers every line ever read, once.
    let mut everything = first.clone();
    everything.extend_from_slice(&second);
    everything.extend_from_slice(complete);
    let (total, _, _) = run(&["words", "--state", st_s, log_s]);
    assert_bytes_eq!(total, direct(&["words"], &everything));
}

#[test]
fn a_failed_run_leaves_the_state_untouched() {
    let d = Dir::new("a_failed_run_leaves_the_state_untouched");
    let log = d.path("a.log");
    let st = d.path("s");
    let (log_s, st_s) = (log.to_str().unwrap(), st.to_str().unwrap());
    std::fs::write(&log, "one two\n").unwrap();
    run(&["words", "--state", st_s, log_s]);
    let before = std::fs::read(&st).unwrap();
    append(&log, b"three\n");
    let (_, err, code) = run(&["words", "--state", st_s, log_s, "/nonexistent/x.log"]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(
        std::fs::read(&st).unwrap(),
        before,
        "state changed by a failed run"
    );
    // A state of another job is refused, naming the difference.
    let (_, err, code) = run(&["grep", "x", "--state", st_s, log_s]);
    assert_eq!(code, 2);
    assert!(err.contains("'words'") && err.contains("'grep'"), "{err}");
    // The state file is a partial: merge reads it.
    let (merged, err, code) = run(&["merge", st_s]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(String::from_utf8_lossy(&merged), "one\t1\ntwo\t1\n");
    // stdin cannot be incremental.
    let out = logmill()
        .args(["words", "--state", st_s])
        .write_stdin("a\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

fn run_in(dir: &Path, args: &[&str]) -> (Vec<u8>, String, i32) {
    let out = logmill().current_dir(dir).args(args).output().unwrap();
    (
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

/// Many distinct words: more output than a pipe holds.
fn big_input(dir: &Path) -> PathBuf {
    let p = dir.join("big.txt");
    let mut text = String::new();
    for i in 0..100_000 {
        text.push_str(&format!("w{i}\n"));
    }
    fs::write(&p, text).unwrap();
    p
}

#[test]
fn closed_pipe_with_state_leaves_the_state_and_fails() {
    let d = Dir::new("closed_pipe_with_state_leaves_the_state_and_fails");
    let big = big_input(d.root());
    let state = d.path("s.state");
    let (_, err, code) = run_in(d.root(), &["words", "--state", "s.state", "big.txt"]);
    assert_eq!(code, 0, "{err}");
    let saved = fs::read(&state).unwrap();
    append(&big, b"new words here\n");

    // The reader goes away at once (`| head -0`): nothing can be delivered.
    let mut child = logmill_std()
        .current_dir(d.root())
        .args(["words", "--state", "s.state", "big.txt"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("not delivered") && err.contains("s.state"),
        "{err}"
    );
    assert_eq!(
        fs::read(&state).unwrap(),
        saved,
        "the state must stay as it was"
    );

    // The next run still reports the new words.
    let (out, err, code) = run_in(
        d.root(),
        &["words", "--state", "s.state", "--since-last", "big.txt"],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, b"here\t1\nnew\t1\nwords\t1\n");

    // Without --state a closed pipe is not an error (as `| head` expects).
    let mut child = logmill_std()
        .args(["words"])
        .arg(&big)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stderr.is_empty());
}

#[test]
fn unwritable_state_fails_before_printing_anything() {
    let d = Dir::new("unwritable_state_fails_before_printing_anything");
    d.create("in.txt", "a b\n");
    let (out, err, code) = run_in(
        d.root(),
        &["words", "--state", "/nonexistent/dir/s.state", "in.txt"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty(), "printed before failing: {out:?}");
    assert!(err.contains("/nonexistent/dir/s.state"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn full_disk_for_the_state_fails_before_printing_anything() {
    let d = Dir::new("full_disk_for_the_state_fails_before_printing_anything");
    let input = d.create("in.txt", "alpha beta gamma\n");
    let state = d.path("s.state");
    let (_, err, code) = run_in(d.root(), &["words", "--state", "s.state", "in.txt"]);
    assert_eq!(code, 0, "{err}");
    let saved = fs::read(&state).unwrap();
    append(&input, b"delta epsilon\n");
    // A disk that takes 100 bytes more and no further: files past the limit fail with EFBIG
    // (SIGXFSZ ignored), as on a full disk; stdout is a pipe and is not limited.
    let mut cmd = logmill_std();
    cmd.current_dir(d.root())
        .args(["words", "--state", "s.state", "in.txt"]);
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let lim = libc::rlimit {
                rlim_cur: 100,
                rlim_max: 100,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = cmd.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        out.stdout.is_empty(),
        "printed before failing: {:?}",
        out.stdout
    );
    assert!(err.contains("s.state"), "{err}");
    assert_eq!(fs::read(&state).unwrap(), saved);
    let names: Vec<_> = fs::read_dir(d.root())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 3, "a temporary file was left: {names:?}");
}

fn try_flock(file: &fs::File) -> bool {
    // SAFETY: flock on a descriptor the file owns.
    unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) == 0 }
}

#[test]
fn a_second_run_on_a_locked_state_fails_at_once_or_waits() {
    let d = Dir::new("a_second_run_on_a_locked_state_fails_at_once_or_waits");
    d.create("in.txt", "a b\n");
    // Another process (this test) holds the lock.
    let lock = fs::File::create(d.path("s.state.lock")).unwrap();
    assert!(try_flock(&lock));
    let (out, err, code) = run_in(d.root(), &["words", "--state", "s.state", "in.txt"]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty());
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("another logmill run") && err.contains("--lock-timeout"),
        "{err}"
    );
    assert!(!d.path("s.state").exists());

    // With --lock-timeout it waits for the lock to be released.
    let released = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(400));
        drop(lock);
    });
    let start = Instant::now();
    let (out, err, code) = run_in(
        d.root(),
        &[
            "words",
            "--state",
            "s.state",
            "--lock-timeout",
            "30",
            "in.txt",
        ],
    );
    released.join().unwrap();
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, b"a\t1\nb\t1\n");
    assert!(start.elapsed() >= Duration::from_millis(300));

    // A timeout that runs out says so.
    let lock = fs::File::open(d.path("s.state.lock")).unwrap();
    assert!(try_flock(&lock));
    let (_, err, code) = run_in(
        d.root(),
        &[
            "words",
            "--state",
            "s.state",
            "--lock-timeout",
            "0.2",
            "in.txt",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("after waiting"), "{err}");
    let (_, err, code) = run_in(
        d.root(),
        &[
            "words",
            "--state",
            "s.state",
            "--lock-timeout",
            "soon",
            "in.txt",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--lock-timeout"), "{err}");
}

#[test]
fn two_overlapping_logmill_runs_do_not_share_a_state() {
    let d = Dir::new("two_overlapping_logmill_runs_do_not_share_a_state");
    let fifo = d.path("slow.log");
    let c = std::ffi::CString::new(fifo.as_os_str().as_bytes()).unwrap();
    // SAFETY: a valid C string.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    d.create("in.txt", "a b\n");
    // The first run takes the lock, then blocks opening a FIFO nobody writes to yet.
    let mut first = logmill_std()
        .current_dir(d.root())
        .args(["words", "--state", "s.state", "slow.log"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let probe_path = d.path("s.state.lock");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(probe) = fs::File::open(&probe_path) {
            if !try_flock(&probe) {
                break; // the first run holds it
            }
        }
        assert!(
            Instant::now() < deadline,
            "the first run never took the lock"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let (out, err, code) = run_in(d.root(), &["words", "--state", "s.state", "in.txt"]);
    // Let the first run go on, whatever it makes of a FIFO, then end it.
    drop(fs::OpenOptions::new().write(true).open(&fifo));
    let _ = first.kill();
    let _ = first.wait();
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty());
    assert!(err.contains("another logmill run"), "{err}");
}

#[test]
fn file_names_that_are_not_utf8_keep_separate_state_entries() {
    let d = Dir::new("file_names_that_are_not_utf8_keep_separate_state_entries");
    let ff = d.path(OsStr::from_bytes(b"x\xff.log"));
    let fe = d.path(OsStr::from_bytes(b"x\xfe.log"));
    fs::write(&ff, "one\n").unwrap();
    fs::write(&fe, "two\n").unwrap();
    let run = |extra: &[&str]| {
        let out = d
            .command()
            .args(["words", "--state", "s.state"])
            .args(extra)
            .arg(OsStr::from_bytes(b"x\xff.log"))
            .arg(OsStr::from_bytes(b"x\xfe.log"))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(0), "{err}");
        (out.stdout, err)
    };
    let (out, _) = run(&[]);
    assert_eq!(out, b"one\t1\ntwo\t1\n");
    append(&ff, b"three\n");
    let (out, err) = run(&["--since-last"]);
    assert!(!err.contains("rotated"), "{err}");
    assert_eq!(out, b"three\t1\n");
    let (out, err) = run(&[]);
    assert!(!err.contains("rotated"), "{err}");
    assert_eq!(out, b"one\t1\nthree\t1\ntwo\t1\n", "totals must not double");
    let state = d.read("s.state");
    let text = String::from_utf8_lossy(&state);
    assert!(
        text.contains(r#""path":"x\\xFF.log""#) && text.contains(r#""path":"x\\xFE.log""#),
        "{text}"
    );
}

/// The lines of `bytes`, each with its `\n`.
fn lines(bytes: &[u8]) -> Vec<&[u8]> {
    bytes.split_inclusive(|&b| b == b'\n').collect()
}

#[test]
fn partials_cut_at_a_line_boundary_or_altered_are_refused() {
    let d = Dir::new("partials_cut_at_a_line_boundary_or_altered_are_refused");
    let p = d.path("p.partial");
    let out = logmill()
        .args(["--emit", "partial", "words"])
        .write_stdin("a b c d\nb c d\n")
        .output()
        .unwrap();
    assert!(out.status.success());
    fs::write(&p, &out.stdout).unwrap();
    let all = lines(&out.stdout);
    assert!(all[0].starts_with(b"#logmill-partial\t2\t"));
    assert!(all.last().unwrap().starts_with(b"#logmill-end\t4\t"));
    // Whole: merges.
    let (got, err, code) = run_in(d.root(), &["merge", "p.partial"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(got, b"b\t2\nc\t2\nd\t2\na\t1\n");
    // `head -n 3`: rows lost, the end marker gone.
    d.create("cut.partial", all[..3].concat());
    // One row changed, the marker kept.
    let altered = String::from_utf8(out.stdout.clone())
        .unwrap()
        .replace("c\t2", "c\t3");
    d.create("bad.partial", altered);
    for (name, why) in [("cut.partial", "truncated"), ("bad.partial", "corrupt")] {
        let (got, err, code) = run_in(d.root(), &["merge", "p.partial", name]);
        assert_eq!(code, 2, "{name}: {err}");
        assert!(got.is_empty(), "{name}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(name) && err.contains(why), "{err}");
    }
    // Concatenated whole partials still merge; a cut one in the middle is found.
    let cat = [&out.stdout[..], &out.stdout[..]].concat();
    let (got, err, code) = run_in_stdin(&["merge", "-"], &cat);
    assert_eq!(code, 0, "{err}");
    assert_eq!(got, b"b\t4\nc\t4\nd\t4\na\t2\n");
    let cat = [&all[..3].concat()[..], &out.stdout[..]].concat();
    let (_, err, code) = run_in_stdin(&["merge", "-"], &cat);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("truncated"), "{err}");
}

fn run_in_stdin(args: &[&str], input: &[u8]) -> (Vec<u8>, String, i32) {
    let out = logmill().args(args).write_stdin(input).output().unwrap();
    (
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

#[test]
fn a_cut_state_file_is_refused_before_anything_is_printed() {
    let d = Dir::new("a_cut_state_file_is_refused_before_anything_is_printed");
    d.create("in.txt", "a b c\n");
    let (_, err, code) = run_in(d.root(), &["words", "--state", "s.state", "in.txt"]);
    assert_eq!(code, 0, "{err}");
    let state = d.read("s.state");
    let all = lines(&state);
    let cut = all[..all.len() - 2].concat();
    d.create("s.state", &cut);
    let (out, err, code) = run_in(d.root(), &["words", "--state", "s.state", "in.txt"]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty());
    assert!(
        err.contains("s.state") && err.contains("truncated"),
        "{err}"
    );
    assert_eq!(d.read("s.state"), cut);
}

#[test]
fn version_1_partials_and_states_are_read_with_a_warning() {
    let (out, err, code) = run_in_stdin(
        &[
            "merge",
            testdata("v1/words.partial").to_str().unwrap(),
            testdata("v1/words.state").to_str().unwrap(),
        ],
        b"",
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "beta\t4\nalpha\t2\ngamma\t2\ncafé\t1\nx\t1\n".as_bytes()
    );
    assert!(
        err.contains("words.partial")
            && err.contains("version 1")
            && err.contains("cannot be checked"),
        "{err}"
    );
    // A version-1 state is continued, and saved again as version 2.
    let d = Dir::new("version_1_partials_and_states_are_read_with_a_warning");
    fs::copy(testdata("v1/words.state"), d.path("s.state")).unwrap();
    d.create("app.log", "alpha beta\nbeta gamma\n");
    let (out, err, code) = run_in(d.root(), &["words", "--state", "s.state", "app.log"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("version 1"), "{err}");
    // Another inode than when the sample was made: read again from the start.
    assert_eq!(out, b"beta\t4\nalpha\t2\ngamma\t2\n");
    let saved = d.read("s.state");
    assert!(saved.starts_with(b"#logmill-partial\t2\t"));
}

#[test]
fn bad_partial_values_are_described_in_the_users_terms() {
    let d = Dir::new("bad_partial_values_are_described_in_the_users_terms");
    let words = "#logmill-partial\t1\t{\"job\":\"words\",\"params\":{\"unicode\":false}}\n";
    let matches = "#logmill-partial\t1\t{\"job\":\"match\",\"params\":{\"pattern\":\"GET (x)\",\
                   \"options\":{\"ignore_case\":false,\"fixed_strings\":false,\"word\":false,\
                   \"line\":false},\"sum\":null,\"all\":false}}\n";
    let cases = [
        (format!("{words}a\t1e+23\n"), "1e+23", "whole number"),
        (format!("{words}a\t{{}}\n"), "object", "count"),
        (format!("{matches}x\t5\n"), "5", "object"),
        (format!("{words}a\t1x\n"), "not valid JSON", "line 2"),
    ];
    for (i, (text, found, expected)) in cases.iter().enumerate() {
        let name = format!("p{i}.partial");
        d.create(&name, text);
        let (_, err, code) = run_in(d.root(), &["merge", &name]);
        assert_eq!(code, 2, "{err}");
        let last = err.lines().last().unwrap();
        assert!(
            last.contains(&name) && last.contains("line 2"),
            "names the file and line: {last}"
        );
        assert!(last.contains(found) && last.contains(expected), "{last}");
        for internal in ["u64", "struct", "floating point", "invalid type", "Tally"] {
            assert!(!last.contains(internal), "leaks '{internal}': {last}");
        }
    }
}

#[test]
fn map_and_reduce_lines_carry_no_end_marker() {
    let out = logmill()
        .args(["map", "words"])
        .write_stdin("a b a\n")
        .output()
        .unwrap();
    assert!(out.status.success());
    // The job-wide facts (the records read) go first, as the line of the key `#meta`.
    assert_eq!(out.stdout, b"#meta\t{\"records\":1}\na\t2\nb\t1\n");
    // Shuffled lines, with a stray end marker from an exact-mode shard, reduce as before.
    let (got, err, code) = run_in_stdin(
        &["reduce", "words"],
        b"a\t2\n#logmill-end\t1\t00000000\nb\t1\na\t1\n",
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(got, b"a\t3\nb\t1\n");
    // The reducers' outputs are bare lines too; the Spark driver gathers them behind the job's
    // header and closes them with an end marker of its own (examples/spark/logmill_spark.py).
    let reduced = logmill()
        .args(["--emit", "partial", "reduce", "words"])
        .write_stdin("a\t2\n")
        .output()
        .unwrap();
    // A reducer without the `#meta` line of the shuffle read no records of its own.
    assert_eq!(reduced.stdout, b"#meta\t{\"records\":0}\na\t2\n");
    let header = logmill()
        .args(["--emit", "partial", "words"])
        .write_stdin("")
        .output()
        .unwrap()
        .stdout;
    let header = lines(&header)[0].to_vec();
    let body = [&reduced.stdout[..], b"b\t1\n"].concat();
    let mut sum = logmill::partial::BodySum::default();
    sum.update(&body);
    let gathered = [&header[..], &body[..], sum.end_line().as_bytes()].concat();
    let (got, err, code) = run_in_stdin(&["--emit", "partial", "merge", "-"], &gathered);
    assert_eq!(code, 0, "{err}");
    assert_eq!(got, gathered);
    // Without the marker, the same lines are refused.
    let (_, err, code) = run_in_stdin(&["merge", "-"], &[&header[..], &body[..]].concat());
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("truncated"), "{err}");
}
