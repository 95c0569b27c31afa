//! `logmill words` against oracles that share no code with `src/`: coreutils on real corpora and
//! hand-made fixtures (differential tests), and small Rust oracles on random input (property
//! tests). Every output is compared byte for byte, so the row order (count descending, then key
//! bytes ascending) is checked along with the counts. `--unicode` words against Python's NFC
//! words, and partials of older word rules refused.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

use logmill::emit::{EmitOptions, SortOrder};
use logmill::jobs::words::WordsParams;
use logmill::{Config, InputSpec, JobParams};
use proptest::prelude::*;

use crate::util::*;

/// `(threads, --chunk-size)` pairs each differential input runs with, as a file and on stdin.
/// Chunk size 1 makes every line its own chunk (or stdin block); 7 cuts inside most lines of a
/// log, so chunks end at the next newline; 64K and 4M put a small file in one chunk.
const CONFIGS: &[(usize, &str)] = &[(1, "1"), (2, "7"), (3, "64K"), (4, "4M")];

/// How the input reaches logmill.
#[derive(Debug, Clone, Copy)]
enum Via {
    /// As a file argument (memory-mapped, or streamed if empty).
    File,
    /// On stdin (read in blocks of `--chunk-size`).
    Stdin,
}

/// Runs `logmill words -j T --chunk-size C ARGS` on `path` and returns stdout, checking that it
/// succeeded quietly.
fn run_words(path: &Path, via: Via, threads: usize, chunk: &str, args: &[&str]) -> Vec<u8> {
    let mut cmd = logmill();
    cmd.arg("words")
        .args(["-j", &threads.to_string(), "--chunk-size", chunk])
        .args(args);
    match via {
        Via::File => {
            cmd.arg(path);
        }
        Via::Stdin => {
            cmd.write_stdin(std::fs::read(path).expect("testdata is readable"));
        }
    }
    let out = cmd.output().expect("logmill runs");
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "logmill words {args:?} {} via {via:?} -j {threads} --chunk-size {chunk}: {}\n{}",
        path.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Checks `logmill words` on `rel` against coreutils with every [`CONFIGS`] entry, as a file and
/// on stdin, and checks the Rust oracle of the property tests against coreutils too.
fn differential(rel: &str) {
    if !require_tools(COREUTILS_WORDS_TOOLS) {
        return;
    }
    let path = testdata(rel);
    let reference = coreutils_word_counts(&path);
    let data = std::fs::read(&path).expect("testdata is readable");
    assert_eq!(
        ascii_word_counts(&data),
        reference,
        "{rel}: the Rust oracle disagrees with coreutils"
    );
    let expected = render_counts(&reference, Order::Count, None);
    for via in [Via::File, Via::Stdin] {
        for &(threads, chunk) in CONFIGS {
            let got = run_words(&path, via, threads, chunk, &[]);
            assert_bytes_eq!(
                got,
                expected,
                "{rel} via {via:?} -j {threads} --chunk-size {chunk}"
            );
        }
    }
}

macro_rules! differential_tests {
    ($($name:ident => $rel:expr,)*) => {$(
        #[test]
        fn $name() {
            differential($rel);
        }
    )*};
}

differential_tests! {
    // countwords' edge cases: runs of spaces, leading and trailing blanks, no final newline.
    countwords_small_matches_coreutils => "small.txt",
    countwords_no_end_newline_matches_coreutils => "no_end_newline.txt",
    fixture_nul_bytes_matches_coreutils => "fixtures/nul_bytes.txt",
    fixture_vertical_tab_and_form_feed_match_coreutils => "fixtures/vt_ff.txt",
    fixture_invalid_utf8_matches_coreutils => "fixtures/invalid_utf8.txt",
    fixture_empty_file_matches_coreutils => "fixtures/empty.txt",
    fixture_whitespace_only_matches_coreutils => "fixtures/whitespace_only.txt",
    fixture_mixed_line_endings_match_coreutils => "fixtures/mixed_endings.txt",
    fixture_long_line_matches_coreutils => "fixtures/long_line.txt",
    fixture_unicode_text_matches_coreutils_in_ascii_mode => "fixtures/unicode.txt",
}

/// Every loghub sample: CRLF line endings (except Proxifier) and mostly no final newline.
#[test]
fn loghub_samples_match_coreutils() {
    let mut logs: Vec<String> = std::fs::read_dir(testdata("loghub"))
        .expect("testdata/loghub exists")
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with("_2k.log"))
        .collect();
    logs.sort();
    assert!(logs.len() >= 5, "loghub samples missing: {logs:?}");
    for name in logs {
        differential(&format!("loghub/{name}"));
    }
}

