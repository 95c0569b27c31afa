//! Multi-line records (`--records`, `--record-start`): counts on logs written by real programs
//! (testdata/records) against an independent parser in Python; byte-identical output for any
//! `-j`, `--chunk-size`, stdin, gzip, shards and merged partials; and the edge cases (no start,
//! every line a start, CRLF, records longer than a chunk, `--max-line` on stdin, `--state`).

use std::collections::BTreeMap;
use std::process::Output;

use crate::util::{logmill, require_tools, sh, shell_quote, testdata, Dir};

/// The independent parser: the documented continuation rules of each preset, written in
/// Python from the README text (not from the Rust code). Prints one JSON object: the records
/// (each as text) of the file in argv[2] under preset argv[1].
pub(crate) const PY_PARSER: &str = r#"
import json, re, sys
preset, path = sys.argv[1], sys.argv[2]
data = open(path, 'rb').read().decode('utf-8', 'surrogateescape')
lines = data.split('\n')
if lines and lines[-1] == '':
    lines.pop()
JAVA_HEADER = re.compile(r'[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*\.[\w$]*(?:Exception|Error|Throwable)(?::|$)')
PY_EXC = re.compile(r'[A-Za-z_][\w.]*(?:: |:$|$)')
def continues(prev, line):
    line = line[:-1] if line.endswith('\r') else line
    prev = prev[:-1] if prev.endswith('\r') else prev
    indented = line[:1] in (' ', '\t')
    if preset == 'indented':
        return indented
    if preset == 'java':
        return (line == '' or indented or line.startswith('Caused by:')
                or line.startswith('Suppressed:') or line.startswith('Exception in thread "')
                or re.match(r'\.\.\. \d+ more', line) is not None
                or JAVA_HEADER.match(line) is not None)
    if preset == 'python':
        return (line == '' or indented
                or line.startswith('Traceback (most recent call last):')
                or line.startswith('During handling of the above exception')
                or line.startswith('The above exception was the direct cause')
                or (prev[:1] in (' ', '\t') and PY_EXC.match(line) is not None))
    raise SystemExit('unknown preset')
records = []
for i, line in enumerate(lines):
    if i > 0 and continues(lines[i - 1], line):
        records[-1].append(line)
    else:
        records.append([line])
print(json.dumps(['\n'.join(r) for r in records]))
"#;

/// The records of `path` under `preset`, as the Python parser splits them.
pub(crate) fn py_records(dir: &Dir, preset: &str, path: &std::path::Path) -> Vec<String> {
    let script = dir.create("parser.py", PY_PARSER);
    let out = sh(&format!(
        "python3 {} {preset} {}",
        shell_quote(&script),
        shell_quote(path)
    ));
    serde_json::from_slice(&out).expect("the parser prints JSON")
}

fn run(args: &[&str]) -> Output {
    logmill().args(args).output().unwrap()
}

