//! `match` on its one-pass capture path (patterns anchored at line starts, or starting with a
//! literal) counts what Python's `re` finds line by line, for any -j and chunk size, with
//! and without `--all`.

use crate::util::{logmill, require_tools, sh, shell_quote, Dir};

/// An access-log-like text: addresses, quoted requests, statuses, and lines made to fail
/// after the literal (`" x`), to match empty, or to be blank; the last line has no newline.
fn log_text(lines: usize) -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move |n: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % n
    };
    let mut out = Vec::new();
    for i in 0..lines {
        let line = match next(6) {
            0 => String::new(),
            1 => format!(" lead \" x \" {} ", next(1000)),
            2 => format!("user=u{} \" 20 \" a{}", next(7), next(3)),
            _ => format!(
                "10.0.{}.{} - - [x] \"GET /{} HTTP/1.1\" {} {} \"-\" \"ua {}\"",
                next(4),
                next(300),
                next(9),
                [200, 304, 404, 500][next(4) as usize],
                next(5000),
                next(3)
            ),
        };
        out.extend_from_slice(line.as_bytes());
        if i + 1 < lines {
            out.push(b'\n');
        }
    }
    out
}

/// `key\tcount` by key, as Python's `re` finds the first (or every) non-empty match of each
/// line, keyed by its groups joined with TAB (the whole match without groups).
fn python_counts(path: &std::path::Path, pattern: &str, all: bool) -> Vec<u8> {
    let script = r#"
import re, sys
pat = re.compile(sys.argv[2].encode())
every = sys.argv[3] == "all"
counts = {}
data = open(sys.argv[1], 'rb').read()
lines = data.split(b'\n')
if data.endswith(b'\n'):
    lines.pop()
for line in lines:
    for m in pat.finditer(line):
        if m.end() == m.start():
            continue
        key = b'\t'.join(g or b'' for g in m.groups()) if pat.groups else m.group(0)
        counts[key] = counts.get(key, 0) + 1
        if not every:
            break
out = sys.stdout.buffer
for k in sorted(counts):
    out.write(k + b'\t' + str(counts[k]).encode() + b'\n')
"#;
    sh(&format!(
        "python3 -c {} {} {} {}",
        shell_quote(script),
        shell_quote(path),
        shell_quote(pattern),
        if all { "all" } else { "first" }
    ))
}

#[test]
fn one_pass_patterns_count_as_python_re() {
    if !require_tools(&["python3"]) {
        return;
    }
    let dir = Dir::new("one_pass_patterns_count_as_python_re");
    let file = dir.create("access.log", log_text(3000));
    let f = file.to_str().expect("utf-8 path");
    for pattern in [
        r#"" (\d{3}) "#,
        r"^(\S+)",
        r"^(\S*)",
        r"user=(\w+)",
        r#"" (\d+) (\d+)"#,
        r#"HTTP/1\.(\d)" (?:2|3)"#,
    ] {
        for all in [false, true] {
            let want = python_counts(&file, pattern, all);
            for (j, chunk) in [("1", "1M"), ("2", "200"), ("2", "4K")] {
                let mut args = vec![
                    "match",
                    pattern,
                    "--sort",
                    "key",
                    "-j",
                    j,
                    "--chunk-size",
                    chunk,
                    f,
                ];
                if all {
                    args.push("--all");
                }
                let out = logmill().args(&args).output().expect("runs");
                assert!(out.status.success(), "{args:?}");
                assert_bytes_eq!(out.stdout, want, "{args:?}");
            }
        }
    }
}