/// The coreutils counts of kjv.txt, computed once for the tests that share them.
fn kjv_reference() -> &'static BTreeMap<Vec<u8>, u64> {
    static REF: OnceLock<BTreeMap<Vec<u8>, u64>> = OnceLock::new();
    REF.get_or_init(|| coreutils_word_counts(&testdata("kjv.txt")))
}

/// One run of logmill on kjv.txt: threads, chunk size, output flags and what they mean.
struct KjvRun {
    threads: usize,
    chunk: &'static str,
    args: &'static [&'static str],
    order: Order,
    top: Option<usize>,
}

/// Checks each run on kjv.txt against the coreutils reference, byte for byte.
fn check_kjv(via: Via, runs: &[KjvRun]) {
    let reference = kjv_reference();
    let path = testdata("kjv.txt");
    for r in runs {
        let got = run_words(&path, via, r.threads, r.chunk, r.args);
        let expected = render_counts(reference, r.order, r.top);
        assert_bytes_eq!(
            got,
            expected,
            "kjv.txt via {via:?} -j {} --chunk-size {} {:?}",
            r.threads,
            r.chunk,
            r.args
        );
    }
}

/// kjv.txt (4 MB, one verse a line, one byte 0x97 that is not UTF-8) as a file: default order,
/// `--sort key` and `--top`, over several thread counts and chunk sizes.
#[test]
fn kjv_file_matches_coreutils() {
    if !require_tools(COREUTILS_WORDS_TOOLS) {
        return;
    }
    assert!(
        kjv_reference().keys().any(|k| k.contains(&0x97)),
        "kjv.txt should hold a word with the byte 0x97"
    );
    check_kjv(
        Via::File,
        &[
            KjvRun {
                threads: 1,
                chunk: "1M",
                args: &[],
                order: Order::Count,
                top: None,
            },
            KjvRun {
                threads: 2,
                chunk: "64K",
                args: &["--sort", "key"],
                order: Order::Key,
                top: None,
            },
            KjvRun {
                threads: 3,
                chunk: "1",
                args: &["--top", "25"],
                order: Order::Count,
                top: Some(25),
            },
        ],
    );
}

/// kjv.txt on stdin, including one block per line (`--chunk-size 1`).
#[test]
fn kjv_stdin_matches_coreutils() {
    if !require_tools(COREUTILS_WORDS_TOOLS) {
        return;
    }
    check_kjv(
        Via::Stdin,
        &[
            KjvRun {
                threads: 2,
                chunk: "64K",
                args: &[],
                order: Order::Count,
                top: None,
            },
            KjvRun {
                threads: 1,
                chunk: "4K",
                args: &["--sort", "key", "--top", "1000"],
                order: Order::Key,
                top: Some(1000),
            },
            KjvRun {
                threads: 2,
                chunk: "1",
                args: &[],
                order: Order::Count,
                top: None,
            },
        ],
    );
}

/// The word total equals `wc -w` (C locale) on real logs. These files are printable ASCII with
/// tabs and CRLF only, where every `wc` agrees on what a word is; older `wc`s treat other
/// control bytes and bytes >= 0x80 differently, so those stay out of this check.
#[test]
fn loghub_word_totals_match_wc() {
    if !require_tools(COREUTILS_WORDS_TOOLS) {
        return;
    }
    for rel in ["loghub/Linux_2k.log", "loghub/OpenSSH_2k.log", "small.txt"] {
        let path = testdata(rel);
        let wc = wc_words(&std::fs::read(&path).unwrap());
        let total: u64 = parse_tsv_counts(&run_words(&path, Via::File, 2, "4K", &[]))
            .values()
            .sum();
        assert_eq!(total, wc, "{rel}: total of counts vs wc -w");
    }
}

