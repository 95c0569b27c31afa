//! Helpers shared by every integration test module: temporary directories ([`Dir`]), running
//! the binary, skipping a test only outside CI ([`require`]), running peer tools through a
//! shell, reading `testdata/`, and comparing count tables.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The logmill binary under test. `LOGMILL_THREADS` is removed from its environment so a value
/// set in the developer's shell cannot change a test; tests that need it set it again.
pub fn logmill() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("logmill").expect("logmill binary is built");
    cmd.env_remove("LOGMILL_THREADS");
    cmd
}

/// A file or folder under the repository's `testdata/`.
pub fn testdata(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(rel)
}

/// True when CI is running us (`CI=true`): missing peer tools are then failures, not skips.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// True when `name` can be run from PATH.
pub fn cmd_exists(name: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Whether a test whose precondition is `ok` may run: the one gate for every test that skips
/// itself. Locally an unmet precondition skips the test with a message naming `what` is
/// missing; under `CI=true` it fails the test, because a skipped test proves nothing.
/// Use as `if !require(cond, "what is missing") { return; }`.
pub fn require(ok: bool, what: &str) -> bool {
    if ok {
        return true;
    }
    assert!(!in_ci(), "CI must provide this, missing: {what}");
    eprintln!("skipped: missing {what}");
    false
}

/// Whether a differential test may run: true when every tool exists ([`require`] for peer
/// tools).
pub fn require_tools(names: &[&str]) -> bool {
    let missing: Vec<&str> = names.iter().copied().filter(|n| !cmd_exists(n)).collect();
    require(missing.is_empty(), &format!("peer tools {missing:?}"))
}

/// A fresh temporary directory for one test's inputs and outputs, removed when dropped (after
/// ripgrep's `tests/util.rs`). Every test that needs files on disk makes one of these rather
/// than its own temp dir, so names, cleanup and the binary's environment are the same
/// everywhere.
pub struct Dir {
    temp: tempfile::TempDir,
}

impl Dir {
    /// A new empty directory whose name starts with `logmill-{name}-` (name it after the test,
    /// so a directory left behind says whose it was).
    pub fn new(name: &str) -> Dir {
        let temp = tempfile::Builder::new()
            .prefix(&format!("logmill-{name}-"))
            .tempdir()
            .expect("a temporary directory");
        Dir { temp }
    }

    /// The directory itself.
    pub fn root(&self) -> &Path {
        self.temp.path()
    }

    /// `rel` inside the directory (nothing is created).
    pub fn path(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.root().join(rel)
    }

    /// Writes `data` to `rel` (creating its parent folders) and returns the file's path.
    pub fn create(&self, rel: impl AsRef<Path>, data: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("parent folders");
        }
        std::fs::write(&path, data).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        path
    }

    /// Creates the folder `rel` (and its parents) and returns its path.
    pub fn create_dir(&self, rel: impl AsRef<Path>) -> PathBuf {
        let path = self.path(rel);
        std::fs::create_dir_all(&path).unwrap_or_else(|e| panic!("mkdir {}: {e}", path.display()));
        path
    }

    /// Makes `link` (inside the directory) a symbolic link to `target` and returns its path.
    pub fn symlink(&self, target: impl AsRef<Path>, link: impl AsRef<Path>) -> PathBuf {
        let path = self.path(link);
        std::os::unix::fs::symlink(target, &path)
            .unwrap_or_else(|e| panic!("symlink {}: {e}", path.display()));
        path
    }

    /// The bytes of the file `rel`.
    pub fn read(&self, rel: impl AsRef<Path>) -> Vec<u8> {
        let path = self.path(rel);
        std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
    }

    /// The logmill binary (as [`logmill`]: no `LOGMILL_THREADS`) run in this directory, so
    /// relative paths in its arguments name files here.
    pub fn command(&self) -> assert_cmd::Command {
        let mut cmd = logmill();
        cmd.current_dir(self.root());
        cmd
    }
}

/// Runs `script` with bash (`set -o pipefail`, `LC_ALL=C`) and returns its stdout. Panics with
/// stderr when it fails.
pub fn sh(script: &str) -> Vec<u8> {
    sh_stdin(script, b"")
}

