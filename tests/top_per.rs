//! `--top-per N`: the N rows of highest count within each value of the first key column,
//! each group's rows together, groups in the order of their first row; checked against Python
//! on the real access log, and byte-identical across threads, chunk sizes, shards, merged
//! partials and spill.

use crate::util::*;

/// Python's answer for `fields --format combined --by path --by status --top-per N` on the
/// access log, with its own parser: `key` order when `by_key`, else count order.
fn python_top_per(n: usize, by_key: bool) -> Vec<u8> {
    let script = format!(
        r#"python3 -c '
import re, sys, collections
rx = re.compile(rb"^(\S+) (\S+) (\S+) \[([^\]]*)\] \"([^\"]*)\" (\d{{3}}) (\S+) \"([^\"]*)\" \"([^\"]*)\"$")
c = collections.Counter()
for line in open(sys.argv[1], "rb"):
    m = rx.match(line.rstrip(b"\n"))
    if not m: continue
    req = m.group(5).split(b" ")
    c[(req[1] if len(req) > 1 else b"", m.group(6))] += 1
n, by_key = {n}, {by_key}
groups = collections.defaultdict(list)
for (path, status), k in sorted(c.items(), key=lambda kv: (-kv[1], kv[0])):
    if len(groups[path]) < n: groups[path].append(((path, status), k))
order = (lambda r: r[0]) if by_key else (lambda r: (-r[1], r[0]))
rows = [r for g in groups.values() for r in g]
rows.sort(key=order)
first = {{}}
for r in rows: first.setdefault(r[0][0], len(first))
rows.sort(key=lambda r: first[r[0][0]])
out = sys.stdout.buffer
for (path, status), k in rows: out.write(path + b"\t" + status + b"\t" + str(k).encode() + b"\n")
' {}"#,
        shell_quote(testdata("apache_access.log")),
        by_key = if by_key { "True" } else { "False" },
    );
    sh(&script)
}