/// `wc -w` (C locale) of `data`.
fn wc_words(data: &[u8]) -> u64 {
    let out = sh_stdin("wc -w", data);
    String::from_utf8(out)
        .expect("wc prints digits")
        .trim()
        .parse()
        .expect("wc prints a number")
}

// ---------------------------------------------------------------------------------------------
// Unicode mode

/// Unicode word counts, written independently of `src/`: decode with std's lossy UTF-8 (an
/// invalid sequence becomes U+FFFD, which UAX #29 splits off and which is not alphanumeric, so
/// it separates words), take the UAX #29 words holding a letter or digit
/// (`unicode_words`), lowercase each with `str::to_lowercase` (Unicode's full, context-aware
/// lowercase mapping) and write it in NFC.
fn unicode_word_counts(data: &[u8]) -> BTreeMap<Vec<u8>, u64> {
    use unicode_normalization::UnicodeNormalization;
    use unicode_segmentation::UnicodeSegmentation;
    let text = String::from_utf8_lossy(data);
    let mut m = BTreeMap::new();
    for w in text.unicode_words() {
        let w: String = w.to_lowercase().nfc().collect();
        *m.entry(w.into_bytes()).or_insert(0) += 1;
    }
    m
}

#[test]
fn unicode_fixture_matches_oracle() {
    let path = testdata("fixtures/unicode.txt");
    let expected = render_counts(
        &unicode_word_counts(&std::fs::read(&path).unwrap()),
        Order::Count,
        None,
    );
    for via in [Via::File, Via::Stdin] {
        for &(threads, chunk) in CONFIGS {
            let got = run_words(&path, via, threads, chunk, &["--unicode"]);
            assert_bytes_eq!(
                got,
                expected,
                "--unicode via {via:?} -j {threads} --chunk-size {chunk}"
            );
        }
    }
}

/// Real text in Unicode mode: the 0x97 byte of kjv.txt must split `word\x97word`, and loghub's
/// punctuation-heavy lines split into many short words.
#[test]
fn unicode_mode_on_corpora_matches_oracle() {
    for (rel, threads, chunk) in [
        ("kjv.txt", 2, "256K"),
        ("loghub/Apache_2k.log", 3, "1"),
        ("loghub/Proxifier_2k.log", 1, "7"),
    ] {
        let path = testdata(rel);
        let data = std::fs::read(&path).unwrap();
        let expected = render_counts(&unicode_word_counts(&data), Order::Count, None);
        let got = run_words(&path, Via::File, threads, chunk, &["--unicode"]);
        assert_bytes_eq!(
            got,
            expected,
            "{rel} --unicode -j {threads} --chunk-size {chunk}"
        );
    }
}

/// The same Greek word in capitals and in small letters is one word: Unicode lowercases a
/// capital sigma at the end of a word to final sigma `ς` (SpecialCasing.txt, `Final_Sigma`;
/// `str::to_lowercase` does this), not to `σ`.
#[test]
fn unicode_mode_lowercases_word_final_capital_sigma_to_final_sigma() {
    let input = "ΟΔΟΣ οδος Οδος ΛΟΓΟΣ λόγος\n";
    let expected = "οδος\t3\nλογος\t1\nλόγος\t1\n";
    assert_eq!(
        render_counts(&unicode_word_counts(input.as_bytes()), Order::Count, None),
        expected.as_bytes(),
        "the oracle itself"
    );
    let got = run_lib(input.as_bytes(), true, 1, 1 << 20, EmitOptions::default());
    assert_bytes_eq!(got, expected.as_bytes());
}

// ---------------------------------------------------------------------------------------------
// Property tests

