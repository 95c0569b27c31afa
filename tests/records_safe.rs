//! Nothing lost: JSON lines are records by one rule whatever fields are asked for, Unicode words
//! keep their marks, and partial bytes do not depend on how the work was split.

use crate::util::{in_ci, require_tools, run_logmill, sh_stdin};

/// stdout of a logmill run that must exit 0.
fn ok(args: &[&str], stdin: &[u8]) -> Vec<u8> {
    let (out, code, err) = run_logmill(args, Some(stdin));
    assert_eq!(code, 0, "logmill {args:?}: {err}");
    out
}

// --- approx-distinct partials are byte-deterministic ---------------------------------------

#[test]
fn approx_distinct_partials_are_identical_for_any_threads_and_chunk_size() {
    // Groups of every size: empty-ish, sparse (few values), and past the sparse limit (dense).
    let mut data = String::new();
    for i in 0..6000u32 {
        let group = if i % 3 == 0 { "big" } else { "small" };
        let user = if group == "big" { i } else { i % 200 };
        data.push_str(&format!("{group} u{user} {}\n", i % 7));
    }
    let run = |extra: &[&str]| {
        let mut args = vec![
            "fields",
            "--by",
            "1",
            "--approx-distinct",
            "2",
            "--approx-distinct",
            "3",
            "--emit",
            "partial",
        ];
        args.extend_from_slice(extra);
        ok(&args, data.as_bytes())
    };
    let reference = run(&["-j1"]);
    assert!(reference.windows(6).any(|w| w == b"sparse"), "a sparse set is written");
    for extra in [
        &["-j2"][..],
        &["-j2", "--chunk-size", "1K"],
        &["-j1", "--chunk-size", "1K"],
        &["-j2", "--chunk-size", "7K"],
        &["-j8", "--chunk-size", "4K"],
    ] {
        assert_bytes_eq!(run(extra), reference, "{extra:?}");
    }
}
