//! Raw flags of the regex jobs, `grep` and `match`. The flag letters are grep's and ripgrep's.

use std::path::PathBuf;

use clap::Args;

use super::OutputArgs;

pub(super) const GREP_EXAMPLES: &str = "\
Examples:
  logmill grep ' 404 ' access.log           lines containing \" 404 \"
  logmill grep -F -e GET -e HEAD access.log  lines containing GET or HEAD (literal strings)
  logmill grep -v -i bot --by-file *.log     per file: lines without \"bot\" in any case
  logmill grep -q ERROR app.log && echo hit  exit code only: 0 found, 1 none, 2 error

Lines end at \\n (a \\r before it is part of the line); ^ and $ match at line edges and so do
\\A and \\z. Matches never span lines.";

pub(super) const MATCH_EXAMPLES: &str = "\
Examples:
  logmill match 'HTTP/1\\.[01]\" (\\d{3}) ' access.log     requests per status code
  logmill match '^(\\S+)' --top 10 access.log            the ten busiest client IPs
  logmill match '\" (?P<status>\\d{3}) (?P<bytes>\\S+)' --sum bytes access.log
                                                        requests and bytes per status
  logmill match --all 'user=(\\w+)' app.log              every user= on each line

Output: one column per capture group (the whole match without groups), then count, then
sum_<group> with --sum. TSV cells escape \\, TAB, LF and CR as \\\\, \\t, \\n, \\r.";

/// Flags of `logmill grep`.
#[derive(Debug, Args)]
pub struct GrepArgs {
    /// The regex (Rust syntax, bytes mode: invalid UTF-8 in the input is fine). With -e, every
    /// positional argument is a file.
    #[arg(value_name = "PATTERN", required_unless_present = "regexp")]
    pub pattern: Option<String>,

    /// A pattern; repeat to match any of several (a line counts once).
    #[arg(
        short = 'e',
        long = "regexp",
        value_name = "PATTERN",
        allow_hyphen_values = true
    )]
    pub regexp: Vec<String>,

    /// Treat patterns as literal strings.
    #[arg(short = 'F', long)]
    pub fixed_strings: bool,

    /// Match case-insensitively.
    #[arg(short = 'i', long)]
    pub ignore_case: bool,

    /// Count the lines that do not match.
    #[arg(short = 'v', long)]
    pub invert_match: bool,

    /// Only whole-word matches: preceded and followed by a non-word character or a line edge.
    #[arg(short = 'w', long)]
    pub word_regexp: bool,

    /// Only matches of the whole line.
    #[arg(short = 'x', long)]
    pub line_regexp: bool,

    /// Print the count only (the default; accepted for grep habits).
    #[arg(short = 'c', long)]
    pub count: bool,

    /// Print nothing; the exit code tells whether a line was selected.
    #[arg(short = 'q', long, conflicts_with = "by_file")]
    pub quiet: bool,

    /// Print `file<TAB>count` per input in argument order, then `total<TAB>count`.
    #[arg(long)]
    pub by_file: bool,

    /// Output format and destination.
    #[command(flatten)]
    pub format: super::FormatArgs,

    /// Input files; `-` or none reads stdin.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

/// Flags of `logmill match`.
#[derive(Debug, Args)]
pub struct MatchArgs {
    /// The regex; its capture groups form the key.
    #[arg(value_name = "PATTERN")]
    pub pattern: String,

    /// Match case-insensitively.
    #[arg(short = 'i', long)]
    pub ignore_case: bool,

    /// Count every match on a line, not only the first.
    #[arg(long)]
    pub all: bool,

    /// Sum this capture group (a number or a name) per key, exactly; it leaves the key.
    /// Matches where it is not a number (or not one that can be held exactly) are bad
    /// records: left out, counted on stderr and listed by --rejects.
    #[arg(long, value_name = "GROUP")]
    pub sum: Option<String>,

    /// Where bad records go: `--rejects FILE`, `--strict`.
    #[command(flatten)]
    pub bad: super::RejectArgs,

    /// Output order and truncation.
    #[command(flatten)]
    pub output: OutputArgs,

    /// Input files; `-` or none reads stdin.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
}
