//! Output side of issue 5: output formats parsed back with real parsers (csv, serde_json),
//! atomic `-o` under failure and signals, exit codes 130/143, SIGBUS on a truncated mapped
//! input, completions, man page, `--version`, `NO_COLOR`.

use std::fs;
use std::io::{Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::util::{logmill, require, require_tools, sh, testdata};

/// Keys that need care in every format: CSV delimiters and quotes, JSON escapes, UTF-8, TSV's
/// own separator cannot appear (words split at whitespace).
const TRICKY: &str = "a,b \"quoted\" x\"y ,lead trail, '' \\back\\slash {\"k\":1} 日本 Café café\n\
                      a,b a,b \"quoted\" 日本 plain plain plain\n";

/// The logmill binary as a plain `std` command (for spawning and signalling).
fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_logmill"))
}

/// Runs logmill with `args` on `stdin`, expecting success, and returns stdout.
fn run_ok(args: &[&str], stdin: &[u8]) -> Vec<u8> {
    let out = logmill().args(args).write_stdin(stdin).output().unwrap();
    assert!(
        out.status.success(),
        "logmill {args:?}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// `key<TAB>count` lines in order.
fn tsv_rows(out: &[u8]) -> Vec<(Vec<u8>, u64)> {
    out.split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| {
            let tab = l.iter().rposition(|&b| b == b'\t').expect("a tab");
            let n = std::str::from_utf8(&l[tab + 1..]).unwrap().parse().unwrap();
            (l[..tab].to_vec(), n)
        })
        .collect()
}

/// Parses CSV with the csv crate, checks the header and returns the rows in order.
fn csv_rows(out: &[u8]) -> Vec<(Vec<u8>, u64)> {
    let mut r = csv::ReaderBuilder::new().from_reader(out);
    assert_eq!(r.byte_headers().unwrap(), vec!["word", "count"]);
    r.byte_records()
        .map(|rec| {
            let rec = rec.expect("valid CSV");
            assert_eq!(rec.len(), 2);
            let n = std::str::from_utf8(&rec[1]).unwrap().parse().unwrap();
            (rec[0].to_vec(), n)
        })
        .collect()
}

/// Checks one JSON object is `{"word": string, "count": number}` and returns the pair.
fn json_row(v: &serde_json::Value) -> (String, u64) {
    let obj = v.as_object().expect("an object");
    let keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    assert_eq!(keys.len(), 2, "{v}");
    let word = obj["word"].as_str().expect("word is a string").to_string();
    let count = obj["count"].as_u64().expect("count is a JSON number");
    (word, count)
}

fn json_rows(out: &[u8]) -> Vec<(String, u64)> {
    let v: serde_json::Value = serde_json::from_slice(out).expect("valid JSON");
    v.as_array()
        .expect("one array")
        .iter()
        .map(json_row)
        .collect()
}

fn jsonl_rows(out: &[u8]) -> Vec<(String, u64)> {
    assert!(out.is_empty() || out.ends_with(b"\n"));
    out.split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| json_row(&serde_json::from_slice(l).expect("one JSON object a line")))
        .collect()
}

fn as_text(rows: &[(Vec<u8>, u64)]) -> Vec<(String, u64)> {
    rows.iter()
        .map(|(k, n)| (String::from_utf8(k.clone()).unwrap(), *n))
        .collect()
}

#[test]
fn every_format_parses_back_to_the_rows_of_tsv() {
    let apache = testdata("loghub/Apache_2k.log");
    let apache = apache.to_str().unwrap();
    for (args, stdin) in [
        (vec!["words"], TRICKY.as_bytes().to_vec()),
        (vec!["words", apache], Vec::new()),
        (
            vec!["words", "--sort", "key", "-j", "2", apache],
            Vec::new(),
        ),
        (vec!["words", "--top", "7"], TRICKY.as_bytes().to_vec()),
    ] {
        let with = |fmt: &str| {
            let mut a = args.clone();
            a.extend(["--output-format", fmt]);
            run_ok(&a, &stdin)
        };
        let tsv = tsv_rows(&run_ok(&args, &stdin));
        assert!(!tsv.is_empty(), "{args:?}");
        assert_eq!(tsv_rows(&with("tsv")), tsv, "{args:?}");
        assert_eq!(csv_rows(&with("csv")), tsv, "{args:?}");
        assert_eq!(json_rows(&with("json")), as_text(&tsv), "{args:?}");
        assert_eq!(jsonl_rows(&with("jsonl")), as_text(&tsv), "{args:?}");
    }
}

