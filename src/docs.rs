//! Shell completions and the man page, generated from the clap definition in `cli.rs` so they
//! never drift from the flags (`logmill completions SHELL`, `logmill man`).
//!
//! Both are rendered into memory first: clap_complete panics when its writer fails, and a
//! closed stdout (`logmill man | head`) must end quietly like any other output.

use std::io::{self, Write};

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;

/// Writes the completion script for `shell` to `out`.
pub fn completions(shell: Shell, out: &mut dyn Write) -> io::Result<()> {
    let mut cmd = Cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, "logmill", &mut buf);
    out.write_all(&buf)?;
    out.flush()
}

/// Writes the man page (roff, section 1) to `out`: the top-level page with a section for each
/// subcommand's options and examples.
pub fn man(out: &mut dyn Write) -> io::Result<()> {
    let mut cmd = Cli::command();
    // Sets the subcommands' bin names ("logmill words") for their synopses.
    cmd.build();
    let page = clap_mangen::Man::new(cmd.clone());
    let mut buf = Vec::new();
    page.render_title(&mut buf)?;
    page.render_name_section(&mut buf)?;
    page.render_synopsis_section(&mut buf)?;
    page.render_description_section(&mut buf)?;
    page.render_options_section(&mut buf)?;
    page.render_subcommands_section(&mut buf)?;
    for sub in cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
    {
        let name = sub.get_bin_name().unwrap_or(sub.get_name()).to_uppercase();
        writeln!(buf, ".SH \"{name}\"")?;
        let sub_page = clap_mangen::Man::new(sub.clone());
        let mut sections = Vec::new();
        sub_page.render_synopsis_section(&mut sections)?;
        sub_page.render_description_section(&mut sections)?;
        if sub.get_arguments().any(|a| !a.is_hide_set()) {
            sub_page.render_options_section(&mut sections)?;
        }
        if sub.get_after_help().is_some() || sub.get_after_long_help().is_some() {
            sub_page.render_extra_section(&mut sections)?;
        }
        buf.extend_from_slice(&retitle(&sections, ".SS ", "EXAMPLES"));
    }
    let mut extra = Vec::new();
    page.render_extra_section(&mut extra)?;
    buf.extend_from_slice(&retitle(&extra, ".SH ", "\"EXAMPLES AND EXIT STATUS\""));
    page.render_version_section(&mut buf)?;
    out.write_all(&once_preamble(&buf))?;
    out.flush()
}

/// Keeps only the first copy of the two-line preamble roff puts before every rendered piece.
fn once_preamble(roff: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(roff.len());
    let mut seen = [false; 2];
    for line in roff.split_inclusive(|&b| b == b'\n') {
        let which = [&b".ie \\n(.g .ds Aq"[..], b".el .ds Aq "]
            .iter()
            .position(|p| line.starts_with(p));
        if let Some(i) = which {
            if seen[i] {
                continue;
            }
            seen[i] = true;
        }
        out.extend_from_slice(line);
    }
    out
}

/// Rewrites `.SH` section headings as `heading` (`.SS ` nests a subcommand's sections under its
/// own `.SH`), and names clap_mangen's `EXTRA` section (our `after_help`) `extra`.
fn retitle(roff: &[u8], heading: &str, extra: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(roff.len());
    for line in roff.split_inclusive(|&b| b == b'\n') {
        if let Some(rest) = line.strip_prefix(b".SH ") {
            out.extend_from_slice(heading.as_bytes());
            if rest == b"EXTRA\n" {
                out.extend_from_slice(extra.as_bytes());
                out.push(b'\n');
            } else {
                out.extend_from_slice(rest);
            }
        } else {
            out.extend_from_slice(line);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn man_page_has_a_section_per_subcommand() {
        let mut out = Vec::new();
        man(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.matches(".ds Aq").count(), 2, "{text}");
        assert!(text.contains("\n.TH logmill 1"), "{text}");
        assert!(!text.contains("LOGMILL HELP"), "{text}");
        assert!(text.contains(".SH \"LOGMILL WORDS\""), "{text}");
        assert!(text.contains("output\\-format"), "{text}");
    }

    #[test]
    fn retitles_only_headings() {
        assert_eq!(
            retitle(
                b".SH OPTIONS\n.TP\n.SH EXTRA\ntext .SH no\n",
                ".SS ",
                "EXAMPLES"
            ),
            b".SS OPTIONS\n.TP\n.SS EXAMPLES\ntext .SH no\n"
        );
    }
}
