//! Help, version, completions and man page: what they document and how they look.

use std::path::Path;
use std::process::Command;

use crate::util::*;

#[test]
fn completions_for_each_shell_name_the_subcommands() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = run_ok(&["completions", shell], b"");
        let text = String::from_utf8(out).unwrap();
        for word in ["words", "completions", "man", "output-format"] {
            assert!(text.contains(word), "{shell} lacks {word}");
        }
    }
    // bash: the script parses, and completing really offers the subcommands and values.
    if require_tools(&["bash"]) {
        let bin = env!("CARGO_BIN_EXE_logmill");
        let got = sh(&format!(
            "source <('{bin}' completions bash) && \
             COMP_WORDS=(logmill w) COMP_CWORD=1 && _logmill logmill w logmill && \
             printf '%s\\n' \"${{COMPREPLY[@]}}\" && \
             COMP_WORDS=(logmill words --output-format '') COMP_CWORD=3 && \
             _logmill logmill '' --output-format && printf '%s\\n' \"${{COMPREPLY[@]}}\""
        ));
        assert_eq!(
            String::from_utf8(got).unwrap(),
            "words\ntsv\ncsv\njson\njsonl\nchart\nhtml\n"
        );
    }
    let bad = logmill().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn man_page_documents_every_subcommand() {
    let out = run_ok(&["man"], b"");
    let text = String::from_utf8(out.clone()).unwrap();
    assert!(text.contains(".TH logmill 1"), "{text}");
    for heading in ["LOGMILL WORDS", "LOGMILL COMPLETIONS", "LOGMILL MAN"] {
        assert!(text.contains(heading), "no {heading}");
    }
    assert!(text.contains("output\\-format"));
    // groff, where installed, formats it without warnings.
    if require_tools(&["groff"]) {
        let dir = Dir::new("man_page_documents_every_subcommand");
        let page = dir.create("logmill.1", &out);
        let res = Command::new("groff")
            .args(["-man", "-Tutf8", "-ww", "-z"])
            .arg(&page)
            .output()
            .unwrap();
        assert!(res.status.success());
        assert!(
            res.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&res.stderr)
        );
    }
}

#[test]
fn version_names_the_git_revision() {
    let out = String::from_utf8(run_ok(&["--version"], b"")).unwrap();
    let version = env!("CARGO_PKG_VERSION");
    assert!(out.starts_with(&format!("logmill {version}")), "{out}");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    if !require(root.join(".git").exists(), "a git checkout (.git)") {
        return;
    }
    if !require_tools(&["git"]) {
        return;
    }
    let rev = sh(&format!(
        "git -C '{}' rev-parse --short HEAD",
        root.display()
    ));
    let rev = String::from_utf8(rev).unwrap();
    assert_eq!(
        out.trim(),
        format!("logmill {version} (rev {})", rev.trim())
    );
}

#[test]
fn no_color_turns_off_styled_help() {
    let help = |no_color: Option<&str>| {
        let mut cmd = logmill();
        cmd.arg("--help")
            .env("CLICOLOR_FORCE", "1")
            .env_remove("NO_COLOR");
        if let Some(v) = no_color {
            cmd.env("NO_COLOR", v);
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success());
        out.stdout
    };
    let esc = |b: &[u8]| b.contains(&0x1b);
    // Forced colour does style the help, so the check below can fail...
    assert!(esc(&help(None)));
    // ...but NO_COLOR wins. An empty NO_COLOR means unset (no-color.org).
    assert!(!esc(&help(Some("1"))));
    assert!(esc(&help(Some(""))));
    // Errors too.
    let err = logmill()
        .args(["words", "--bogus"])
        .env("CLICOLOR_FORCE", "1")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(err.status.code(), Some(2));
    assert!(!esc(&err.stderr));
}

#[test]
fn help_documents_exit_codes_and_formats() {
    let top = String::from_utf8(run_ok(&["--help"], b"")).unwrap();
    for s in ["0 success", "1 nothing matched", "2 error", "130", "143"] {
        assert!(top.contains(s), "--help lacks {s:?}");
    }
    let words = String::from_utf8(run_ok(&["words", "--help"], b"")).unwrap();
    for s in [
        "--output-format",
        "jsonl",
        "--header",
        "-o, --output",
        "Examples:",
    ] {
        assert!(words.contains(s), "words --help lacks {s:?}");
    }
}