/// Like [`sh`], with `input` on the script's stdin (written from another thread, so a script
/// that writes before it has read everything cannot deadlock).
pub fn sh_stdin(script: &str, input: &[u8]) -> Vec<u8> {
    let mut child = Command::new("bash")
        .args(["-c", &format!("set -o pipefail; {script}")])
        .env("LC_ALL", "C")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bash runs");
    let mut stdin = child.stdin.take().expect("piped stdin");
    let out = std::thread::scope(|s| {
        s.spawn(move || {
            // The script may exit without reading everything; that is its business.
            let _ = std::io::Write::write_all(&mut stdin, input);
        });
        child.wait_with_output().expect("bash finishes")
    });
    assert!(
        out.status.success(),
        "script failed ({}): {script}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Quotes `s` for a POSIX shell (single quotes; an embedded `'` becomes `'\''`), so paths with
/// spaces or quotes survive a [`sh`] script.
pub fn shell_quote(s: impl AsRef<std::ffi::OsStr>) -> String {
    let s = s.as_ref().to_str().expect("test paths are UTF-8");
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Word counts of `path` by coreutils (`LC_ALL=C`): ASCII-lowercase, squeeze the six ASCII
/// whitespace bytes into newlines, drop empty lines, `sort | uniq -c`. The oracle for
/// `logmill words`; callers check [`require_tools`] with [`COREUTILS_WORDS_TOOLS`] first.
pub fn coreutils_word_counts(path: &std::path::Path) -> BTreeMap<Vec<u8>, u64> {
    let script = format!(
        r"tr 'A-Z' 'a-z' < {} | tr -s ' \t\n\v\f\r' '\n' | sed '/^$/d' | sort | uniq -c",
        shell_quote(path)
    );
    parse_uniq_c(&sh(&script))
}

/// The peer tools [`coreutils_word_counts`] runs (plus `wc`, for word totals).
pub const COREUTILS_WORDS_TOOLS: &[&str] = &["tr", "sort", "uniq", "sed", "wc"];

/// Word counts by the definition of `logmill words`, written independently of `src/`: split at
/// the six ASCII whitespace bytes, drop empty pieces, lowercase ASCII letters only.
pub fn ascii_word_counts(data: &[u8]) -> BTreeMap<Vec<u8>, u64> {
    let mut m = BTreeMap::new();
    let is_space = |b: &u8| matches!(*b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r');
    for w in data.split(is_space).filter(|w| !w.is_empty()) {
        *m.entry(w.to_ascii_lowercase()).or_insert(0) += 1;
    }
    m
}

/// Adds the counts of `b` into `a` (the expected result of several inputs).
pub fn add_counts(a: &mut BTreeMap<Vec<u8>, u64>, b: &BTreeMap<Vec<u8>, u64>) {
    for (k, n) in b {
        *a.entry(k.clone()).or_insert(0) += n;
    }
}

/// Row order of an expected table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Count descending, ties by key bytes ascending (the default `--sort count`).
    Count,
    /// Key bytes ascending (`--sort key`).
    Key,
}

/// Renders counts as logmill's expected output: `key<TAB>count` lines in `order`, cut to `top`
/// rows. Independent of `src/emit`: a stable sort by count over a key-ordered `BTreeMap`.
pub fn render_counts(counts: &BTreeMap<Vec<u8>, u64>, order: Order, top: Option<usize>) -> Vec<u8> {
    let mut rows: Vec<(&Vec<u8>, u64)> = counts.iter().map(|(k, n)| (k, *n)).collect();
    if order == Order::Count {
        // Stable: equal counts keep the BTreeMap's ascending key order.
        rows.sort_by_key(|r| std::cmp::Reverse(r.1));
    }
    let mut out = Vec::new();
    for (k, n) in rows.into_iter().take(top.unwrap_or(usize::MAX)) {
        out.extend_from_slice(k);
        out.push(b'\t');
        out.extend_from_slice(n.to_string().as_bytes());
        out.push(b'\n');
    }
    out
}

/// Parses `key<TAB>count` lines (logmill's text output) into a map. Panics on a malformed
/// line or a repeated key.
pub fn parse_tsv_counts(out: &[u8]) -> BTreeMap<Vec<u8>, u64> {
    let mut m = BTreeMap::new();
    for line in out.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let tab = line
            .iter()
            .rposition(|&b| b == b'\t')
            .unwrap_or_else(|| panic!("no tab in {:?}", String::from_utf8_lossy(line)));
        let n: u64 = std::str::from_utf8(&line[tab + 1..])
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("bad count in {:?}", String::from_utf8_lossy(line)));
        assert!(
            m.insert(line[..tab].to_vec(), n).is_none(),
            "repeated key {:?}",
            String::from_utf8_lossy(&line[..tab])
        );
    }
    m
}

/// Parses `uniq -c` output (`%7d key`) into a map.
pub fn parse_uniq_c(out: &[u8]) -> BTreeMap<Vec<u8>, u64> {
    let mut m = BTreeMap::new();
    for line in out.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let start = line.iter().position(|&b| b != b' ').expect("count");
        let rest = &line[start..];
        let sp = rest.iter().position(|&b| b == b' ').unwrap_or(rest.len());
        let n: u64 = std::str::from_utf8(&rest[..sp]).unwrap().parse().unwrap();
        let key = rest.get(sp + 1..).unwrap_or(b"").to_vec();
        *m.entry(key).or_insert(0) += n;
    }
    m
}

