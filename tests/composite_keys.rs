//! One composite-key encoding (`aggregate::key`) for every job keyed by several fields: the
//! partials of `fields --by A,B` and of `match` with two groups hold the same key bytes for
//! the same field tuple (fields separated by `0x00 0x01`, a NUL written `0x00 0xFF`, nothing
//! after the last field), and merging such a partial gives the fields back.

use crate::util::*;

/// The keys (the text before the first TAB) of the data lines of a partial, in order.
fn partial_keys(partial: &[u8]) -> Vec<Vec<u8>> {
    let mut keys: Vec<Vec<u8>> = partial
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty() && l[0] != b'#')
        .map(|l| l.split(|&b| b == b'\t').next().unwrap_or_default().to_vec())
        .collect();
    keys.sort();
    keys
}

const INPUT: &[u8] = b"x y\nx y\na\0b c\n";

#[test]
fn fields_and_match_partials_share_the_composite_key_bytes() {
    let dir = Dir::new("fields_and_match_partials_share_the_composite_key_bytes");
    let input = dir.create("in.txt", INPUT);
    let fields = run_ok(
        &[
            "fields",
            "--by",
            "1,2",
            "--emit",
            "partial",
            input.to_str().unwrap(),
        ],
        b"",
    );
    let matched = run_ok(
        &[
            "match",
            r"(\S+) (\S+)",
            "--emit",
            "partial",
            input.to_str().unwrap(),
        ],
        b"",
    );
    let expected: Vec<Vec<u8>> = vec![b"a\0\xffb\0\x01c".to_vec(), b"x\0\x01y".to_vec()];
    assert_eq!(partial_keys(&fields), expected);
    assert_eq!(partial_keys(&matched), expected);
}

#[test]
fn merged_fields_partials_decode_their_composite_keys() {
    let dir = Dir::new("merged_fields_partials_decode_their_composite_keys");
    let input = dir.create("in.txt", INPUT);
    let partial = dir.path("p.partial");
    run_ok(
        &[
            "fields",
            "--by",
            "1,2",
            "--emit",
            "partial",
            "-o",
            partial.to_str().unwrap(),
            input.to_str().unwrap(),
        ],
        b"",
    );
    let merged = run_ok(&["merge", partial.to_str().unwrap()], b"");
    let direct = run_ok(&["fields", "--by", "1,2", input.to_str().unwrap()], b"");
    assert_eq!(merged, b"x\ty\t2\na\0b\tc\t1\n");
    assert_eq!(merged, direct);
}

/// A version-1 fields partial of two `--by` fields (keys ended with a separator then) still
/// merges into what a run of today prints.
#[test]
fn version_1_fields_partials_of_several_fields_read_as_today() {
    let dir = Dir::new("v1-fields-keys");
    let log = testdata("v1/fields-by2.log");
    let direct = dir
        .command()
        .args(["fields", "--by", "1", "--by", "2"])
        .arg(&log)
        .output()
        .unwrap();
    assert!(direct.status.success());
    let merged = dir
        .command()
        .arg("merge")
        .arg(testdata("v1/fields-by2.partial"))
        .output()
        .unwrap();
    assert!(merged.status.success());
    assert_eq!(merged.stdout, direct.stdout);
    assert!(String::from_utf8_lossy(&merged.stderr).contains("version 1"));
}