/// Runs the words job through the library on in-memory bytes.
fn run_lib(
    data: &[u8],
    unicode: bool,
    threads: usize,
    chunk_size: usize,
    emit: EmitOptions,
) -> Vec<u8> {
    run_lib_inputs(vec![data.to_vec()], unicode, threads, chunk_size, emit)
}

/// Runs the words job through the library on several in-memory inputs.
fn run_lib_inputs(
    inputs: Vec<Vec<u8>>,
    unicode: bool,
    threads: usize,
    chunk_size: usize,
    emit: EmitOptions,
) -> Vec<u8> {
    let specs = inputs
        .into_iter()
        .enumerate()
        .map(|(i, data)| InputSpec::Bytes {
            name: format!("input{i}"),
            data,
        })
        .collect();
    let mut config = Config::new(
        JobParams::Words(WordsParams {
            unicode,
            ..Default::default()
        }),
        specs,
    );
    config.threads = threads;
    config.chunk_size = chunk_size;
    config.emit = emit;
    let mut out = Vec::new();
    logmill::run(config, &mut out).expect("words runs on bytes");
    out
}

/// One piece of random ASCII-mode input. Few distinct letters, so words repeat and ties are
/// common; every ASCII whitespace byte; CRLF and empty lines; NUL; bytes 0x80-0xFF; and
/// occasional runs of 17-400 word bytes, longer than the small chunk sizes tried.
fn byte_token() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        8 => prop::sample::select(b"aAbBcZz".to_vec()).prop_map(|b| vec![b]),
        1 => prop::sample::select(b"0'.-".to_vec()).prop_map(|b| vec![b]),
        5 => prop::sample::select(vec![b' ', b'\t', b'\n', 0x0b, 0x0c, b'\r']).prop_map(|b| vec![b]),
        1 => Just(b"\r\n".to_vec()),
        1 => Just(b"\n\n".to_vec()),
        1 => Just(vec![0u8]),
        1 => (0x80u8..=0xff).prop_map(|b| vec![b]),
        1 => (prop::sample::select(vec![&b"aB"[..], b"Zz", b"a\x00", b"\xe9A"]), 9usize..200)
            .prop_map(|(unit, n)| unit.repeat(n)),
    ]
}

/// Random ASCII-mode input: up to ~150 tokens (so up to a few KB), possibly empty.
fn byte_input() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(byte_token(), 0..150).prop_map(|t| t.concat())
}

/// One piece of random Unicode-mode input: cased letters with one- and multi-char lowercase
/// mappings (İ, ẞ, ǅ), letters and digits of other scripts, combining marks, punctuation, NBSP,
/// a literal U+FFFD, an emoji, ASCII whitespace, and bytes that are not UTF-8 (lone
/// continuation bytes, truncated sequences). A capital Σ is left out: see
/// `unicode_mode_lowercases_word_final_capital_sigma_to_final_sigma`.
fn unicode_token() -> impl Strategy<Value = Vec<u8>> {
    let pieces: Vec<&'static str> = vec![
        "a", "A", "b", "B", "é", "É", "ß", "ẞ", "İ", "i", "ǅ", "Ǆ", "ǆ", "Ω", "ω", "σ", "ς", "Ж",
        "ж", "東", "٣", "²", "7", "\u{301}", "\u{a0}", "\u{fffd}", "🙂", "'", "-", ".", "_",
    ];
    prop_oneof![
        10 => prop::sample::select(pieces).prop_map(|s| s.as_bytes().to_vec()),
        4 => prop::sample::select(vec![b' ', b'\t', b'\n', 0x0b, 0x0c, b'\r']).prop_map(|b| vec![b]),
        1 => Just(b"\r\n".to_vec()),
        1 => prop::sample::select(vec![&b"\xff"[..], b"\x80", b"\xc3", b"\xe2\x82", b"\xed\xa0\x80", b"\x00"])
            .prop_map(|b| b.to_vec()),
        1 => (prop::sample::select(vec!["Éa", "ẞ", "Ж1"]), 9usize..100).prop_map(|(s, n)| s.repeat(n).into_bytes()),
    ]
}

