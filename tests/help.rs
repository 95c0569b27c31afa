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
            "words\ntsv\ncsv\njson\njsonl\n"
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
