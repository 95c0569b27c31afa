//! Signals: exit codes 130/143 mid-run, a burst of signals, an inherited ignored SIGINT, and
//! the atomic output's temporary file removed on every terminating signal or by the next run.

use std::fs;
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::*;

/// Sets SIGINT and SIGTERM in the child to `disposition` before exec, so the tests do not
/// depend on what the test runner inherited (a background job of a non-interactive shell
/// starts with SIGINT ignored).
fn with_signals(cmd: &mut Command, disposition: libc::sighandler_t) -> &mut Command {
    // SAFETY: the closure runs in the forked child before exec and only calls signal(2),
    // which is async-signal-safe.
    unsafe {
        cmd.pre_exec(move || {
            libc::signal(libc::SIGINT, disposition);
            libc::signal(libc::SIGTERM, disposition);
            Ok(())
        })
    }
}

fn send(child: &Child, sig: libc::c_int) {
    // SAFETY: kill(2) on our own child's pid, which has not been reaped yet.
    let rc = unsafe { libc::kill(child.id() as libc::pid_t, sig) };
    assert_eq!(rc, 0, "kill failed");
}

/// Starts `logmill words -o out` on a stdin that never ends, feeds it a few MiB (so it is
/// mid-run), checks the temporary file is there, sends `sigs` and checks it ended with one of
/// `expect_codes`, leaving the previous output and no temporary file.
fn interrupt_output_run(sigs: &[libc::c_int], expect_codes: &[i32]) {
    let dir = Dir::new("interrupt_output_run");
    let out = dir.path("result.tsv");
    // A previous good result, from a real run.
    let good = logmill()
        .args(["words", "-o"])
        .arg(&out)
        .arg(testdata("small.txt"))
        .output()
        .unwrap();
    assert!(good.status.success());
    let good = fs::read(&out).unwrap();
    assert!(!good.is_empty());

    let mut child = with_signals(
        logmill_std()
            .args(["words", "--chunk-size", "64K", "-o"])
            .arg(&out)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
        libc::SIG_DFL,
    )
    .spawn()
    .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // The slow writer: 4 MiB through a 64 KiB pipe means the run has consumed most of it.
    for i in 0..64 {
        stdin.write_all(&log_block(i * 1000)).unwrap();
    }
    let during = entries(dir.root());
    assert_eq!(
        during.len(),
        2,
        "a temporary file while running: {during:?}"
    );
    assert!(during.iter().any(|n| n.ends_with(".tmp")), "{during:?}");
    for &sig in sigs {
        send(&child, sig);
    }
    // Keep writing as a slow producer would; the pipe breaks when logmill is gone.
    let _ = stdin.write_all(&log_block(7));
    drop(stdin);
    let res = wait_with_deadline(child, Duration::from_secs(10));
    assert!(
        res.status.code().is_some_and(|c| expect_codes.contains(&c)),
        "{} (want {expect_codes:?}) stderr: {}",
        res.status,
        String::from_utf8_lossy(&res.stderr)
    );
    assert!(res.stderr.is_empty());
    assert!(res.stdout.is_empty());
    assert_eq!(fs::read(&out).unwrap(), good, "the old output is intact");
    assert_eq!(
        entries(dir.root()),
        vec!["result.tsv"],
        "no temporary file left"
    );
}

#[test]
fn sigterm_mid_run_exits_143_and_keeps_the_old_output() {
    interrupt_output_run(&[libc::SIGTERM], &[143]);
}

#[test]
fn sigint_mid_run_exits_130_and_keeps_the_old_output() {
    interrupt_output_run(&[libc::SIGINT], &[130]);
}

#[test]
fn a_burst_of_signals_ends_the_run_once() {
    // Several threads may take signals at once; one cleans up and exits, none hangs.
    let burst = [libc::SIGTERM, libc::SIGINT, libc::SIGTERM, libc::SIGINT];
    interrupt_output_run(&burst, &[130, 143]);
}

#[test]
fn an_ignored_sigint_stays_ignored() {
    // As under `nohup` or in a background job of a script: Ctrl-C is not for us.
    let mut child = with_signals(
        logmill_std()
            .arg("words")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
        libc::SIG_IGN,
    )
    .spawn()
    .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"a b a\n").unwrap();
    // Give logmill time to start and install its handlers before the signal.
    std::thread::sleep(Duration::from_millis(300));
    send(&child, libc::SIGINT);
    std::thread::sleep(Duration::from_millis(100));
    assert!(child.try_wait().unwrap().is_none(), "SIGINT stopped it");
    drop(stdin);
    let res = wait_with_deadline(child, Duration::from_secs(10));
    assert!(res.status.success());
    assert_eq!(res.stdout, b"a\t2\nb\t1\n");
}