#[test]
fn empty_input_in_every_format() {
    let run = |fmt: &str| run_ok(&["words", "--output-format", fmt], b"");
    assert_eq!(run("tsv"), b"");
    assert_eq!(run("csv"), b"word,count\n");
    assert!(json_rows(&run("json")).is_empty());
    assert_eq!(run("jsonl"), b"");
}

#[test]
fn csv_quotes_commas_and_quotes() {
    let out = run_ok(
        &["words", "--output-format", "csv", "--sort", "key"],
        b"a,b \"q\" x\"y plain ,\n",
    );
    // RFC 4180: quote a field holding a comma or a quote, double the quotes inside.
    // (Keys with newlines cannot come from `words`; the emitter's unit tests cover them.)
    assert_bytes_eq!(
        out,
        b"word,count\n\"\"\"q\"\"\",1\n\",\",1\n\"a,b\",1\nplain,1\n\"x\"\"y\",1\n"
    );
    let rows = csv_rows(&out);
    assert_eq!(rows[0].0, b"\"q\"");
    assert_eq!(rows[4].0, b"x\"y");
}

#[test]
fn csv_keeps_bytes_that_are_not_utf8() {
    let input = b"caf\xe9 caf\xe9 \xff\xfe,x ok\n";
    let tsv = tsv_rows(&run_ok(&["words"], input));
    let csv = csv_rows(&run_ok(&["words", "--output-format", "csv"], input));
    assert_eq!(csv, tsv);
    assert!(csv.iter().any(|(k, _)| k == b"\xff\xfe,x"));
}

#[test]
fn json_replaces_invalid_utf8_and_says_how_many() {
    let input = b"caf\xe9 caf\xe9 \xff\xfe ok caf\xc3\xa9\n";
    let tsv = tsv_rows(&run_ok(&["words"], input));
    for fmt in ["json", "jsonl"] {
        let out = logmill()
            .args(["words", "--output-format", fmt])
            .write_stdin(&input[..])
            .output()
            .unwrap();
        assert!(out.status.success(), "{fmt}: {}", out.status);
        let rows = if fmt == "json" {
            json_rows(&out.stdout)
        } else {
            jsonl_rows(&out.stdout)
        };
        // Same rows in the same order; each key is the lossy decoding of the exact bytes.
        let want: Vec<(String, u64)> = tsv
            .iter()
            .map(|(k, n)| (String::from_utf8_lossy(k).into_owned(), *n))
            .collect();
        assert_eq!(rows, want, "{fmt}");
        assert!(rows.contains(&("caf\u{fffd}".to_string(), 2)), "{fmt}");
        assert!(rows.contains(&("café".to_string(), 1)), "{fmt}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.lines().count(), 1, "{fmt}: {err}");
        assert!(
            err.starts_with("logmill: warning: 2 values were not valid UTF-8"),
            "{fmt}: {err}"
        );
    }
    // Valid UTF-8 only: no warning.
    let out = logmill()
        .args(["words", "--output-format", "json"])
        .write_stdin("café ok\n")
        .output()
        .unwrap();
    assert!(out.status.success() && out.stderr.is_empty());
}

#[test]
fn header_flag() {
    let input = TRICKY.as_bytes();
    let plain = run_ok(&["words"], input);
    let with = run_ok(&["words", "--header"], input);
    let mut want = b"word\tcount\n".to_vec();
    want.extend_from_slice(&plain);
    assert_bytes_eq!(with, want);
    // CSV always has its header; JSON does not change.
    for fmt in ["csv", "json", "jsonl"] {
        assert_bytes_eq!(
            run_ok(&["words", "--output-format", fmt, "--header"], input),
            run_ok(&["words", "--output-format", fmt], input),
            "{fmt}"
        );
    }
}

/// The names in `dir`, sorted.
fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn output_file_holds_what_stdout_would() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let input = testdata("loghub/HDFS_2k.log");
    for fmt in ["tsv", "csv", "json", "jsonl"] {
        fs::write(&out, "previous\n").unwrap();
        let args = ["words", "--output-format", fmt, input.to_str().unwrap()];
        let stdout = run_ok(&args, b"");
        let res = logmill().args(args).arg("-o").arg(&out).output().unwrap();
        assert!(res.status.success(), "{fmt}");
        assert!(res.stdout.is_empty(), "{fmt}: results went to stdout too");
        assert_bytes_eq!(fs::read(&out).unwrap(), stdout, "{fmt}");
        assert_eq!(entries(dir.path()), vec!["out"], "{fmt}");
    }
}

