//! What an HTML report says about its run besides the rows: the title (the command line), the
//! inputs with their sizes, where `--rejects` go and how many rows to show. Built once from
//! the resolved flags; the emitter only renders it.

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::sync::Arc;

use crate::aggregate::keyed::RecordsRead;
use crate::emit::{EmitOptions, Report, ReportInput};
use crate::input::InputSpec;
use crate::jobs::{JobParams, RejectArgs};
use crate::partial::format::{EmitMode, Header};

/// Gives `emit` (an HTML output) its report: titled `logmill JOB` until
/// [`set_command_line`] names the whole command. `--top` moves into the report, which counts
/// the rows it leaves out: the emitter cuts the rows itself (default
/// [`crate::emit::html::DEFAULT_ROWS`]), so it can say how many there were.
pub(super) fn attach(
    emit: &mut EmitOptions,
    params: &JobParams,
    inputs: &[InputSpec],
    bad: &RejectArgs,
) {
    let report = Report {
        title: format!("logmill {}", params.name()),
        inputs: inputs.iter().map(input).collect(),
        rejects: bad
            .rejects
            .as_ref()
            .map(|p| p.as_os_str().as_bytes().to_vec()),
        rows: emit.top.take(),
        ..Report::default()
    };
    emit.report = Some(Arc::new(report));
}

/// Whether a run counts the records it reads: for a report, which shows the number, and for a
/// partial (or bare lines), which carries it to the merge that shows it.
pub fn counts_records(emit: &EmitOptions, mode: EmitMode) -> bool {
    emit.report.is_some() || mode != EmitMode::Final
}

/// `emit` with the records the result's runs read (known or not) named in its report, when it
/// has one.
pub fn with_records(emit: &EmitOptions, records: RecordsRead) -> EmitOptions {
    let mut emit = emit.clone();
    if let Some(report) = emit.report.as_mut() {
        Arc::make_mut(report).records = Some(records);
    }
    emit
}

/// Flags that never change a result (how it is computed, where it goes), with whether they
/// take a value: left out of the title, so `-j1` and `-j8`, or `-o` to a dated file, give the
/// same page.
const NOT_IN_TITLE: &[(&str, bool)] = &[
    ("-j", true),
    ("--threads", true),
    ("--chunk-size", true),
    ("--memory", true),
    ("--temp-dir", true),
    ("--compress-temp", false),
    ("--mmap", true),
    ("--progress", true),
    ("--lock-timeout", true),
    ("-o", true),
    ("--output", true),
];

/// Names the report after the command line `args` (the program's arguments after its name),
/// quoted as a POSIX shell would need, when the output is an HTML report. Flags that do not
/// change the result ([`NOT_IN_TITLE`]) are left out.
pub fn set_command_line(emit: &mut EmitOptions, args: impl IntoIterator<Item = OsString>) {
    let Some(report) = emit.report.as_mut() else {
        return;
    };
    let mut title = String::from("logmill");
    let mut args = args.into_iter().map(|a| a.to_string_lossy().into_owned());
    let mut flags_done = false;
    while let Some(arg) = args.next() {
        if arg == "--" {
            flags_done = true;
        } else if !flags_done {
            if let Some(&(_, value)) = NOT_IN_TITLE.iter().find(|(f, _)| {
                arg == *f
                    || arg.starts_with(&format!("{f}="))
                    // `-j4`, `-ofile`: a short flag with its value attached.
                    || (f.len() == 2 && arg.starts_with(f) && arg.len() > 2)
            }) {
                if value && NOT_IN_TITLE.iter().any(|(f, _)| arg == *f) {
                    args.next();
                }
                continue;
            }
        }
        title.push(' ');
        title.push_str(&shell_quote(&arg));
    }
    Arc::make_mut(report).title = title;
}

/// `arg` as one shell word: itself when it is plain, else in single quotes.
fn shell_quote(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+@%^".contains(&b));
    if plain {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

/// An input's name and size (a regular file's length; none for stdin or a directory).
fn input(spec: &InputSpec) -> ReportInput {
    let size = match spec {
        InputSpec::Path(p) => std::fs::metadata(p)
            .ok()
            .filter(|m| m.is_file())
            .map(|m| m.len()),
        InputSpec::Part { start, end, .. } => Some(end.saturating_sub(*start)),
        InputSpec::Bytes { data, .. } => Some(data.len() as u64),
        InputSpec::Stdin => None,
    };
    ReportInput {
        name: spec.name_bytes(),
        size,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_words_the_shell_would_split_or_expand() {
        assert_eq!(shell_quote("--by"), "--by");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("$HOME"), "'$HOME'");
    }

    #[test]
    fn the_title_leaves_out_flags_that_do_not_change_the_result() {
        let mut emit = EmitOptions {
            report: Some(Arc::new(Report::default())),
            ..EmitOptions::default()
        };
        let args = [
            "words",
            "-j4",
            "--threads",
            "2",
            "--chunk-size=64K",
            "-o",
            "out.html",
            "--compress-temp",
            "--top",
            "5",
            "a b.log",
            "--",
            "-j1",
        ];
        set_command_line(&mut emit, args.iter().map(OsString::from));
        assert_eq!(
            emit.report.unwrap().title,
            "logmill words --top 5 'a b.log' -- -j1"
        );
    }
}