fn ok(args: &[&str]) -> Vec<u8> {
    let out = run(args);
    assert!(
        out.status.success() || out.status.code() == Some(1),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn ok_stdin(args: &[&str], input: &[u8]) -> Vec<u8> {
    let out = logmill().args(args).write_stdin(input).output().unwrap();
    assert!(
        out.status.success() || out.status.code() == Some(1),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// `KEY<TAB>COUNT` rows as a map.
fn table(tsv: &[u8]) -> BTreeMap<String, u64> {
    String::from_utf8_lossy(tsv)
        .lines()
        .map(|l| {
            let (k, v) = l.rsplit_once('\t').expect("a tab");
            (k.to_string(), v.parse().expect("a count"))
        })
        .collect()
}

/// Counts of each capture of `re` over every record (all matches), in Python.
fn py_captures(dir: &Dir, records: &[String], re: &str) -> BTreeMap<String, u64> {
    let recs = dir.create("records.json", serde_json::to_vec(records).unwrap());
    let script = dir.create(
        "caps.py",
        format!(
            "import json, re, sys, collections\n\
             c = collections.Counter()\n\
             for r in json.load(open(sys.argv[1])):\n    c.update(re.findall({re:?}, r, re.M))\n\
             print(json.dumps(c))\n"
        ),
    );
    let out = sh(&format!(
        "python3 {} {}",
        shell_quote(&script),
        shell_quote(&recs)
    ));
    serde_json::from_slice(&out).unwrap()
}

fn total(tsv: &[u8]) -> u64 {
    String::from_utf8_lossy(tsv)
        .trim()
        .parse()
        .expect("a count")
}

#[test]
fn java_log_records_and_exceptions_match_an_independent_parser() {
    if !require_tools(&["python3"]) {
        return;
    }
    let dir = Dir::new("java_log_records");
    let log = testdata("records/java-app.log");
    let path = log.to_str().unwrap();
    let records = py_records(&dir, "java", &log);
    assert!(
        records.len() > 40 && records.len() < 100,
        "{}",
        records.len()
    );
    for chunk in ["1", "100", "1M"] {
        let all = ok(&["grep", "--records", "java", "--chunk-size", chunk, "", path]);
        assert_eq!(total(&all), records.len() as u64, "chunk {chunk}");
    }
    let severe = records.iter().filter(|r| r.contains("SEVERE")).count() as u64;
    let got = ok(&[
        "grep",
        "-j",
        "3",
        "--chunk-size",
        "64",
        "--records",
        "java",
        "SEVERE",
        path,
    ]);
    assert_eq!(total(&got), severe);
    // Exception classes, causes included: the README's example.
    let re = r"^(?:Caused by: )?([\w.$]+(?:Exception|Error))";
    let ours = ok(&[
        "match",
        "--records",
        "java",
        &format!("(?m){re}"),
        "--all",
        "--chunk-size",
        "97",
        path,
    ]);
    let theirs = py_captures(&dir, &records, re);
    assert!(theirs.len() >= 4, "{theirs:?}");
    assert_eq!(table(&ours), theirs);
    // By exception class and first frame.
    let ours = table(&ok(&[
        "match",
        "--records",
        "java",
        r"([\w.]+Exception)[^\n]*\n\s+at ([^\s(]+)",
        path,
    ]));
    assert!(
        ours.contains_key("java.lang.IllegalStateException\tLogDemo.place"),
        "{ours:?}"
    );
    // lines: identical records; their counts add up to the records.
    let lines = table(&ok(&["lines", "--records", "java", path]));
    assert_eq!(lines.values().sum::<u64>(), records.len() as u64);
}

#[test]
fn python_log_records_and_exceptions_match_an_independent_parser() {
    if !require_tools(&["python3"]) {
        return;
    }
    let dir = Dir::new("python_log_records");
    let log = testdata("records/python-app.log");
    let path = log.to_str().unwrap();
    let records = py_records(&dir, "python", &log);
    assert!(records.len() > 40, "{}", records.len());
    for (j, chunk) in [("1", "1"), ("2", "33"), ("3", "1M")] {
        let all = ok(&[
            "grep",
            "-j",
            j,
            "--records",
            "python",
            "--chunk-size",
            chunk,
            "",
            path,
        ]);
        assert_eq!(total(&all), records.len() as u64, "chunk {chunk}");
    }
    let re = r"^([A-Za-z_][\w.]*(?:Error|Exception)):";
    let ours = table(&ok(&[
        "match",
        "--records",
        "python",
        &format!("(?m){re}"),
        "--all",
        path,
    ]));
    let theirs = py_captures(&dir, &records, re);
    assert!(theirs.contains_key("KeyError") && theirs.contains_key("RuntimeError"));
    assert_eq!(ours, theirs);
    let tracebacks = records.iter().filter(|r| r.contains("Traceback")).count() as u64;
    let got = ok(&["grep", "--records", "python", "Traceback", path]);
    assert_eq!(total(&got), tracebacks);
}

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A random log of records: event lines, some followed by stack traces and blank lines.
fn random_log(seed: u64) -> Vec<u8> {
    let mut r = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut out = String::new();
    if r.below(3) == 0 {
        out.push_str("\tat orphan.Frame(before the first start)\n");
    }
    for i in 0..r.below(60) + 20 {
        let level = ["INFO", "WARN", "SEVERE"][r.below(3) as usize];
        out.push_str(&format!(
            "2024-01-01 00:00:{:02} {level} event {}\n",
            i % 60,
            r.below(9)
        ));
        if r.below(3) == 0 {
            let ex =
                ["java.lang.IllegalStateException", "java.io.IOException"][r.below(2) as usize];
            out.push_str(&format!("{ex}: boom {}\n", r.below(4)));
            for f in 0..r.below(6) {
                out.push_str(&format!("\tat com.x.C{f}.m(C.java:{})\n", r.below(99)));
            }
            if r.below(2) == 0 {
                out.push_str("Caused by: java.lang.NullPointerException\n\t... 3 more\n");
            }
            if r.below(4) == 0 {
                out.push('\n');
            }
        }
    }
    if r.below(2) == 0 {
        out.pop(); // no final newline
    }
    out.into_bytes()
}

#[test]
fn output_is_identical_for_any_split_of_random_logs() {
    let dir = Dir::new("records_any_split");
    let jobs: [&[&str]; 4] = [
        &["grep", "--records", "java", "SEVERE"],
        &[
            "match",
            "--records",
            "java",
            r"(\w+Exception)[^\n]*\n\s+at ([^\s(]+)",
        ],
        &["lines", "--record-start", r"^\d{4}-"],
        &["fields", "--records", "java", "--by", "3", "--count"],
    ];
    for seed in 1..=3u64 {
        let data = random_log(seed);
        let file = dir.create(format!("log{seed}.log"), &data);
        let gz = {
            use std::io::Write;
            let mut w = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            w.write_all(&data).unwrap();
            dir.create(format!("log{seed}.log.gz"), w.finish().unwrap())
        };
        let (f, g) = (file.to_str().unwrap(), gz.to_str().unwrap());
        for job in jobs {
            let with = |extra: &[&str], input: &str| -> Vec<u8> {
                let mut a: Vec<&str> = job.to_vec();
                a.extend_from_slice(extra);
                a.push(input);
                ok(&a)
            };
            let want = with(&["-j", "1"], f);
            assert!(!want.is_empty(), "{job:?}");
            for j in ["1", "3"] {
                for size in ["1", "2", "17", "300", "1M"] {
                    let extra = ["-j", j, "--chunk-size", size];
                    assert_eq!(
                        with(&extra, f),
                        want,
                        "seed {seed} {job:?} -j {j} size {size}"
                    );
                    assert_eq!(with(&extra, g), want, "gzip seed {seed} {job:?} {size}");
                    let mut a: Vec<&str> = job.to_vec();
                    a.extend_from_slice(&extra);
                    assert_eq!(
                        ok_stdin(&a, &data),
                        want,
                        "stdin seed {seed} {job:?} {size}"
                    );
                }
            }
            // Shards, each a partial, merged.
            for n in [2u32, 5] {
                let mut parts = Vec::new();
                for i in 0..n {
                    let p = dir.path(format!("s{seed}-{i}of{n}.partial"));
                    let shard = format!("{i}/{n}");
                    let mut a = vec!["--shard", &shard, "--emit", "partial"];
                    a.extend_from_slice(job);
                    a.extend(["--chunk-size", "7", "-o", p.to_str().unwrap(), f]);
                    ok(&a);
                    parts.push(p.to_str().unwrap().to_string());
                }
                let mut a = vec!["merge"];
                a.extend(parts.iter().map(String::as_str));
                assert_eq!(ok(&a), want, "seed {seed} {job:?} {n} shards");
            }
        }
    }
}

#[test]
fn edge_cases_no_start_every_line_crlf_and_long_records() {
    let log = b"a 1\n  x\nb 2\nc 3\n\tat y\n\tat z\n";
    // No line matches the start: the whole input is one record.
    let got = ok_stdin(&["grep", "--record-start", "^NEVER", "-c", ""], log);
    assert_eq!(total(&got), 1);
    let got = ok_stdin(&["lines", "--record-start", "^NEVER"], log);
    assert_eq!(got, b"a 1\\n  x\\nb 2\\nc 3\\n\\tat y\\n\\tat z\t1\n");
    // A start that matches every line is line mode.
    // (lines compared on text without tabs: a record key is written escaped.)
    let untabbed = String::from_utf8_lossy(log).replace('\t', "    ");
    for job in [&["lines"][..], &["grep", "a|x"], &["match", r"(\w) (\d)"]] {
        let plain = ok_stdin(job, untabbed.as_bytes());
        let mut a = job.to_vec();
        a.extend(["--record-start", "", "--chunk-size", "3"]);
        assert_eq!(ok_stdin(&a, untabbed.as_bytes()), plain, "{job:?}");
    }
    // CRLF: the same records and the same keys as LF.
    let crlf: Vec<u8> = String::from_utf8_lossy(log)
        .replace('\n', "\r\n")
        .into_bytes();
    let lf = ok_stdin(&["lines", "--records", "indented"], log);
    assert_eq!(ok_stdin(&["lines", "--records", "indented"], &crlf), lf);
    assert_eq!(
        ok_stdin(
            &[
                "grep",
                "--records",
                "indented",
                "--chunk-size",
                "1",
                r"^\tat z"
            ],
            &crlf
        ),
        b"1\n"
    );
    // A record far larger than the chunk size stays whole, in files and on stdin.
    let mut big = b"start\n".to_vec();
    for i in 0..3000 {
        big.extend_from_slice(format!("  frame {i}\n").as_bytes());
    }
    big.extend_from_slice(b"next\n");
    for size in ["1", "16", "4096"] {
        let got = ok_stdin(
            &[
                "grep",
                "--records",
                "indented",
                "--chunk-size",
                size,
                "-c",
                "",
            ],
            &big,
        );
        assert_eq!(total(&got), 2, "size {size}");
        let got = ok_stdin(
            &[
                "grep",
                "--records",
                "indented",
                "--chunk-size",
                size,
                r"^start\n(?:  frame \d+\n){2999}  frame 2999$",
            ],
            &big,
        );
        assert_eq!(total(&got), 1, "size {size}");
    }
}

#[test]
fn a_100_mb_record_on_stdin_is_held_to_max_line() {
    let mut data = Vec::with_capacity(101 << 20);
    data.extend_from_slice(b"start\n");
    let frame = b"\tat com.example.Frame.method(Frame.java:1234) and some padding text....\n";
    while data.len() < 100 << 20 {
        data.extend_from_slice(frame);
    }
    data.extend_from_slice(b"next\n");
    let out = logmill()
        .args([
            "grep",
            "--records",
            "java",
            "--max-line",
            "64M",
            "-c",
            "next",
        ])
        .write_stdin(data)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--max-line"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    // Within the limit, a long record is read whole.
    let mut small = b"start\n".to_vec();
    for _ in 0..20_000 {
        small.extend_from_slice(frame);
    }
    small.extend_from_slice(b"next\n");
    let got = ok_stdin(
        &[
            "grep",
            "--records",
            "java",
            "--max-line",
            "2M",
            "--chunk-size",
            "4096",
            "",
        ],
        &small,
    );
    assert_eq!(total(&got), 2);
    let out = logmill()
        .args(["grep", "--records", "java", "--max-line", "1M", ""])
        .write_stdin(small)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn state_reads_a_files_last_record_once_it_has_ended() {
    let dir = Dir::new("records_state");
    let log = dir.create("app.log", "2024 a\n at 1\n2024 b\n at 2\n");
    let state = dir.path("s.state");
    let (l, s) = (log.to_str().unwrap(), state.to_str().unwrap());
    let args = [
        "lines",
        "--records",
        "indented",
        "--state",
        s,
        "--since-last",
        l,
    ];
    assert_eq!(ok(&args), b"2024 a\\n at 1\t1\n");
    // The last record grows: still not read.
    std::fs::write(&log, "2024 a\n at 1\n2024 b\n at 2\n at 3\n").unwrap();
    assert_eq!(ok(&args), b"");
    // A later start shows that it ended.
    std::fs::write(&log, "2024 a\n at 1\n2024 b\n at 2\n at 3\n2024 c\n").unwrap();
    assert_eq!(ok(&args), b"2024 b\\n at 2\\n at 3\t1\n");
    let total = ["lines", "--records", "indented", "--state", s, l];
    assert_eq!(
        ok(&total),
        b"2024 a\\n at 1\t1\n2024 b\\n at 2\\n at 3\t1\n"
    );
}

#[test]
fn rejects_list_a_record_at_its_first_line_with_line_ends_escaped() {
    let dir = Dir::new("records_rejects");
    let log = dir.create("app.log", "x 1\n  at a\r\ny oops\n  at b\\c\nz 2\n");
    let rej = dir.path("rej.txt");
    let (l, r) = (log.to_str().unwrap(), rej.to_str().unwrap());
    let out = run(&[
        "fields",
        "--records",
        "indented",
        "--by",
        "1",
        "--sum",
        "2",
        "--rejects",
        r,
        l,
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, b"x\t1\nz\t2\n");
    assert_eq!(
        std::fs::read(&rej).unwrap(),
        format!("{l}:3:y oops\\n  at b\\\\c\n").into_bytes()
    );
    let out = run(&[
        "match",
        "--records",
        "indented",
        "--rejects",
        r,
        "--sum",
        "1",
        r"(?m)^\w (\S+)",
        l,
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        std::fs::read(&rej).unwrap(),
        format!("{l}:3:y oops\\n  at b\\\\c\n").into_bytes()
    );
}

#[test]
fn bad_record_flags_are_one_line_errors() {
    for args in [
        &["fields", "--format", "csv", "--records", "java", "-"][..],
        &["fields", "--format", "jsonl", "--record-start", "^x", "-"],
        &["grep", "--record-start", "(", "x", "-"],
        &["lines", "--records", "cobol", "-"],
        &[
            "grep",
            "--records",
            "java",
            "--record-start",
            "^x",
            "x",
            "-",
        ],
    ] {
        let out = logmill().args(args).write_stdin("a\n").output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!out.stderr.is_empty());
    }
    // words counts the same with or without records.
    let text = "a b\n  c a\n";
    assert_eq!(
        ok_stdin(&["words", "--records", "indented"], text.as_bytes()),
        ok_stdin(&["words"], text.as_bytes())
    );
}

#[test]
fn spark_streaming_mode_refuses_records() {
    if !require_tools(&["python3"]) {
        return;
    }
    let driver =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/spark/logmill_spark.py");
    let bin = assert_cmd::cargo::cargo_bin("logmill");
    let out = std::process::Command::new("python3")
        .arg(&driver)
        .args(["--mode", "streaming", "--logmill"])
        .arg(&bin)
        .args(["--", "grep", "--records", "java", "x", "--", "/dev/null"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--mode exact"), "{err}");
}
