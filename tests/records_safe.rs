//! Nothing lost: JSON lines are records by one rule whatever fields are asked for, Unicode words
//! keep their marks, and partial bytes do not depend on how the work was split.

use crate::util::{require_tools, run_logmill, sh_stdin};

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
    assert!(
        reference.windows(6).any(|w| w == b"sparse"),
        "a sparse set is written"
    );
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

// --- JSON lines: one rule for what is a record ---------------------------------------------

/// Lines of every kind: objects, bare numbers of every shape, other JSON values, broken JSON,
/// invalid UTF-8 inside and outside strings, escapes and lone surrogates.
fn json_corpus() -> Vec<Vec<u8>> {
    let text: &[&[u8]] = &[
        b"1.5",
        b"-0",
        b"1e3",
        b"1E-2",
        b"100000000000000000000",
        b"-100000000000000000000.25",
        b"1e999",
        b"7",
        b"-7",
        b"0.0",
        br#""str""#,
        b"true",
        b"null",
        b"[]",
        br#"[1,{"a":1}]"#,
        b"{}",
        br#"{"a":1.5}"#,
        br#"{"a":1e400}"#,
        br#"{"a":100000000000000000000}"#,
        br#"{"a":{"b":100000000000000000000.5}}"#,
        b"{\"x\":\"caf\xe9\",\"k\":1}",
        b"{\"\xff\":1}",
        b"{\"o\":{\"caf\xe9\":1},\"k\":2}",
        b"{\"x\":\"x\xc3\"}",
        b"{\"a\":1}\xff",
        b"\xff{\"a\":1}",
        b"\xef\xbb\xbf{\"a\":1}",
        br#"{"x":"\ud800","k":3}"#,
        br#"{"o":{"\udc00":1}}"#,
        br#"{"x":"\ud83d\ude00"}"#,
        br#"{"a":NaN}"#,
        br#"{"a":Infinity}"#,
        br#"{"a":-Infinity}"#,
        br#"{"a":1}x"#,
        br#"{"a":}"#,
        b"{",
        b"{\"a\":\"tab\there\"}",
        br#"{"a":"\q"}"#,
        br#"{"a":"\u00zz"}"#,
        br#"  {"a" :  [ ] }  "#,
        br#"{"a":01}"#,
        br#"{"a":-}"#,
        br#"{"a":1.}"#,
        br#"{"a":.5}"#,
        br#"{"a":1,}"#,
        br#"{'a':1}"#,
        br#"{"a":true,"b":false,"c":null}"#,
        br#"{"$serde_json::private::Number":"1"}"#,
        br#"{"a":{"$serde_json::private::Number":"1"}}"#,
        br#"{"x":"ok","k":1,"k":{"z":[1,2,{"y":"\u00e9"}]}}"#,
        b"{\"x\":\"\\\"caf\xe9\\\"\"}",
        b"nul",
        b"-",
        b"\"\xe9\"",
    ];
    text.iter().map(|l| l.to_vec()).collect()
}

/// The 1-based numbers of the lines that logmill lists in --rejects for `fields --format jsonl`
/// with `extra` flags.
fn rejected_lines(file: &std::path::Path, extra: &[&str]) -> Vec<usize> {
    let dir = tempfile::tempdir().unwrap();
    let rejects = dir.path().join("rejects");
    let (f, r) = (file.to_str().unwrap(), rejects.to_str().unwrap());
    let mut args = vec!["fields", "--format", "jsonl", "--rejects", r];
    args.extend_from_slice(extra);
    args.push(f);
    let (_, code, err) = run_logmill(&args, None);
    assert_eq!(code, 0, "logmill {args:?}: {err}");
    let listed = std::fs::read(&rejects).unwrap();
    listed
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| {
            let l = &l[f.len() + 1..];
            let n = l.iter().position(|&b| b == b':').unwrap();
            std::str::from_utf8(&l[..n]).unwrap().parse().unwrap()
        })
        .collect()
}

fn write_corpus(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("corpus.jsonl");
    let mut data = Vec::new();
    for l in json_corpus() {
        data.extend_from_slice(&l);
        data.push(b'\n');
    }
    std::fs::write(&path, data).unwrap();
    path
}

