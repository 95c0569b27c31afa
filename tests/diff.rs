//! `logmill diff OLD NEW` and `--diff` with `--state`: checked against Python on two overlapping
//! slices of the real access log, in every option and format, for partials made any way
//! (threads, chunks, shards merged) and for state files.

use crate::util::*;

/// The access log's lines `from..to` (as a fraction of its lines), written to `dir/name`.
fn slice(dir: &Dir, name: &str, from: f64, to: f64) -> String {
    let data = std::fs::read(testdata("apache_access.log")).unwrap();
    let lines: Vec<&[u8]> = data.split_inclusive(|&b| b == b'\n').collect();
    let n = lines.len() as f64;
    let part: Vec<u8> = lines[(n * from) as usize..(n * to) as usize].concat();
    dir.create(name, part).to_str().unwrap().to_string()
}

const JOB: [&str; 7] = [
    "fields", "--format", "combined", "--by", "path", "--by", "status",
];

fn partial(dir: &Dir, input: &str, name: &str, extra: &[&str]) -> String {
    let out = dir.path(name).to_str().unwrap().to_string();
    let mut a: Vec<&str> = JOB.to_vec();
    a.extend_from_slice(extra);
    a.extend(["--emit", "partial", "-o", &out, input]);
    let (_, code, err) = run_logmill(&a, None);
    assert_eq!(code, 0, "{err}");
    out
}

/// Python's diff rows (TSV, keys escaped as logmill's TSV escapes text) of `old` and `new`.
fn python_diff(old: &str, new: &str, opts: &str) -> Vec<u8> {
    sh(&format!(
        r#"python3 -c '
import re, sys, collections
rx = re.compile(rb"^(\S+) (\S+) (\S+) \[([^\]]*)\] \"([^\"]*)\" (\d{{3}}) (\S+) \"([^\"]*)\" \"([^\"]*)\"$")
def counts(path):
    c = collections.Counter()
    for line in open(path, "rb"):
        m = rx.match(line.rstrip(b"\n"))
        if not m: continue
        req = m.group(5).split(b" ")
        c[(req[1] if len(req) > 1 else b"", m.group(6))] += 1
    return c
def esc(b):
    return b.replace(b"\\", b"\\\\").replace(b"\t", b"\\t").replace(b"\n", b"\\n").replace(b"\r", b"\\r")
o, n = counts(sys.argv[1]), counts(sys.argv[2])
opts = dict(a.split("=") for a in sys.argv[3].split(",") if a)
rows = []
for k in set(o) | set(n):
    a, b = o.get(k), n.get(k)
    d = (b or 0) - (a or 0)
    ch = "new" if a is None else "gone" if b is None else "up" if b > a else "down" if b < a else "same"
    if ch == "same" and "unchanged" not in opts: continue
    if "min_delta" in opts and abs(d) < int(opts["min_delta"]): continue
    if "min_ratio" in opts and a is not None and b is not None and max(a, b) < min(a, b) * float(opts["min_ratio"]): continue
    rows.append((abs(d), k, a or 0, b or 0, d, ch))
rows.sort(key=lambda r: (-r[0], r[1]))
if "top" in opts: rows = rows[: int(opts["top"])]
out = sys.stdout.buffer
for _, (p, s), a, b, d, ch in rows:
    out.write(b"\t".join([esc(p), esc(s), str(a).encode(), str(b).encode(), str(d).encode(), ch.encode()]) + b"\n")
' {} {} '{opts}'"#,
        shell_quote(old),
        shell_quote(new),
    ))
}

fn diff(args: &[&str]) -> Vec<u8> {
    let mut a = vec!["diff"];
    a.extend_from_slice(args);
    let (out, code, err) = run_logmill(&a, None);
    assert_eq!(code, 0, "{a:?}: {err}");
    out
}

