//! The HTML report of a `--per` result larger than `--memory` (issue 18): the chart of its top
//! keys over time is drawn from the spilled result (read from disk twice before its rows are
//! streamed, the keys' totals in a table that spills too), and equals the chart of the same
//! result held in memory byte for byte — as does the whole page, for any `-j` and
//! `--chunk-size`.

use crate::html::page;
use crate::util::*;

/// The chart of a page: its `<figure class="chart">` element, bytes and all.
fn chart(html: &[u8]) -> &[u8] {
    let text = html;
    let find = |needle: &[u8], from: usize| {
        text[from..]
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|i| i + from)
    };
    let Some(start) = find(b"<figure class=\"chart\">", 0) else {
        return b"";
    };
    let end = find(b"</figure>", start).expect("a closed figure") + b"</figure>".len();
    &text[start..end]
}

/// A log of `lines` lines over three days, each with a timestamp and one of `keys` words,
/// drawn by a fixed linear congruential generator (the same bytes every run).
fn many_keys_log(lines: usize, keys: u64) -> String {
    let mut x: u64 = 42;
    let mut log = String::new();
    for i in 0..lines {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let key = (x >> 33) % keys;
        // A skew so the top keys are clear: low keys come far more often.
        let key = if i % 3 == 0 { key % 11 } else { key };
        log.push_str(&format!(
            "2025-01-0{}T{:02}:{:02}:00Z k{key}\n",
            1 + i % 3,
            (i / 7) % 24,
            i % 60
        ));
    }
    log
}

#[test]
fn a_spilled_per_report_draws_the_in_memory_chart_byte_for_byte() {
    let dir = Dir::new("html-spilled");
    dir.create("many.log", many_keys_log(40_000, 15_000));
    let access = testdata("apache_access.log");
    let access = access.to_str().unwrap();
    let combined = ["fields", "--format", "combined"];
    let jobs: Vec<Vec<&str>> = vec![
        // Many paths: the top 7 and "other".
        [
            &combined[..],
            &["--by", "path", "--per", "1h", "--tz", "UTC", access],
        ]
        .concat(),
        // Two key columns, `--top` per bucket, another zone.
        [
            &combined[..],
            &[
                "--by",
                "method",
                "--by",
                "status",
                "--per",
                "6h",
                "--tz",
                "Europe/Berlin",
                "--top",
                "3",
                access,
            ],
        ]
        .concat(),
        // More buckets than bars: slots of equal time.
        [
            &combined[..],
            &["--by", "status", "--per", "1s", "--tz", "UTC", access],
        ]
        .concat(),
        // Fifteen thousand keys: the totals do not fit either.
        vec!["words", "--per", "1h", "--tz", "UTC", "many.log"],
    ];
    for job in jobs {
        let html = |extra: &[&str]| {
            page(
                &dir,
                &[&job[..], extra, &["--output-format", "html"]].concat(),
            )
        };
        let memory = html(&["--memory", "4G"]);
        assert!(
            chart(&memory).starts_with(b"<figure class=\"chart\">"),
            "{job:?}: no chart in memory"
        );
        for extra in [
            &["--memory", "64K", "-j1"][..],
            &["--memory", "1", "-j2", "--chunk-size", "16K"],
        ] {
            let spilled = html(extra);
            assert!(
                chart(&spilled) == chart(&memory),
                "{job:?} {extra:?}: the spilled page's chart differs:\n{}\n---\n{}",
                String::from_utf8_lossy(chart(&spilled)),
                String::from_utf8_lossy(chart(&memory))
            );
            assert!(spilled == memory, "{job:?} {extra:?}: the pages differ");
        }
    }
}

#[test]
fn a_spilled_chart_counts_every_row_of_the_tsv() {
    let dir = Dir::new("html-spilled-counts");
    dir.create("many.log", many_keys_log(20_000, 5_000));
    let args = [
        "words", "--per", "6h", "--tz", "UTC", "--memory", "64K", "many.log",
    ];
    let html = page(&dir, &[&args[..], &["--output-format", "html"]].concat());
    let tsv = page(&dir, &[&args[..], &["--header"]].concat());
    let total: u64 = parse_tsv_rows(&tsv)[1..]
        .iter()
        .map(|r| {
            std::str::from_utf8(r.last().unwrap())
                .unwrap()
                .parse::<u64>()
                .unwrap()
        })
        .sum();
    // Each bar segment's tooltip ends with its count: all of them add up to every row's count.
    let text = String::from_utf8(chart(&html).to_vec()).unwrap();
    let drawn: u64 = text
        .split("<title>")
        .skip(1)
        .filter_map(|t| {
            let t = &t[..t.find("</title>")?];
            t.rsplit_once(": ")?.1.parse::<u64>().ok()
        })
        .sum();
    assert_eq!(drawn, total);
    assert_eq!(text.matches("<g class=").count(), 8, "the top 7 and other");
}

#[test]
fn a_spilled_merge_of_per_partials_draws_the_in_memory_chart() {
    let dir = Dir::new("html-spilled-merge");
    let log = testdata("apache_access.log");
    let log = log.to_str().unwrap();
    let job = [
        "fields", "--format", "combined", "--by", "path", "--per", "1h", "--tz", "UTC",
    ];
    for i in 0..3 {
        let shard = format!("{i}/3");
        let name = format!("p{i}");
        let args = [
            &["--shard", &shard, "--emit", "partial"][..],
            &job,
            &[log, "-o", &name],
        ];
        page(&dir, &args.concat());
    }
    let merge = |memory: &str| {
        page(
            &dir,
            &[
                "merge",
                "p0",
                "p1",
                "p2",
                "--memory",
                memory,
                "--output-format",
                "html",
            ],
        )
    };
    let memory = merge("4G");
    let spilled = merge("64K");
    assert!(!chart(&memory).is_empty());
    assert!(chart(&spilled) == chart(&memory));
    assert!(spilled == memory);
    // The page of one run over the log is the same but for its title and inputs.
    let single = page(
        &dir,
        &[&job[..], &[log, "--output-format", "html"]].concat(),
    );
    assert!(chart(&single) == chart(&memory));
}