/// `logmill ARGS` at 100 columns (the widest help logmill lays out), its stdout as text.
fn help_text(args: &[&str]) -> String {
    let out = logmill()
        .args(args)
        .env("COLUMNS", "100")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// The shared headings, in the order `-h` lists them after a job's own options.
const SHARED_HEADINGS: [&str; 4] = ["Output:", "Input:", "Memory:", "Scale-out:"];

/// Every command that takes job options, and two jobs under map and reduce.
const COMMANDS: [&[&str]; 10] = [
    &["words"],
    &["grep"],
    &["match"],
    &["lines"],
    &["fields"],
    &["map"],
    &["reduce"],
    &["merge"],
    &["map", "words"],
    &["reduce", "fields"],
];

/// The lines of a help text's argument and option sections that continue the line above: in
/// `-h`, an option's help must fit on its own line. (The list of subcommands may wrap.)
fn continuation_lines(help: &str) -> Vec<&str> {
    let mut section = "";
    let mut found = Vec::new();
    for l in help.lines() {
        if l.ends_with(':') && !l.starts_with(' ') {
            section = l;
            continue;
        }
        let t = l.trim_start();
        let starts_an_entry = ['-', '[', '<'].iter().any(|c| t.starts_with(*c));
        if !section.is_empty() && section != "Commands:" && l.starts_with(' ') && !starts_an_entry {
            found.push(l);
        }
    }
    found
}

#[test]
fn short_help_puts_the_jobs_own_options_first_and_shared_ones_under_headings() {
    let help = help_text(&["fields", "-h"]);
    let lines: Vec<&str> = help.lines().collect();
    assert!(
        lines.len() < 100,
        "fields -h is {} lines:\n{help}",
        lines.len()
    );
    // The first option section is the job's own, and it starts with the job's first option.
    let options = lines.iter().position(|l| *l == "Options:").expect(&help);
    assert!(lines[options + 1].contains("--format <FORMAT>"), "{help}");
    let own: Vec<&str> = lines[options..]
        .iter()
        .take_while(|l| !l.is_empty())
        .copied()
        .collect();
    for flag in ["--by", "--count", "--sum", "--pct", "--where"] {
        assert!(
            own.iter().any(|l| l.contains(flag)),
            "{flag} not among own options"
        );
    }
    for flag in [
        "--threads",
        "--chunk-size",
        "--memory",
        "--sort",
        "--top",
        "--recursive",
    ] {
        assert!(
            !own.iter().any(|l| l.contains(flag)),
            "{flag} among own options"
        );
    }
    // Then the shared ones, by what they act on, each where it belongs.
    let at = |heading: &str| lines.iter().position(|l| *l == heading);
    let mut last = options;
    for heading in ["Bad records:"].iter().chain(&SHARED_HEADINGS) {
        let i = at(heading).unwrap_or_else(|| panic!("no {heading}\n{help}"));
        assert!(i > last, "{heading} out of order\n{help}");
        last = i;
    }
    let section_of = |flag: &str| {
        let i = lines.iter().position(|l| l.contains(flag)).unwrap();
        lines[..i]
            .iter()
            .rev()
            .find(|l| l.ends_with(':') && !l.starts_with(' '))
            .copied()
    };
    for (flag, heading) in [
        ("--strict", "Bad records:"),
        ("--output-format", "Output:"),
        ("--progress", "Output:"),
        ("--files-from", "Input:"),
        ("--temp-dir", "Memory:"),
        ("-j, --threads", "Scale-out:"),
        ("--chunk-size", "Scale-out:"),
        ("--shard", "Scale-out:"),
        ("--state", "Scale-out:"),
        ("--emit", "Scale-out:"),
    ] {
        assert_eq!(section_of(flag), Some(heading), "{flag}\n{help}");
    }
    // One line per option, as ripgrep's -h.
    assert_eq!(continuation_lines(&help), Vec::<&str>::new(), "{help}");
}

#[test]
fn long_help_adds_the_long_text_and_examples() {
    let short = help_text(&["fields", "-h"]);
    let long = help_text(&["fields", "--help"]);
    assert!(long.lines().count() > short.lines().count() * 2);
    for s in [
        "HyperLogLog",
        "Rounded half away from zero",
        "Examples:",
        "copytruncate",
    ] {
        assert!(long.contains(s), "fields --help lacks {s:?}");
        assert!(!short.contains(s), "fields -h has {s:?}");
    }
    // Both list the same options under the same headings.
    for heading in ["Options:", "Bad records:"].iter().chain(&SHARED_HEADINGS) {
        assert!(
            long.lines().any(|l| l == *heading),
            "--help lacks {heading}"
        );
    }
    assert!(short.contains("see more with '--help'"), "{short}");
}

#[test]
fn every_commands_help_is_clean_and_headed() {
    for cmd in COMMANDS {
        let short = help_text(&[cmd, &["-h"]].concat());
        let long = help_text(&[cmd, &["--help"]].concat());
        for (form, text) in [("-h", &short), ("--help", &long)] {
            for stray in ["[=<>]", "<>", "[=<", "=<>"] {
                assert!(
                    !text.contains(stray),
                    "{cmd:?} {form} has {stray:?}:\n{text}"
                );
            }
            for heading in SHARED_HEADINGS {
                assert!(
                    text.lines().any(|l| l == heading),
                    "{cmd:?} {form} lacks {heading}"
                );
            }
        }
        assert!(
            long.len() > short.len(),
            "{cmd:?}: --help no longer than -h"
        );
        assert_eq!(
            continuation_lines(&short),
            Vec::<&str>::new(),
            "{cmd:?} -h:\n{short}"
        );
    }
    let man = String::from_utf8(run_ok(&["man"], b"")).unwrap();
    assert!(
        !man.contains("[=<>]") && !man.contains("<>"),
        "stray syntax in man"
    );
}

#[test]
fn count_is_a_plain_flag() {
    let out = run_ok(&["fields", "--count", "--sum", "2"], b"a 1\nb 2\n");
    assert_eq!(out, b"2\t3\n");
    let bad = logmill().args(["fields", "--count=x"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
}