#[test]
fn diff_matches_python_in_every_option() {
    if !require_tools(&["python3"]) {
        return;
    }
    let dir = Dir::new("diff_python");
    let old_log = slice(&dir, "old.log", 0.0, 0.6);
    let new_log = slice(&dir, "new.log", 0.3, 1.0);
    let old = partial(&dir, &old_log, "old.p", &[]);
    let new = partial(&dir, &new_log, "new.p", &[]);
    for (flags, opts) in [
        (&[][..], ""),
        (&["--unchanged"][..], "unchanged=1"),
        (&["--min-delta", "3"][..], "min_delta=3"),
        (&["--min-ratio", "2.5"][..], "min_ratio=2.5"),
        (&["--top", "10"][..], "top=10"),
        (
            &["--min-delta", "2", "--min-ratio", "1.5", "--top", "7"][..],
            "min_delta=2,min_ratio=1.5,top=7",
        ),
    ] {
        let mut a: Vec<&str> = flags.to_vec();
        a.extend([old.as_str(), new.as_str()]);
        let want = python_diff(&old_log, &new_log, opts);
        assert!(!want.is_empty(), "{opts}");
        assert_bytes_eq!(diff(&a), want);
    }
    // The other way round: up and down, new and gone swap.
    assert_bytes_eq!(
        diff(&[new.as_str(), old.as_str()]),
        python_diff(&new_log, &old_log, "")
    );
}

#[test]
fn diff_is_the_same_for_partials_made_any_way_and_in_every_format() {
    let dir = Dir::new("diff_shapes");
    let old_log = slice(&dir, "old.log", 0.0, 0.5);
    let new_log = slice(&dir, "new.log", 0.2, 1.0);
    let old = partial(&dir, &old_log, "old.p", &[]);
    let new = partial(&dir, &new_log, "new.p", &[]);
    let want = diff(&[&old, &new]);
    let old2 = partial(&dir, &old_log, "old2.p", &["-j", "2", "--chunk-size", "4K"]);
    let mut shards = Vec::new();
    for i in 0..3 {
        let s = format!("{i}/3");
        shards.push(partial(
            &dir,
            &new_log,
            &format!("n{i}.p"),
            &["--shard", &s],
        ));
    }
    let merged = dir.path("new2.p").to_str().unwrap().to_string();
    let mut m = vec!["merge", "--emit", "partial", "-o", &merged];
    m.extend(shards.iter().map(String::as_str));
    assert_eq!(run_logmill(&m, None).1, 0);
    assert_bytes_eq!(diff(&[&old2, &merged]), want.clone());
    // Every format holds the same rows.
    let rows = parse_tsv_rows(&want);
    let csv = diff(&["--output-format", "csv", &old, &new]);
    assert_eq!(
        csv.split(|&b| b == b'\n').next().unwrap(),
        b"path,status,old,new,delta,change"
    );
    assert_eq!(csv.iter().filter(|&&b| b == b'\n').count(), rows.len() + 1);
    let jsonl = diff(&["--output-format", "jsonl", &old, &new]);
    let first = String::from_utf8_lossy(jsonl.split(|&b| b == b'\n').next().unwrap()).into_owned();
    let r = &rows[0];
    let s = |c: &[u8]| String::from_utf8_lossy(c).into_owned();
    assert_eq!(
        first,
        format!(
            "{{\"path\":\"{}\",\"status\":\"{}\",\"old\":{},\"new\":{},\"delta\":{},\"change\":\"{}\"}}",
            s(&r[0]),
            s(&r[1]),
            s(&r[2]),
            s(&r[3]),
            s(&r[4]),
            s(&r[5])
        )
    );
    let json = diff(&["--output-format", "json", &old, &new]);
    assert!(json.starts_with(b"[\n") && json.ends_with(b"]\n"));
    // --fail-if on the change column.
    let (_, code, err) = run_logmill(&["diff", "--fail-if", "change=new", &old, &new], None);
    assert_eq!(code, 5, "{err}");
    let (_, code, _) = run_logmill(&["diff", "--fail-if", "change=new", &old, &old], None);
    assert_eq!(code, 0);
}

#[test]
fn diff_refuses_files_of_other_jobs_or_parameters() {
    let dir = Dir::new("diff_refuses");
    let log = slice(&dir, "a.log", 0.0, 0.1);
    let a = partial(&dir, &log, "a.p", &[]);
    let other = dir.path("b.p").to_str().unwrap().to_string();
    let args = [
        "fields", "--format", "combined", "--by", "path", "--emit", "partial", "-o",
    ];
    let mut b = args.to_vec();
    b.extend([other.as_str(), log.as_str()]);
    assert_eq!(run_logmill(&b, None).1, 0);
    refused(&["diff", &a, &other], None, "by");
    let words = dir.path("w.p").to_str().unwrap().to_string();
    assert_eq!(
        run_logmill(&["words", "--emit", "partial", "-o", &words, &log], None).1,
        0
    );
    refused(&["diff", &a, &words], None, "words");
    refused(&["diff", &a, &log], None, &log);
    refused(&["diff", &a, &a, "--min-ratio", "0.5"], None, "--min-ratio");
}