#[test]
fn jsonl_records_are_the_lines_python_reads_as_objects() {
    if !require_tools(&["python3"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = write_corpus(dir.path());
    // Python's json module, strict: NaN and Infinity are not JSON; invalid UTF-8 bytes are kept
    // (as lone surrogates) the way logmill keeps them, so they count only where JSON allows
    // any character: inside strings.
    let script = r#"
import json, sys
def no_constants(c):
    raise ValueError(c)
for n, line in enumerate(open(sys.argv[1], 'rb').read().split(b'\n')[:-1], 1):
    try:
        ok = isinstance(json.loads(line.decode('utf-8', 'surrogateescape'), parse_constant=no_constants), dict)
    except ValueError:
        ok = False
    if not ok:
        print(n)
"#;
    let out = sh_stdin(
        &format!(
            "python3 -c {} {}",
            crate::util::shell_quote(script),
            crate::util::shell_quote(&file)
        ),
        b"",
    );
    let python: Vec<usize> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| l.parse().unwrap())
        .collect();
    assert!(
        python.contains(&1) && python.contains(&5),
        "bare numbers are not objects"
    );
    assert_eq!(rejected_lines(&file, &["--count"]), python);
}

#[test]
fn jsonl_validity_does_not_depend_on_the_fields_named() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_corpus(dir.path());
    let reference = rejected_lines(&file, &["--count"]);
    for extra in [
        &["--by", "k"][..],
        &["--by", "x"],
        &["--by", "o"],
        &["--by", "o.caf"],
        &["--by", "a.b", "--distinct", "a"],
        &["--where", "x=ok"],
        &["--where", "x~.", "--distinct", "k.z"],
    ] {
        assert_eq!(rejected_lines(&file, extra), reference, "{extra:?}");
    }
}

