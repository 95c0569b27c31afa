//! `logmill lines`: the table of `sort | uniq -c`, the same for any -j, --chunk-size, stdin,
//! compressed input, shards, merged partials, spill and state.

use std::collections::BTreeMap;

use proptest::prelude::*;

use crate::util::{
    parse_tsv_counts, parse_uniq_c, render_counts, require_tools, sh, shell_quote, testdata, Dir,
    Order,
};

/// Line counts written independently of `src/`: split at `\n`, a trailing `\r` dropped, the
/// last line counted even without a newline.
fn oracle(data: &[u8]) -> BTreeMap<Vec<u8>, u64> {
    let mut m = BTreeMap::new();
    if data.is_empty() {
        return m;
    }
    let body = data.strip_suffix(b"\n").unwrap_or(data);
    for line in body.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        *m.entry(line.to_vec()).or_insert(0) += 1;
    }
    m
}

fn run(dir: &Dir, args: &[&str], stdin: Option<&[u8]>) -> Vec<u8> {
    let mut cmd = dir.command();
    cmd.arg("lines").args(args);
    if let Some(s) = stdin {
        cmd.write_stdin(s.to_vec());
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "lines {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn lines_equal_sort_uniq_c_on_real_logs() {
    if !require_tools(&["sort", "uniq", "sed"]) {
        return;
    }
    for rel in [
        "apache_access.log",
        "loghub/Linux_2k.log",
        "loghub/Apache_2k.log",
    ] {
        let path = testdata(rel);
        // `sort | uniq -c` of the lines with a CR before the LF dropped, as logmill reads them.
        let expected = parse_uniq_c(&sh(&format!(
            "sed 's/\\r$//' < {} | sort | uniq -c",
            shell_quote(&path)
        )));
        let dir = Dir::new("lines-real");
        let got = run(&dir, &[path.to_str().unwrap()], None);
        assert_eq!(parse_tsv_counts(&got), expected, "{rel}");
        assert_eq!(got, render_counts(&expected, Order::Count, None), "{rel}");
    }
}

#[test]
fn lines_are_the_same_through_every_path() {
    let data = std::fs::read(testdata("loghub/Linux_2k.log")).unwrap();
    // A few repeated lines on top, so counts above 1 exist, and CRLF ends.
    let mut input = data.clone();
    input.extend_from_slice(b"dup\r\ndup\ndup\n\n\nlast without newline");
    let expected = oracle(&input);
    let dir = Dir::new("lines-paths");
    let f = dir.create("in.log", &input);
    let gz = dir.path("in.log.gz");
    sh(&format!(
        "gzip -c < {} > {}",
        shell_quote(&f),
        shell_quote(&gz)
    ));
    let want = render_counts(&expected, Order::Count, None);
    for (threads, chunk) in [("1", "1M"), ("2", "1"), ("3", "777")] {
        let common = ["-j", threads, "--chunk-size", chunk];
        let file = run(&dir, &[&common[..], &["in.log"]].concat(), None);
        assert!(file == want, "file -j{threads} --chunk-size {chunk}");
        let stdin = run(&dir, &common, Some(&input));
        assert!(stdin == want, "stdin -j{threads} --chunk-size {chunk}");
        let z = run(&dir, &[&common[..], &["in.log.gz"]].concat(), None);
        assert!(z == want, "gzip -j{threads} --chunk-size {chunk}");
        let spilled = run(
            &dir,
            &[&common[..], &["--memory", "64K", "in.log"]].concat(),
            None,
        );
        assert!(spilled == want, "spilled -j{threads} --chunk-size {chunk}");
    }
    // Three shards as partials, merged.
    let mut parts = Vec::new();
    for i in 0..3 {
        let name = format!("s{i}.partial");
        let shard = format!("{i}/3");
        run(
            &dir,
            &[
                "--emit", "partial", "--shard", &shard, "-o", &name, "in.log",
            ],
            None,
        );
        parts.push(name);
    }
    let mut merge = dir.command();
    merge.arg("merge").args(&parts);
    let merged = merge.output().unwrap();
    assert!(merged.status.success());
    assert!(merged.stdout == want, "merged shards");
    // A state run over the file in two appends equals one run.
    let s = dir.create("grow.log", &input[..input.len() / 2]);
    run(&dir, &["--state", "st", "grow.log"], None);
    std::fs::write(&s, &input).unwrap();
    let total = run(&dir, &["--state", "st", "grow.log"], None);
    // A state run reads whole lines only: the last line, without its newline, waits for the
    // next run.
    let whole = &input[..=input.iter().rposition(|&b| b == b'\n').unwrap()];
    let want_state = render_counts(&oracle(whole), Order::Count, None);
    assert!(total == want_state, "state total differs");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Any bytes, any -j and chunk size: the table of the oracle, in count and key order.
    #[test]
    fn lines_match_the_oracle_for_any_split(
        lines in proptest::collection::vec(
            proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'b'), Just(b'\r'), Just(0xff)], 0..4),
            0..40),
        crlf in any::<bool>(),
        threads in 1usize..4,
        chunk in 1usize..64,
        key_order in any::<bool>(),
    ) {
        let end: &[u8] = if crlf { b"\r\n" } else { b"\n" };
        let input: Vec<u8> = lines.iter().flat_map(|l| [&l[..], end].concat()).collect();
        let expected = oracle(&input);
        let dir = Dir::new("lines-prop");
        let (threads, chunk) = (threads.to_string(), chunk.to_string());
        let mut args = vec!["-j", threads.as_str(), "--chunk-size", chunk.as_str()];
        if key_order {
            args.extend(["--sort", "key"]);
        }
        let got = run(&dir, &args, Some(&input));
        let order = if key_order { Order::Key } else { Order::Count };
        prop_assert_eq!(got, render_counts(&expected, order, None));
    }
}