#[test]
fn state_diff_shows_the_change_since_the_previous_run_and_state_files_diff() {
    let dir = Dir::new("state_diff");
    let whole = std::fs::read(testdata("apache_access.log")).unwrap();
    let cut = whole.len() / 2;
    let cut = cut + whole[cut..].iter().position(|&b| b == b'\n').unwrap() + 1;
    dir.create("access.log", &whole[..cut]);
    let run = |extra: &[&str]| {
        let mut a: Vec<&str> = JOB.to_vec();
        a.extend(["--state", "st"]);
        a.extend_from_slice(extra);
        a.push("access.log");
        let out = dir.command().args(&a).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    run(&[]);
    std::fs::copy(dir.path("st"), dir.path("st.before")).unwrap();
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.path("access.log"))
        .unwrap();
    std::io::Write::write_all(&mut f, &whole[cut..]).unwrap();
    drop(f);
    let got = run(&["--diff"]);
    // The same as diffing the two state files, and as diffing partials of the two halves.
    let st = diff(&[
        dir.path("st.before").to_str().unwrap(),
        dir.path("st").to_str().unwrap(),
    ]);
    assert_bytes_eq!(got.clone(), st);
    let first = partial(
        &dir,
        &slice_bytes(&dir, "first.log", &whole[..cut]),
        "f.p",
        &[],
    );
    let all = partial(
        &dir,
        testdata("apache_access.log").to_str().unwrap(),
        "all.p",
        &[],
    );
    assert_bytes_eq!(got.clone(), diff(&[&first, &all]));
    assert!(got.windows(3).any(|w| w == b"\tup"));
}

fn slice_bytes(dir: &Dir, name: &str, data: &[u8]) -> String {
    dir.create(name, data).to_str().unwrap().to_string()
}

/// A diff of partials too big for `--memory` spills its table as a merge does (a temp dir that
/// cannot be written fails it; a good one gives the in-memory bytes), with `--top`,
/// `--min-delta` and the other aggregate columns.
#[test]
fn diff_of_partials_spills_under_memory_with_the_same_bytes() {
    let dir = Dir::new("diff_spills_under_memory");
    let temp = dir.create_dir("tmp").to_string_lossy().into_owned();
    let jobs: [(&str, &[&str]); 2] = [
        ("kjv.txt", &["words"]),
        (
            "apache_access.log",
            &["match", r#"" (\d{3}) (\d+)"#, "--sum", "2"],
        ),
    ];
    for (file, job) in jobs {
        let data = std::fs::read(testdata(file)).unwrap();
        let third = data.len() / 3;
        let cut = |at: usize| at + data[at..].iter().position(|&b| b == b'\n').unwrap() + 1;
        let (a, b) = (cut(third), cut(2 * third));
        let old = dir.create("old.txt", &data[..b]);
        let new = dir.create("new.txt", &data[a..]);
        let partial = |input: &std::path::Path, name: &str| {
            let mut args: Vec<String> = job.iter().map(|s| s.to_string()).collect();
            args.extend(["--emit".into(), "partial".into()]);
            args.push(input.to_string_lossy().into_owned());
            let (out, code, err) = run_logmill(&args, None);
            assert_eq!(code, 0, "{err}");
            dir.create(name, out).to_string_lossy().into_owned()
        };
        let po = partial(&old, "old.p");
        let pn = partial(&new, "new.p");
        let options: [&[&str]; 3] = [
            &[],
            &["--top", "7", "--min-delta", "3"],
            &["--unchanged", "--output-format", "jsonl"],
        ];
        for extra in options {
            let mut args = vec!["diff", po.as_str(), pn.as_str()];
            args.extend(extra);
            let (mem, code, err) = run_logmill(&args, None);
            assert_eq!(code, 0, "{err}");
            assert!(!mem.is_empty(), "{job:?} {extra:?}");
            args.extend(["--memory", "1", "--temp-dir", &temp]);
            let (spilled, code, err) = run_logmill(&args, None);
            assert_eq!(code, 0, "{err}");
            assert_bytes_eq!(spilled, mem, "{job:?} {extra:?}");
        }
        let nowhere = dir.path("no/such/dir").to_string_lossy().into_owned();
        let (_, code, err) = run_logmill(
            &["diff", &po, &pn, "--memory", "1", "--temp-dir", &nowhere],
            None,
        );
        assert_eq!(code, 2, "{job:?}: the table did not spill: {err}");
    }
}