fn unicode_input() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(unicode_token(), 0..120).prop_map(|t| t.concat())
}

/// Random output options: either order, with or without a small `--top`.
fn emit_options() -> impl Strategy<Value = EmitOptions> {
    (any::<bool>(), prop::option::of(0usize..12)).prop_map(|(by_key, top)| EmitOptions {
        sort: if by_key {
            SortOrder::Key
        } else {
            SortOrder::Count
        },
        top,
        ..Default::default()
    })
}

fn order_of(emit: &EmitOptions) -> Order {
    match emit.sort {
        SortOrder::Count => Order::Count,
        SortOrder::Key => Order::Key,
    }
}

/// Chunk sizes to try on an input of `len` bytes: tiny ones that cut every line, one inside the
/// input, the input length and beyond it.
fn chunk_sizes(len: usize, inside: usize) -> Vec<usize> {
    vec![
        1,
        2,
        3,
        16,
        1 + inside % (len + 1),
        len.max(1),
        len + 1,
        1 << 20,
    ]
}

/// `wc -w` runs only if it exists (and must exist in CI); checked once.
fn have_wc() -> bool {
    static HAVE: OnceLock<bool> = OnceLock::new();
    *HAVE.get_or_init(|| require_tools(&["wc"]))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Every thread count 1..=4 and chunk size from 1 byte to past the input gives exactly the
    /// oracle's bytes, in the requested order.
    #[test]
    fn library_output_matches_oracle_for_any_threads_and_chunk_size(
        data in byte_input(),
        inside in any::<usize>(),
        emit in emit_options(),
    ) {
        let expected = render_counts(&ascii_word_counts(&data), order_of(&emit), emit.top);
        for threads in 1..=4 {
            for chunk in chunk_sizes(data.len(), inside) {
                let got = run_lib(&data, false, threads, chunk, emit.clone());
                prop_assert!(
                    got == expected,
                    "-j {} --chunk-size {}:\ngot      {:?}\nexpected {:?}",
                    threads, chunk, String::from_utf8_lossy(&got), String::from_utf8_lossy(&expected)
                );
            }
        }
    }

    /// Several inputs add up, and a word never joins across the end of one input (which may
    /// lack a final newline) and the start of the next.
    #[test]
    fn library_inputs_add_up(
        parts in prop::collection::vec(byte_input(), 1..4),
        threads in 1usize..=4,
        chunk in 1usize..64,
    ) {
        let mut counts = BTreeMap::new();
        for p in &parts {
            add_counts(&mut counts, &ascii_word_counts(p));
        }
        let expected = render_counts(&counts, Order::Count, None);
        let got = run_lib_inputs(parts, false, threads, chunk, EmitOptions::default());
        prop_assert!(
            got == expected,
            "got {:?}\nexpected {:?}",
            String::from_utf8_lossy(&got), String::from_utf8_lossy(&expected)
        );
    }

    /// Unicode mode against the independent oracle, over thread counts and chunk sizes.
    #[test]
    fn library_unicode_output_matches_oracle(
        data in unicode_input(),
        inside in any::<usize>(),
        emit in emit_options(),
    ) {
        let expected = render_counts(&unicode_word_counts(&data), order_of(&emit), emit.top);
        for (threads, chunk) in [(1, 1), (2, 3), (3, 1 + inside % (data.len() + 1)), (4, 1 << 20)] {
            let got = run_lib(&data, true, threads, chunk, emit.clone());
            prop_assert!(
                got == expected,
                "--unicode -j {} --chunk-size {}:\ngot      {:?}\nexpected {:?}",
                threads, chunk, String::from_utf8_lossy(&got), String::from_utf8_lossy(&expected)
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// On ASCII text (printable characters and the six whitespace bytes) the total of all
    /// counts is `wc -w` in the C locale.
    #[test]
    fn total_count_equals_wc_w_on_ascii(
        data in prop::collection::vec(
            prop_oneof![
                4 => 0x21u8..0x7f,
                1 => prop::sample::select(vec![b' ', b'\t', b'\n', 0x0b, 0x0c, b'\r']),
            ],
            0..600,
        ),
        threads in 1usize..=3,
        chunk in 1usize..700,
    ) {
        if !have_wc() {
            return Ok(());
        }
        let out = run_lib(&data, false, threads, chunk, EmitOptions::default());
        let total: u64 = parse_tsv_counts(&out).values().sum();
        prop_assert_eq!(total, wc_words(&data));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 20, ..ProptestConfig::default() })]

    /// The binary, on stdin (block reader), on stdin named twice (`- -`) and as a file (memory
    /// map), gives the oracle's bytes with several thread counts and chunk sizes.
    #[test]
    fn binary_output_matches_oracle_on_stdin_and_file(
        data in byte_input(),
        chunk in 1usize..300,
    ) {
        let expected = render_counts(&ascii_word_counts(&data), Order::Count, None);
        let dir = Dir::new("binary_output_matches_oracle_on_stdin_and_file");
        let file = dir.create("input", &data);
        let chunk = chunk.to_string();
        for (threads, chunk) in [("1", "1"), ("3", "7"), ("2", chunk.as_str())] {
            let args = ["words", "-j", threads, "--chunk-size", chunk];
            let on_stdin = logmill().args(args).write_stdin(data.clone()).output().unwrap();
            let on_file = logmill().args(args).arg(&file).output().unwrap();
            // Stdin named twice is read once, as `cat - -` reads it: the second is empty.
            let twice = logmill().args(args).args(["-", "-"]).write_stdin(data.clone()).output().unwrap();
            for (via, out) in [("stdin", on_stdin), ("file", on_file), ("- -", twice)] {
                prop_assert!(
                    out.status.success() && out.stdout == expected,
                    "{} -j {} --chunk-size {}: {}\ngot      {:?}\nexpected {:?}\nstderr {}",
                    via, threads, chunk, out.status,
                    String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&expected),
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        }
    }
}

// --- words --unicode: UAX #29 words in NFC --------------------------------------------------

#[test]
fn unicode_words_keep_combining_marks_and_count_composed_and_decomposed_as_one() {
    let out = run_ok(
        &["words", "--unicode"],
        b"cafe\xcc\x81 caf\xc3\xa9 CAFE\xcc\x81\n",
    );
    assert_eq!(out, "café\t3\n".as_bytes());
    let out = run_ok(
        &["words", "--unicode", "--sort", "key"],
        b"Don't stop, don't! rock'n'roll\n",
    );
    assert_eq!(out, b"don't\t2\nrock'n'roll\t1\nstop\t1\n");
    // Invalid UTF-8 separates words, as before.
    let out = run_ok(&["words", "--unicode", "--sort", "key"], b"ab\xffcd ab\n");
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
    let dir = Dir::new("unicode_words_equal_python_nfc_words");
    let file = dir.create("text.txt", text);
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
        let got = crate::util::parse_tsv_counts(&run_ok(&args, b""));
        assert_eq!(got, python, "{extra:?}");
    }
}

#[test]
fn unicode_words_partials_of_older_rules_are_refused() {
    let dir = Dir::new("unicode_words_partials_of_older_rules_are_refused");
    let old = dir.path("old.partial");
    std::fs::write(
        &old,
        "#logmill-partial\t1\t{\"job\":\"words\",\"params\":{\"unicode\":true}}\ncafe\t1\n",
    )
    .unwrap();
    let new = dir.path("new.partial");
    let (o, n) = (old.to_str().unwrap(), new.to_str().unwrap());
    run_ok(
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
    let ascii = dir.path("ascii.partial");
    std::fs::write(
        &ascii,
        "#logmill-partial\t1\t{\"job\":\"words\",\"params\":{\"unicode\":false}}\ncafe\t1\n",
    )
    .unwrap();
    assert_eq!(
        run_ok(&["merge", ascii.to_str().unwrap()], b""),
        b"cafe\t1\n"
    );
}