#[test]
fn failed_run_leaves_the_previous_output_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("counts.tsv");
    fs::write(&out, "precious\t1\n").unwrap();
    let missing = dir.path().join("no-such-input.log");
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
    assert_eq!(entries(dir.path()), vec!["counts.tsv"]);

    // An -o in a directory that does not exist fails at once, on one line.
    let res = logmill()
        .args(["words", "-o"])
        .arg(dir.path().join("nope/out.tsv"))
        .write_stdin("a\n")
        .output()
        .unwrap();
    assert_eq!(res.status.code(), Some(2));
    assert_eq!(String::from_utf8(res.stderr).unwrap().lines().count(), 1);
    // And -o naming a directory is refused, leaving it alone.
    let res = logmill()
        .args(["words", "-o"])
        .arg(dir.path())
        .write_stdin("a\n")
        .output()
        .unwrap();
    assert_eq!(res.status.code(), Some(2));
    assert_eq!(entries(dir.path()), vec!["counts.tsv"]);
}

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

/// Lines of generated log text, about 64 KiB.
fn log_block(seed: usize) -> Vec<u8> {
    let mut s = String::new();
    let mut i = seed;
    while s.len() < 1 << 16 {
        s.push_str(&format!(
            "2024-01-{:02} host{} GET /item/{} status={} user{}\n",
            i % 28 + 1,
            i % 7,
            i % 1000,
            [200, 404, 500][i % 3],
            i % 13
        ));
        i += 1;
    }
    s.into_bytes()
}

/// Starts `logmill words -o out` on a stdin that never ends, feeds it a few MiB (so it is
/// mid-run), checks the temporary file is there, sends `sigs` and checks it ended with one of
/// `expect_codes`, leaving the previous output and no temporary file.
fn interrupt_output_run(sigs: &[libc::c_int], expect_codes: &[i32]) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("result.tsv");
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
        bin()
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
    let during = entries(dir.path());
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
        entries(dir.path()),
        vec!["result.tsv"],
        "no temporary file left"
    );
}