fn fields_args(n: &str) -> Vec<String> {
    [
        "fields",
        "--format",
        "combined",
        "--by",
        "path",
        "--by",
        "status",
        "--top-per",
        n,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn run_ok_args(args: &[String]) -> Vec<u8> {
    let (out, code, err) = run_logmill(args, None);
    assert_eq!(code, 0, "{args:?}: {err}");
    out
}

#[test]
fn top_per_matches_python_on_the_access_log() {
    if !require_tools(&["python3"]) {
        return;
    }
    let log = testdata("apache_access.log").to_str().unwrap().to_string();
    for n in ["1", "3"] {
        let want = python_top_per(n.parse().unwrap(), false);
        assert!(want.len() > 100);
        let mut args = fields_args(n);
        args.push(log.clone());
        assert_bytes_eq!(run_ok_args(&args), want.clone());
        let mut key = args.clone();
        key.extend(["--sort".into(), "key".into()]);
        assert_bytes_eq!(run_ok_args(&key), python_top_per(n.parse().unwrap(), true));
        // --top cuts the grouped rows.
        let mut top = args.clone();
        top.extend(["--top".into(), "5".into()]);
        let first5: Vec<u8> = want
            .split_inclusive(|&b| b == b'\n')
            .take(5)
            .flatten()
            .copied()
            .collect();
        assert_bytes_eq!(run_ok_args(&top), first5);
    }
}

#[test]
fn top_per_is_the_same_for_threads_chunks_shards_partials_and_merge() {
    let log = testdata("apache_access.log").to_str().unwrap().to_string();
    let dir = Dir::new("top_per_shapes");
    let mut base = fields_args("3");
    base.push(log.clone());
    let want = run_ok_args(&base);
    for extra in [
        &["-j", "1"][..],
        &["-j", "2", "--chunk-size", "4K"],
        &["-j", "2", "--chunk-size", "64K"],
    ] {
        let mut a = base.clone();
        a.extend(extra.iter().map(|s| s.to_string()));
        assert_bytes_eq!(run_ok_args(&a), want.clone());
    }
    // Shards as partials, merged with --top-per at the end.
    let mut parts = Vec::new();
    for i in 0..3 {
        let p = dir.path(format!("s{i}.partial"));
        let mut a: Vec<String> = fields_args("3")[..7].to_vec();
        a.extend([
            "--shard".into(),
            format!("{i}/3"),
            "--emit".into(),
            "partial".into(),
            "-o".into(),
            p.to_str().unwrap().into(),
            log.clone(),
        ]);
        run_ok_args(&a);
        parts.push(p.to_str().unwrap().to_string());
    }
    let mut merge: Vec<String> = vec!["merge".into(), "--top-per".into(), "3".into()];
    merge.extend(parts.iter().cloned());
    assert_bytes_eq!(run_ok_args(&merge), want.clone());
    // Merged with a memory bound small enough to spill.
    let mut spilled = merge.clone();
    spilled.extend(["--memory".into(), "1M".into()]);
    assert_bytes_eq!(run_ok_args(&spilled), want);
}

/// Lines `g<i % groups> k<i % keys>` with counts that differ per key.
fn many_keys(lines: usize, groups: usize, keys: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..lines {
        let k = (i * 7919) % keys;
        let reps = 1 + k % 3;
        for _ in 0..reps {
            out.extend_from_slice(format!("g{} k{}\n", k % groups, k).as_bytes());
        }
    }
    out
}

#[test]
fn spilled_top_per_streams_the_in_memory_answer() {
    let dir = Dir::new("top_per_spill");
    let data = many_keys(150_000, 97, 150_000);
    let input = dir.create("many.log", &data);
    let inp = input.to_str().unwrap();
    let temp = dir.create_dir("tmp");
    let t = temp.to_str().unwrap();
    for order in ["count", "key"] {
        let base = [
            "fields",
            "--by",
            "1",
            "--by",
            "2",
            "--top-per",
            "4",
            "--sort",
            order,
        ];
        let run = |extra: &[&str]| {
            let mut a: Vec<&str> = base.to_vec();
            a.extend_from_slice(extra);
            a.push(inp);
            let (out, code, err) = run_logmill(&a, None);
            assert_eq!(code, 0, "{a:?}: {err}");
            out
        };
        let want = run(&["--memory", "4G"]);
        assert_eq!(want.iter().filter(|&&b| b == b'\n').count(), 97 * 4);
        let got = run(&["--memory", "1M", "--temp-dir", t, "-j", "2"]);
        assert_bytes_eq!(got, want.clone());
        let got = run(&[
            "--memory",
            "1M",
            "--temp-dir",
            t,
            "-j",
            "1",
            "--chunk-size",
            "64K",
        ]);
        assert_bytes_eq!(got, want);
    }
}

#[test]
fn match_with_two_groups_gives_the_fields_rows() {
    let log = testdata("apache_access.log").to_str().unwrap().to_string();
    let mut f = fields_args("2");
    f.push(log.clone());
    let fields = run_ok_args(&f);
    let m: Vec<String> = [
        "match",
        r#"^\S+ \S+ \S+ \[[^\]]*\] "\S+ (\S+) \S+" (\d{3}) "#,
        "--top-per",
        "2",
        &log,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let matched = run_ok_args(&m);
    // The same rows where the request has three parts (almost every line).
    let f_rows = parse_tsv_rows(&fields);
    let m_rows = parse_tsv_rows(&matched);
    assert!(m_rows.len() > 100 && m_rows.len() <= f_rows.len() + 5);
    let common = m_rows.iter().filter(|r| f_rows.contains(r)).count();
    assert!(
        common * 10 >= m_rows.len() * 9,
        "{common} of {}",
        m_rows.len()
    );
}

#[test]
fn top_per_needs_two_key_columns_and_final_output() {
    refused(
        &["words", "--top-per", "2"],
        Some(b"a\n"),
        "two or more key columns",
    );
    refused(
        &["fields", "--by", "1", "--top-per", "2"],
        Some(b"a b\n"),
        "two or more key columns",
    );
    refused(
        &[
            "fields",
            "--by",
            "1",
            "--by",
            "2",
            "--top-per",
            "2",
            "--emit",
            "partial",
        ],
        Some(b"a b\n"),
        "final results",
    );
    let out = run_ok(
        &["fields", "--by", "1", "--by", "2", "--top-per", "0"],
        b"a b\n",
    );
    assert!(out.is_empty());
}