/// Starts `words -o result.tsv` (over a previous result) on a stdin that stays open, waits
/// for its temporary file, sends `sig`, and checks it exits with `code`, leaving the previous
/// result and no temporary file.
fn signal_during_output(sig: libc::c_int, code: i32) {
    let d = Dir::new("signal_during_output");
    let out = d.create("result.tsv", "previous\t1\n");
    let mut cmd = logmill_std();
    cmd.args(["words", "-o"])
        .arg(&out)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: signal(2) in the forked child before exec: the test must not depend on what
    // the runner inherited (a nohup'ed runner ignores SIGHUP).
    unsafe {
        cmd.pre_exec(move || {
            libc::signal(sig, libc::SIG_DFL);
            Ok(())
        })
    };
    let mut child = cmd.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"some words\nmore words\n").unwrap();
    let start = Instant::now();
    while entries(d.root()).len() < 2 {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no temporary file"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(entries(d.root()).iter().any(|n| n.ends_with(".tmp")));
    send(&child, sig);
    let res = wait_with_deadline(child, Duration::from_secs(10));
    drop(stdin);
    assert_eq!(res.status.code(), Some(code), "{}", res.status);
    assert_eq!(fs::read(&out).unwrap(), b"previous\t1\n");
    assert_eq!(
        entries(d.root()),
        vec!["result.tsv"],
        "no temporary file left"
    );
}

#[test]
fn sighup_during_output_removes_the_temporary_file() {
    signal_during_output(libc::SIGHUP, 129);
}

#[test]
fn sigquit_during_output_removes_the_temporary_file() {
    signal_during_output(libc::SIGQUIT, 131);
}

#[test]
fn other_terminating_signals_remove_the_temporary_file() {
    for sig in [libc::SIGUSR1, libc::SIGUSR2, libc::SIGALRM] {
        signal_during_output(sig, 128 + sig);
    }
}

/// The id of a process that has exited (and been reaped).
fn dead_pid() -> u32 {
    let mut c = Command::new("true").spawn().unwrap();
    let pid = c.id();
    c.wait().unwrap();
    pid
}

#[test]
fn a_killed_runs_temporary_file_is_removed_by_the_next_run() {
    let d = Dir::new("a_killed_runs_temporary_file_is_removed_by_the_next_run");
    let p = d.root();
    // A run killed by SIGKILL leaves its temporary file.
    let mut child = logmill_std()
        .current_dir(p)
        .args(["words", "-o", "result.tsv"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while entries(p).is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no temporary file"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let left = entries(p);
    assert_eq!(left.len(), 1);
    assert!(left[0].starts_with(".result.tsv.logmill-"), "{left:?}");
    // Another dead run's file, a live process's one (ours), and a dead run's file that a live
    // process still holds locked (a run in another PID namespace), plus another target's.
    let dead = format!(".result.tsv.logmill-{}-3.tmp", dead_pid());
    let live = format!(".result.tsv.logmill-{}-0.tmp", std::process::id());
    let locked = format!(".result.tsv.logmill-{}-1.tmp", dead_pid());
    let other = format!(".other.tsv.logmill-{}-0.tmp", dead_pid());
    for name in [&dead, &live, &locked, &other] {
        d.create(name, "partial");
    }
    let lock = fs::File::open(d.path(&locked)).unwrap();
    // SAFETY: flock(2) on a descriptor we own.
    assert_eq!(
        unsafe { libc::flock(std::os::fd::AsRawFd::as_raw_fd(&lock), libc::LOCK_EX) },
        0
    );

    let res = d
        .command()
        .args(["words", "-o", "result.tsv"])
        .write_stdin("a\n")
        .output()
        .unwrap();
    assert!(res.status.success());
    assert_eq!(d.read("result.tsv"), b"a\t1\n");
    let mut want = vec![live, locked, other, "result.tsv".to_string()];
    want.sort();
    assert_eq!(entries(p), want);
    drop(lock);
}