/// Waits for `child`, killing it and failing if it takes longer than `limit`.
fn wait_with_deadline(mut child: Child, limit: Duration) -> Output {
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("logmill did not stop within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
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
        bin()
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

#[test]
fn truncating_a_mapped_input_is_an_error_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let name = "logmill-shrinking-input.log";
    let path = dir.path().join(name);
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
        let mut child = bin()
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

#[test]
fn closed_stdout_ends_quietly_in_every_format() {
    for fmt in ["tsv", "csv", "json", "jsonl"] {
        let mut child = bin()
            .args(["words", "--output-format", fmt])
            .arg(testdata("kjv.txt"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut head = [0u8; 100];
        child
            .stdout
            .as_mut()
            .unwrap()
            .read_exact(&mut head)
            .unwrap();
        // The results are far larger than a pipe buffer; close the pipe like `head` does.
        drop(child.stdout.take());
        let res = wait_with_deadline(child, Duration::from_secs(30));
        assert_eq!(res.status.code(), Some(0), "{fmt}");
        assert!(
            res.stderr.is_empty(),
            "{fmt}: {}",
            String::from_utf8_lossy(&res.stderr)
        );
    }
}

#[test]
fn completions_for_each_shell_name_the_subcommands() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = run_ok(&["completions", shell], b"");
        let text = String::from_utf8(out).unwrap();
        for word in ["words", "completions", "man", "output-format"] {
            assert!(text.contains(word), "{shell} lacks {word}");
        }
    }
    // bash: the script parses, and completing really offers the subcommands and values.
    if require_tools(&["bash"]) {
        let bin = env!("CARGO_BIN_EXE_logmill");
        let got = sh(&format!(
            "source <('{bin}' completions bash) && \
             COMP_WORDS=(logmill w) COMP_CWORD=1 && _logmill logmill w logmill && \
             printf '%s\\n' \"${{COMPREPLY[@]}}\" && \
             COMP_WORDS=(logmill words --output-format '') COMP_CWORD=3 && \
             _logmill logmill '' --output-format && printf '%s\\n' \"${{COMPREPLY[@]}}\""
        ));
        assert_eq!(
            String::from_utf8(got).unwrap(),
            "words\ntsv\ncsv\njson\njsonl\n"
        );
    }
    let bad = logmill().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn man_page_documents_every_subcommand() {
    let out = run_ok(&["man"], b"");
    let text = String::from_utf8(out.clone()).unwrap();
    assert!(text.contains(".TH logmill 1"), "{text}");
    for heading in ["LOGMILL WORDS", "LOGMILL COMPLETIONS", "LOGMILL MAN"] {
        assert!(text.contains(heading), "no {heading}");
    }
    assert!(text.contains("output\\-format"));
    // groff, where installed, formats it without warnings.
    if require_tools(&["groff"]) {
        let dir = tempfile::tempdir().unwrap();
        let page = dir.path().join("logmill.1");
        fs::write(&page, &out).unwrap();
        let res = Command::new("groff")
            .args(["-man", "-Tutf8", "-ww", "-z"])
            .arg(&page)
            .output()
            .unwrap();
        assert!(res.status.success());
        assert!(
            res.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&res.stderr)
        );
    }
}

#[test]
fn version_names_the_git_revision() {
    let out = String::from_utf8(run_ok(&["--version"], b"")).unwrap();
    let version = env!("CARGO_PKG_VERSION");
    assert!(out.starts_with(&format!("logmill {version}")), "{out}");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    if !require(root.join(".git").exists(), "a git checkout (.git)") {
        return;
    }
    if !require_tools(&["git"]) {
        return;
    }
    let rev = sh(&format!(
        "git -C '{}' rev-parse --short HEAD",
        root.display()
    ));
    let rev = String::from_utf8(rev).unwrap();
    assert_eq!(
        out.trim(),
        format!("logmill {version} (rev {})", rev.trim())
    );
}

#[test]
fn no_color_turns_off_styled_help() {
    let help = |no_color: Option<&str>| {
        let mut cmd = logmill();
        cmd.arg("--help")
            .env("CLICOLOR_FORCE", "1")
            .env_remove("NO_COLOR");
        if let Some(v) = no_color {
            cmd.env("NO_COLOR", v);
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success());
        out.stdout
    };
    let esc = |b: &[u8]| b.contains(&0x1b);
    // Forced colour does style the help, so the check below can fail...
    assert!(esc(&help(None)));
    // ...but NO_COLOR wins. An empty NO_COLOR means unset (no-color.org).
    assert!(!esc(&help(Some("1"))));
    assert!(esc(&help(Some(""))));
    // Errors too.
    let err = logmill()
        .args(["words", "--bogus"])
        .env("CLICOLOR_FORCE", "1")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(err.status.code(), Some(2));
    assert!(!esc(&err.stderr));
}

#[test]
fn help_documents_exit_codes_and_formats() {
    let top = String::from_utf8(run_ok(&["--help"], b"")).unwrap();
    for s in ["0 success", "1 nothing matched", "2 error", "130", "143"] {
        assert!(top.contains(s), "--help lacks {s:?}");
    }
    let words = String::from_utf8(run_ok(&["words", "--help"], b"")).unwrap();
    for s in [
        "--output-format",
        "jsonl",
        "--header",
        "-o, --output",
        "Examples:",
    ] {
        assert!(words.contains(s), "words --help lacks {s:?}");
    }
}