#[test]
fn jsonl_bare_numbers_are_bad_records_and_fail_strict() {
    let input = b"1.5\n-0\n1e3\n100000000000000000000\n7\n{\"a\":1}\n";
    let (out, code, err) = run_logmill(&["fields", "--format", "jsonl", "--count"], Some(input));
    assert_eq!((out, code), (b"1\n".to_vec(), 0), "{err}");
    assert!(err.contains("5 bad records"), "{err}");
    assert!(err.contains("5 not a JSON object"), "{err}");
    let (_, code, err) = run_logmill(
        &["fields", "--format", "jsonl", "--count", "--strict"],
        Some(b"1.5\n"),
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not an object"), "{err}");
}

#[test]
fn jsonl_strings_with_invalid_utf8_keep_their_bytes() {
    let input =
        b"{\"x\":\"caf\xe9\",\"k\":1}\n{\"x\":\"ok\",\"k\":1}\n{\"x\":\"caf\xe9 \\\"q\\\"\"}\n";
    let by = |args: &[&str]| {
        let mut a = vec!["fields", "--format", "jsonl", "--strict"];
        a.extend_from_slice(args);
        ok(&a, input)
    };
    assert_eq!(by(&["--count"]), b"3\n");
    assert_eq!(by(&["--by", "k"]), b"1\t2\n\t1\n");
    let x = by(&["--by", "x", "--sort", "key"]);
    assert_eq!(x, b"caf\xe9\t1\ncaf\xe9 \"q\"\t1\nok\t1\n".to_vec());
    assert_eq!(by(&["--where", "x=ok"]), b"1\n");
    assert_eq!(by(&["--where", "x!=ok"]), b"2\n");
}

#[test]
fn json_keys_with_dots_commas_or_nothing_are_named_in_double_quotes() {
    let input = br#"{"a.b":1,"a":{"b":2,"c.d":5},"x,y":3,"":4,"q\"":6,"k=v":7}"#;
    let run = |args: &[&str]| {
        let mut a = vec!["fields", "--format", "jsonl"];
        a.extend_from_slice(args);
        ok(&a, &[&input[..], b"\n"].concat())
    };
    assert_eq!(
        run(&["--by", r#""a.b",a.b,"x,y","""#, "--by", r#""q\"",a."c.d""#]),
        b"1\t2\t3\t4\t6\t5\t1\n"
    );
    assert_eq!(run(&["--by", r#""a"."b""#, "--sum", r#""""#]), b"2\t4\n");
    assert_eq!(
        run(&["--where", r#""k=v"=7"#, "--where", r#""a.b"!=2"#]),
        b"1\n"
    );
    assert_eq!(run(&["--where", r#""k=v"=8"#]), b"0\n");
    assert_eq!(run(&["--pct", r#""x,y":50"#]), b"3\n");
    for bad in ["a..b", r#""a"#, "a.", r#"a"b"#] {
        let (_, code, err) = run_logmill(
            &["fields", "--format", "jsonl", "--by", bad],
            Some(&input[..]),
        );
        assert_eq!(code, 2, "{bad}: {err}");
        assert!(
            err.contains("--by") && err.lines().count() == 1,
            "{bad}: {err}"
        );
    }
    // CSV headers too.
    let csv = b"\"a,b\",c\n1,2\n";
    let (out, code, err) = run_logmill(
        &["fields", "--format", "csv", "--by", r#""a,b""#],
        Some(&csv[..]),
    );
    assert_eq!((out, code), (b"1\t1\n".to_vec(), 0), "{err}");
}

// --- words --unicode: UAX #29 words in NFC --------------------------------------------------

#[test]
fn unicode_words_keep_combining_marks_and_count_composed_and_decomposed_as_one() {
    let out = ok(
        &["words", "--unicode"],
        b"cafe\xcc\x81 caf\xc3\xa9 CAFE\xcc\x81\n",
    );
    assert_eq!(out, "café\t3\n".as_bytes());
    let out = ok(
        &["words", "--unicode", "--sort", "key"],
        b"Don't stop, don't! rock'n'roll\n",
    );
    assert_eq!(out, b"don't\t2\nrock'n'roll\t1\nstop\t1\n");
    // Invalid UTF-8 separates words, as before.
    let out = ok(&["words", "--unicode", "--sort", "key"], b"ab\xffcd ab\n");
    assert_eq!(out, b"ab\t2\ncd\t1\n");
}

#[test]
fn unicode_words_equal_python_nfc_words() {
    if !require_tools(&["python3"]) {
        return;
    }
    // Text where UAX #29 and the regex \w+('\w+)* agree (no CJK, no underscores, no numbers
    // with inner punctuation), in composed and decomposed spellings.
    let text = "Crème brûlée, CRE\u{300}ME BRU\u{302}LE\u{301}E! Don't panic; l'été rock'n'roll.\n\
                Ἀθῆναι ΟΔΟΣ οδος Οδος Straße STRASSE naïve nai\u{308}ve Ångström A\u{30a}ngstro\u{308}m\n\
                Москва МОСКВА москва 42x x42 ÉCOLE e\u{301}cole Zoë ZOE\u{308} ǅemal Ǆemal\n\
                Ωmega ωmega \"quoted\" (parens) [brackets] a-b a/b ä—ö résumé RE\u{301}SUME\u{301}\n";
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("text.txt");
    std::fs::write(&file, text).unwrap();
    let script = r#"
import re, sys, unicodedata, collections
text = unicodedata.normalize('NFC', open(sys.argv[1], encoding='utf-8').read())
c = collections.Counter(unicodedata.normalize('NFC', w.lower()) for w in re.findall(r"\w+(?:'\w+)*", text))
for w, n in c.items():
    sys.stdout.buffer.write(w.encode() + b'\t' + str(n).encode() + b'\n')
"#;
    let python = crate::util::parse_tsv_counts(&sh_stdin(
        &format!(
            "python3 -c {} {}",
            crate::util::shell_quote(script),
            crate::util::shell_quote(&file)
        ),
        b"",
    ));
    assert_eq!(python.get("café".as_bytes()), None);
    assert_eq!(python.get("crème".as_bytes()), Some(&2));
    let f = file.to_str().unwrap();
    for extra in [&["-j1"][..], &["-j2", "--chunk-size", "16"]] {
        let mut args = vec!["words", "--unicode", f];
        args.extend_from_slice(extra);
        let got = crate::util::parse_tsv_counts(&ok(&args, b""));
        assert_eq!(got, python, "{extra:?}");
    }
}

#[test]
fn unicode_words_partials_of_older_rules_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old.partial");
    std::fs::write(
        &old,
        "#logmill-partial\t1\t{\"job\":\"words\",\"params\":{\"unicode\":true}}\ncafe\t1\n",
    )
    .unwrap();
    let new = dir.path().join("new.partial");
    let (o, n) = (old.to_str().unwrap(), new.to_str().unwrap());
    ok(
        &["words", "--unicode", "--emit", "partial", "-o", n],
        b"caf\xc3\xa9\n",
    );
    for args in [&["merge", n, o][..], &["merge", o, n], &["merge", o]] {
        let (out, code, err) = run_logmill(args, None);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(out.is_empty(), "{args:?}");
        assert!(err.contains("older logmill"), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    // ASCII words partials are unchanged, and still merge.
    let ascii = dir.path().join("ascii.partial");
    std::fs::write(
        &ascii,
        "#logmill-partial\t1\t{\"job\":\"words\",\"params\":{\"unicode\":false}}\ncafe\t1\n",
    )
    .unwrap();
    assert_eq!(ok(&["merge", ascii.to_str().unwrap()], b""), b"cafe\t1\n");
}