/// Asserts two byte strings are equal, showing both (lossily) and the first difference.
#[macro_export]
macro_rules! assert_bytes_eq {
    ($left:expr, $right:expr $(, $($ctx:tt)+)?) => {{
        let (l, r): (&[u8], &[u8]) = (&$left[..], &$right[..]);
        if l != r {
            let at = l.iter().zip(r).position(|(a, b)| a != b).unwrap_or(l.len().min(r.len()));
            panic!(
                "outputs differ at byte {at}{}\n--- left ({} bytes)\n{}\n--- right ({} bytes)\n{}",
                { let _s = String::new(); $( let _s = format!(" ({})", format!($($ctx)+)); )? _s },
                l.len(),
                String::from_utf8_lossy(&l[..l.len().min(at + 400)]),
                r.len(),
                String::from_utf8_lossy(&r[..r.len().min(at + 400)]),
            );
        }
    }};
}

/// Undoes the TSV escaping of text cells (`\\`, `\t`, `\n`, `\r`).
pub fn unescape_tsv(cell: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(cell.len());
    let mut it = cell.iter();
    while let Some(&b) = it.next() {
        if b != b'\\' {
            out.push(b);
            continue;
        }
        match it.next() {
            Some(b't') => out.push(b'\t'),
            Some(b'n') => out.push(b'\n'),
            Some(b'r') => out.push(b'\r'),
            Some(b'\\') => out.push(b'\\'),
            other => panic!(
                "bad escape \\{:?} in {:?}",
                other,
                String::from_utf8_lossy(cell)
            ),
        }
    }
    out
}

/// Parses TSV output into rows of unescaped cells.
pub fn parse_tsv_rows(out: &[u8]) -> Vec<Vec<Vec<u8>>> {
    out.split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| l.split(|&b| b == b'\t').map(unescape_tsv).collect())
        .collect()
}

/// Runs logmill with `args` (and `stdin`, if any) and returns stdout, the exit code and stderr.
pub fn run_logmill<S: AsRef<std::ffi::OsStr>>(
    args: &[S],
    stdin: Option<&[u8]>,
) -> (Vec<u8>, i32, String) {
    let mut cmd = logmill();
    cmd.args(args);
    if let Some(input) = stdin {
        cmd.write_stdin(input.to_vec());
    }
    let out = cmd.output().expect("logmill runs");
    (
        out.stdout,
        out.status.code().expect("exit code"),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `job` through the library on `data` (one in-memory input) with the given thread count
/// and chunk size, and returns its output. Cheap: no process is started.
pub fn run_library(job: logmill::JobParams, data: &[u8], threads: usize, chunk: usize) -> Vec<u8> {
    let mut config = logmill::Config::new(
        job,
        vec![logmill::InputSpec::Bytes {
            name: "t".into(),
            data: data.to_vec(),
        }],
    );
    config.threads = threads;
    config.chunk_size = chunk;
    let mut out = Vec::new();
    logmill::run(config, &mut out).expect("the job runs");
    out
}

// ---------------------------------------------------------------------------------------------
// Running the binary and checking how it ended

/// Runs logmill with `args` on `stdin`, expecting success, and returns stdout.
pub fn run_ok(args: &[&str], stdin: &[u8]) -> Vec<u8> {
    let out = logmill().args(args).write_stdin(stdin).output().unwrap();
    assert!(
        out.status.success(),
        "logmill {args:?}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Waits for `child`, killing it and failing if it takes longer than `limit`.
pub fn wait_with_deadline(
    mut child: std::process::Child,
    limit: std::time::Duration,
) -> std::process::Output {
    let start = std::time::Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("logmill did not stop within {limit:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// Lines of generated log text, about 64 KiB.
pub fn log_block(seed: usize) -> Vec<u8> {
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

/// stderr is exactly one line.
pub fn one_line(stderr: &str) -> bool {
    stderr.ends_with('\n') && stderr.trim_end().lines().count() == 1
}

/// The run failed with exit 2 and one line on stderr containing `needle`.
#[track_caller]
pub fn refused(args: &[&str], stdin: Option<&[u8]>, needle: &str) -> String {
    let (out, code, err) = run_logmill(args, stdin);
    assert_eq!(code, 2, "{args:?}: {err}");
    assert!(out.is_empty(), "{args:?} printed {out:?}");
    assert!(one_line(&err), "{args:?}: not one line: {err:?}");
    assert!(err.contains(needle), "{args:?}: {err}");
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "{err}"
    );
    err
}

/// The names in `dir`, sorted.
pub fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// The logmill binary as a plain `std` command (for spawning, signalling, closing fds), without
/// `LOGMILL_THREADS` as in [`logmill`].
pub fn logmill_std() -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_logmill"));
    cmd.env_remove("LOGMILL_THREADS");
    cmd
}

/// Runs logmill with `args` and `--emit partial`, expecting success, and writes the partial to
/// `path`.
pub fn write_partial<S: AsRef<std::ffi::OsStr>>(path: &Path, args: &[S]) {
    let mut all: Vec<&std::ffi::OsStr> = args.iter().map(AsRef::as_ref).collect();
    all.extend([
        std::ffi::OsStr::new("--emit"),
        std::ffi::OsStr::new("partial"),
    ]);
    let (out, code, err) = run_logmill(&all, None);
    assert_eq!(code, 0, "{all:?}: {err}");
    std::fs::write(path, out).unwrap();
}
