//! Incremental cron runs with `--state`: each run reads only what was appended; rotation and
//! truncation are detected; the state is replaced only when a run succeeds.

use std::io::Write;
use std::path::Path;

use crate::util::{logmill, testdata};

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
    let d = tempfile::tempdir().unwrap();
    let log = d.path().join("auth.log");
    let st = d.path().join("auth.state");
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
    let d = tempfile::tempdir().unwrap();
    let log = d.path().join("app.log");
    let st = d.path().join("s");
    let (log_s, st_s) = (log.to_str().unwrap(), st.to_str().unwrap());
    let lines = source_lines();
    let first: Vec<u8> = lines[..500].concat();
    let second: Vec<u8> = lines[500..900].concat();
    let third: Vec<u8> = lines[900..].concat();
    std::fs::write(&log, &first).unwrap();
    run(&["words", "--state", st_s, log_s]);

    // Rotated by rename: the path is a new file (new inode).
    std::fs::rename(&log, d.path().join("app.log.1")).unwrap();
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
    let d = tempfile::tempdir().unwrap();
    let log = d.path().join("a.log");
    let st = d.path().join("s");
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
