//! The exit policy for cron: `--keep-going` partial success (3), `--max-rejects` (4),
//! `--fail-if` (5), the most severe code winning, and what is written for each (`-o`, `--state`).

use crate::util::*;

/// Runs logmill in `dir` and returns stdout, the exit code and stderr.
fn run_in(dir: &Dir, args: &[&str]) -> (Vec<u8>, i32, String) {
    let out = dir.command().args(args).output().expect("logmill runs");
    (
        out.stdout,
        out.status.code().expect("exit code"),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn access_log() -> String {
    testdata("apache_access.log").to_str().unwrap().to_string()
}

/// Bad records (not in combined format) and good ones of the access log, counted by Python
/// with its own parser.
fn bad_and_good() -> (u64, u64) {
    let out = sh(&format!(
        r#"python3 -c '
import re, sys
rx = re.compile(rb"^(\S+) (\S+) (\S+) \[([^\]]*)\] \"([^\"]*)\" (\d{{3}}) (\S+) \"([^\"]*)\" \"([^\"]*)\"$")
bad = good = 0
for line in open(sys.argv[1], "rb"):
    if rx.match(line.rstrip(b"\n")): good += 1
    else: bad += 1
print(bad, good)' {}"#,
        shell_quote(access_log())
    ));
    let text = String::from_utf8(out).unwrap();
    let mut it = text.split_whitespace().map(|n| n.parse::<u64>().unwrap());
    (it.next().unwrap(), it.next().unwrap())
}

#[test]
fn keep_going_exits_3_with_results_and_2_without_any() {
    let dir = Dir::new("keep_going_exits_3");
    dir.create("good.log", "a b a\n");
    dir.create("out.tsv", "previous\n");
    let (out, code, err) = run_in(
        &dir,
        &[
            "words",
            "--keep-going",
            "-o",
            "out.tsv",
            "missing.log",
            "good.log",
        ],
    );
    assert_eq!(code, 3, "{err}");
    assert!(out.is_empty());
    assert_eq!(dir.read("out.tsv"), b"a\t2\nb\t1\n", "-o is written for 3");
    assert!(err.contains("missing.log") && one_line(&err), "{err}");

    // Every input failed: no result, exit 2, and -o keeps its previous content.
    let (_, code, err) = run_in(
        &dir,
        &[
            "words",
            "--keep-going",
            "-o",
            "out.tsv",
            "missing.log",
            "gone.log",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert_eq!(
        dir.read("out.tsv"),
        b"a\t2\nb\t1\n",
        "-o is not written for 2"
    );
}

#[test]
fn keep_going_with_state_saves_the_state_but_not_the_failed_input() {
    let dir = Dir::new("keep_going_with_state");
    dir.create("good.log", "x y\n");
    // A gzip header with a corrupt body: it fails while being mapped, after the plan.
    let mut gz = std::fs::read(testdata("compressed/words.txt.gz")).unwrap();
    let n = gz.len();
    gz.truncate(n / 2);
    dir.create("bad.log.gz", &gz);
    let args = [
        "words",
        "--keep-going",
        "--state",
        "st",
        "--sort",
        "key",
        "good.log",
        "bad.log.gz",
    ];
    let (out, code, err) = run_in(&dir, &args);
    assert_eq!(code, 3, "{err}");
    assert_eq!(out, b"x\t1\ny\t1\n");
    assert!(dir.path("st").exists(), "--state is saved for 3");
    // The good file is not read again; the failed one still is (and fails again).
    dir.create("good.log", "x y\nx\n");
    let (out, code, err) = run_in(&dir, &args);
    assert_eq!(code, 3, "{err}");
    assert_eq!(out, b"x\t2\ny\t1\n");
}

#[test]
fn max_rejects_counts_and_percentages() {
    if !require_tools(&["python3"]) {
        return;
    }
    let (bad, good) = bad_and_good();
    assert!(bad > 0, "the access log has a bad record");
    let log = access_log();
    let dir = Dir::new("max_rejects");
    let base = [
        "fields", "--format", "combined", "--by", "status", "-o", "out.tsv",
    ];
    let run = |limit: &str| {
        let mut args = base.to_vec();
        args.extend(["--max-rejects", limit, log.as_str()]);
        let _ = std::fs::remove_file(dir.path("out.tsv"));
        run_in(&dir, &args)
    };
    let (_, code, err) = run(&(bad - 1).to_string());
    assert_eq!(code, 4, "{err}");
    let line = err
        .lines()
        .find(|l| l.contains("--max-rejects"))
        .expect("a line names the threshold");
    assert!(
        line.contains(&format!("--max-rejects {}", bad - 1)),
        "{line}"
    );
    assert!(dir.path("out.tsv").exists(), "-o is written for 4");
    let (_, code, err) = run(&bad.to_string());
    assert_eq!(code, 0, "{err}");
    // Percent of bad plus counted records.
    let share = bad as f64 * 100.0 / (bad + good) as f64;
    let (_, code, err) = run(&format!("{}%", share * 0.9));
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("%"), "{err}");
    let (_, code, err) = run(&format!("{}%", share * 1.1));
    assert_eq!(code, 0, "{err}");
    for wrong in ["x", "101%", "%", "1.5", "5%%"] {
        refused(
            &["words", "--max-rejects", wrong],
            Some(b""),
            "--max-rejects",
        );
    }
}

#[test]
fn fail_if_exits_5_after_writing() {
    let dir = Dir::new("fail_if");
    dir.create("in.log", "a a a b c\n");
    let (out, code, err) = run_in(&dir, &["words", "--fail-if", "count>2", "in.log"]);
    assert_eq!(code, 5, "{err}");
    assert_eq!(out, b"a\t3\nb\t1\nc\t1\n", "the rows are written");
    assert!(one_line(&err) && err.contains("count>2"), "{err}");
    let (_, code, err) = run_in(&dir, &["words", "--fail-if", "count>3", "in.log"]);
    assert_eq!((code, err.as_str()), (0, ""));
    // The key column's name, from the message for a column that does not exist.
    let (_, header_code, header_err) = run_in(&dir, &["words", "--fail-if", "x=1", "in.log"]);
    assert_eq!(header_code, 2, "{header_err}");
    assert!(header_err.contains("no column 'x'"), "{header_err}");
    let cols = header_err
        .split("columns: ")
        .nth(1)
        .unwrap_or("")
        .to_string();
    let key_col = cols.split(',').next().unwrap().trim().to_string();
    // Repeatable: any condition met fails the run; key filters select rows.
    let (_, code, _) = run_in(
        &dir,
        &[
            "words",
            "--fail-if",
            "count>5",
            "--fail-if",
            &format!("{key_col}=b count<2"),
            "in.log",
        ],
    );
    assert_eq!(code, 5);
    let (_, code, err) = run_in(
        &dir,
        &[
            "words",
            "--fail-if",
            &format!("{key_col}=b count<2"),
            "-o",
            "out.tsv",
            "in.log",
        ],
    );
    assert_eq!(code, 5, "{err}");
    assert_eq!(
        dir.read("out.tsv"),
        b"a\t3\nb\t1\nc\t1\n",
        "-o is written for 5"
    );
    let (_, code, _) = run_in(
        &dir,
        &["words", "--fail-if", &format!("{key_col}=z"), "in.log"],
    );
    assert_eq!(code, 0);
    // --top: only the written rows count.
    let (_, code, _) = run_in(
        &dir,
        &["words", "--top", "1", "--fail-if", "count<2", "in.log"],
    );
    assert_eq!(code, 0);
    // A column the output does not have: exit 2, -o not written.
    let (_, code, err) = run_in(
        &dir,
        &["words", "--fail-if", "nope>1", "-o", "new.tsv", "in.log"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("nope") && one_line(&err), "{err}");
    assert!(!dir.path("new.tsv").exists());
}

#[test]
fn fail_if_refuses_anything_outside_the_grammar() {
    for bad in [
        "",
        "count",
        "count>=5",
        "count>1 a=b",
        "a>1 b<2",
        "=x",
        "count>ten",
    ] {
        let err = refused(&["words", "--fail-if", bad], Some(b"a\n"), "COLUMN=VALUE");
        assert!(err.contains("COLUMN>N or COLUMN<N"), "{err}");
    }
    refused(
        &["words", "--emit", "partial", "--fail-if", "count>1"],
        Some(b"a\n"),
        "final results",
    );
}

#[test]
fn fail_if_with_state_saves_the_state() {
    let dir = Dir::new("fail_if_state");
    dir.create("in.log", "a a\n");
    let args = ["words", "--state", "st", "--fail-if", "count>1", "in.log"];
    let (_, code, err) = run_in(&dir, &args);
    assert_eq!(code, 5, "{err}");
    assert!(dir.path("st").exists(), "--state is saved for 5");
    let (out, code, _) = run_in(&dir, &["words", "--state", "st", "--since-last", "in.log"]);
    assert_eq!(
        (out.as_slice(), code),
        (&b""[..], 0),
        "nothing new was read"
    );
}

#[test]
fn the_most_severe_code_wins() {
    let dir = Dir::new("most_severe");
    dir.create("in.log", "a a b\n");
    let code = |args: &[&str]| run_in(&dir, args).1;
    // 5 over 3.
    assert_eq!(
        code(&[
            "words",
            "--keep-going",
            "--fail-if",
            "count>1",
            "in.log",
            "missing"
        ]),
        5
    );
    // 3 over 1: grep matched nothing in what it could read.
    assert_eq!(
        code(&["grep", "--keep-going", "zzz", "in.log", "missing"]),
        3
    );
    assert_eq!(code(&["grep", "zzz", "in.log"]), 1);
    // 2 over everything: nothing could be read.
    assert_eq!(
        code(&["words", "--keep-going", "--fail-if", "count>0", "missing"]),
        2
    );
    if !require_tools(&["python3"]) {
        return;
    }
    // 5 over 4, 4 over 3.
    let log = access_log();
    let fields = ["fields", "--format", "combined", "--by", "status"];
    let with = |extra: &[&str]| {
        let mut a = fields.to_vec();
        a.extend_from_slice(extra);
        a.push(&log);
        code(&a)
    };
    assert_eq!(with(&["--max-rejects", "0", "--fail-if", "count>0"]), 5);
    assert_eq!(with(&["--max-rejects", "0", "--keep-going", "missing"]), 4);
}

#[test]
fn help_shows_the_exit_code_table() {
    let out = logmill().arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for row in [
        "2 error (no result)",
        "5 --fail-if",
        "4 --max-rejects",
        "3 --keep-going",
        "1 nothing matched",
        "0 success",
    ] {
        assert!(help.contains(row), "{row}: {help}");
    }
}

#[test]
fn the_spark_driver_gives_policy_flags_to_the_final_reduce_and_takes_3_4_5_as_results() {
    if !require_tools(&["python3"]) {
        return;
    }
    let driver = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/spark");
    let out = sh(&format!(
        r#"cd {} && python3 -c '
import logmill_spark as m
print(m.split_final_flags(["fields", "--by", "a", "--fail-if", "count>5", "--max-rejects=3", "--top-per", "2"]))
print(m.RESULT_CODES)'"#,
        shell_quote(driver)
    ));
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "(['fields', '--by', 'a'], ['--fail-if', 'count>5', '--max-rejects=3', '--top-per', '2'])\n\
         (0, 1, 3, 4, 5)\n"
    );
}

#[test]
fn max_rejects_percent_is_the_same_when_the_result_spills() {
    let dir = Dir::new("max_rejects_spill");
    let mut data = Vec::new();
    for i in 0..120_000u64 {
        let v = if i % 50 == 0 {
            "x".to_string()
        } else {
            i.to_string()
        };
        data.extend_from_slice(format!("k{i} g{} {v}\n", i % 7).as_bytes());
    }
    let input = dir.create("in.log", &data);
    let temp = dir.create_dir("tmp");
    // 2,400 bad of 120,000 records: 2%.
    for (limit, want) in [("1.9%", 4), ("2%", 0)] {
        let mut seen = Vec::new();
        for memory in ["4G", "1M"] {
            let out = dir
                .command()
                .args(["fields", "--by", "1", "--sum", "3", "--max-rejects", limit])
                .args(["--memory", memory, "--temp-dir"])
                .arg(&temp)
                .arg(&input)
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&out.stderr).into_owned();
            assert_eq!(out.status.code(), Some(want), "{limit} {memory}: {err}");
            seen.push(err);
        }
        assert_eq!(seen[0], seen[1], "{limit}");
        if want == 4 {
            assert!(
                seen[0].contains("2400 of 120000 records (2.00%)"),
                "{}",
                seen[0]
            );
        }
    }
}
