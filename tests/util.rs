//! Helpers shared by every integration test module: running the binary, running peer tools
//! through a shell, reading `testdata/`, and comparing count tables.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// The logmill binary under test.
pub fn logmill() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("logmill").expect("logmill binary is built")
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

/// Whether a differential test may run: true when every tool exists. Locally a missing tool
/// skips the test with a message; in CI it fails the test, because a skipped differential test
/// proves nothing.
pub fn require_tools(names: &[&str]) -> bool {
    let missing: Vec<&str> = names.iter().copied().filter(|n| !cmd_exists(n)).collect();
    if missing.is_empty() {
        return true;
    }
    assert!(!in_ci(), "CI must install peer tools, missing: {missing:?}");
    eprintln!("skipped: peer tools not installed: {missing:?}");
    false
}

/// Runs `script` with bash (`set -o pipefail`, `LC_ALL=C`) and returns its stdout. Panics with
/// stderr when it fails.
pub fn sh(script: &str) -> Vec<u8> {
    let out = Command::new("bash")
        .args(["-c", &format!("set -o pipefail; {script}")])
        .env("LC_ALL", "C")
        .output()
        .expect("bash runs");
    assert!(
        out.status.success(),
        "script failed ({}): {script}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
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

/// Quotes `s` for bash (single quotes).
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}
