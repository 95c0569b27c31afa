use super::*;
use crate::aggregate::check_laws;
use crate::engine::Engine;
use crate::input::InputSpec;

fn run_on(
    m: MatchMapper,
    data: &[u8],
    threads: usize,
    chunk: usize,
) -> Result<(String, Outcome)> {
    let engine = Engine::new(threads, chunk)?;
    let spec = InputSpec::Bytes {
        name: "t".into(),
        data: data.to_vec(),
    };
    let mut out = Vec::new();
    let job = Match {
        mapper: m,
        rejects: None,
        strict: false,
    };
    let mapped = engine.run(vec![spec], &job.mapper)?;
    let outcome = finish(
        &job,
        export(None, mapped.partial, &mapped.inputs)?,
        EmitOptions::default(),
        &mut out,
    )?;
    Ok((String::from_utf8_lossy(&out).into_owned(), outcome))
}

fn mapper(p: &str, sum: Option<&str>, all: bool) -> MatchMapper {
    MatchMapper::new(p, PatternOptions::default(), sum.map(GroupRef::parse), all).unwrap()
}

const LOG: &[u8] = b"a 200 10\nb 404 -\nc 200 2.5\nd 200 x\ne 404 1e3\n";

#[test]
fn sums_per_key_and_reports_rejected() {
    for (threads, chunk) in [(1, 1 << 20), (2, 1), (3, 7)] {
        let (out, o) = run_on(
            mapper(r" (\d+) (\S+)", Some("2"), false),
            LOG,
            threads,
            chunk,
        )
        .unwrap();
        assert_eq!(out, "200\t2\t12.5\n404\t1\t1000\n");
        assert_eq!(o.code, ExitCode::Success);
        assert_eq!(
            o.warnings,
            [
                "2 matches rejected in group 2: 2 not a number (e.g. \"-\"); left out of the \
                 counts and sums; --rejects FILE lists them"
            ]
        );
    }
}

#[test]
fn columns_follow_groups_and_names() {
    let m = mapper(r"(?P<status>\d{3}) (?P<bytes>\S+)", Some("bytes"), false);
    assert_eq!(m.columns(), ["status", "count", "sum_bytes"]);
    assert_eq!(mapper(r"\d+", None, false).columns(), ["match", "count"]);
    assert_eq!(
        mapper(r"(\w) (\d)(?:x)?", None, false).columns(),
        ["group1", "group2", "count"]
    );
    assert_eq!(
        mapper(r"(\d+)", Some("1"), false).columns(),
        ["count", "sum_group1"]
    );
}

#[test]
fn several_groups_non_participating_groups_and_all() {
    let (out, _) = run_on(
        mapper(r"(\w)=(\d)|(\w)!", None, true),
        b"a=1 b! a=1\nc!\n",
        2,
        3,
    )
    .unwrap();
    assert_eq!(out, "a\t1\t\t2\n\t\tb\t1\n\t\tc\t1\n");
    let (out, _) = run_on(
        mapper(r"(\w)=(\d)|(\w)!", None, false),
        b"a=1 b! a=1\nc!\n",
        1,
        3,
    )
    .unwrap();
    assert_eq!(out, "\t\tc\t1\na\t1\t\t1\n");
}

#[test]
fn tabs_in_captures_are_escaped_and_nothing_matched_is_exit_1() {
    let (out, _) = run_on(
        mapper(r"k=([^;]*);", None, false),
        b"k=a\tb;\nk=a\\b;\n",
        1,
        4,
    )
    .unwrap();
    assert_eq!(out, "a\\tb\t1\na\\\\b\t1\n");
    let (out, o) = run_on(mapper(r"zzz", None, false), LOG, 1, 4).unwrap();
    assert_eq!((out.as_str(), o.code), ("", ExitCode::NoMatch));
}

#[test]
fn sum_overflow_is_an_error() {
    let max = u128::MAX.to_string();
    let data = format!("k {max}\nk 1\nj 1\n");
    for chunk in [1, 4, 1000] {
        let e = run_on(
            mapper(r"(\w) (\d+)", Some("2"), false),
            data.as_bytes(),
            2,
            chunk,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("sum_group2") && e.contains("'k'"), "{e}");
    }
}

#[test]
fn bad_sum_groups_are_refused() {
    for (p, s) in [(r"(\d+)", "2"), (r"(\d+)", "0"), (r"(?P<a>\d+)", "b")] {
        let e = MatchMapper::new(
            p,
            PatternOptions::default(),
            Some(GroupRef::parse(s)),
            false,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("--sum"), "{e}");
    }
}

#[test]
fn partial_laws() {
    let m = mapper(r"(\w) (\S+)", Some("2"), false);
    let sample = |data: &[u8]| {
        let mut p = MatchCounts::default();
        m.map(Chunk::whole(0, data), &mut p);
        p
    };
    let samples = vec![
        MatchCounts::default(),
        sample(b"a 1\nb -\n"),
        sample(b"a 2.5\nc 3\nb ?\n"),
        sample(b"b 7\n"),
    ];
    check_laws(&samples, |p: &MatchCounts| {
        let mut rows: Vec<_> = p
            .table
            .iter()
            .map(|(k, t)| (k.to_vec(), t.count, t.sum.total().map(|d| d.to_string())))
            .collect();
        rows.sort();
        (rows, p.rejected.clone())
    });
}
