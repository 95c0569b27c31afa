//! The command line as clap sees it: raw flags only. Validation and defaults that need thought
//! live in `config.rs`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

mod search;
pub use search::{GrepArgs, MatchArgs};

const EXAMPLES: &str = "\
Examples:
  logmill words book.txt                  word frequencies, most frequent first
  logmill words --top 10 a.log b.log      the ten most frequent words of two files
  cat big.log | logmill words --sort key  from stdin, in key order

Exit codes: 0 success, 1 nothing matched (grep-style jobs), 2 error.";

/// MapReduce-style counting of logs and text: chunked, parallel, deterministic.
#[derive(Debug, Parser)]
#[command(name = "logmill", version, about, after_help = EXAMPLES)]
pub struct Cli {
    /// The job to run.
    #[command(subcommand)]
    pub command: Command,

    /// Worker threads [default: all cores].
    #[arg(
        short = 'j',
        long,
        global = true,
        env = "LOGMILL_THREADS",
        value_name = "N"
    )]
    pub threads: Option<usize>,

    /// Bytes of input per parallel work unit, extended to the next line end (e.g. 64K, 4M, 1G).
    /// Also the block size for stdin and other streams. Never changes the output.
    #[arg(long, global = true, value_name = "SIZE", default_value = "1M")]
    pub chunk_size: String,
}

/// The jobs.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Count word frequencies (a word is a run of non-whitespace bytes, lowercased in ASCII).
    #[command(after_help = "\
Examples:
  logmill words kjv.txt | head             the most frequent words
  logmill words --unicode --top 20 *.txt   Unicode-aware words, top 20
  zcat old.log.gz | logmill words          from a pipe, in bounded memory")]
    Words(WordsArgs),

    /// Count the lines that match a regex, like `grep -c` (exit 1 when none match).
    #[command(after_help = search::GREP_EXAMPLES)]
    Grep(GrepArgs),

    /// Count regex matches grouped by their capture groups, like
    /// `rg -o -r '$1' PATTERN | sort | uniq -c | sort -rn`.
    #[command(after_help = search::MATCH_EXAMPLES)]
    Match(MatchArgs),
}

/// Flags of `logmill words`.
#[derive(Debug, Args)]
pub struct WordsArgs {
    /// Split words at Unicode non-alphanumerics and lowercase them by Unicode rules.
    #[arg(long)]
    pub unicode: bool,

    /// Output order and truncation.
    #[command(flatten)]
    pub output: OutputArgs,

    /// Input files; `-` or none reads stdin.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

/// Flags shared by every job that prints a keyed table.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Order of the rows: by count (descending, ties by key) or by key.
    #[arg(long, value_enum, default_value_t = SortArg::Count)]
    pub sort: SortArg,

    /// Print only the first N rows in that order.
    #[arg(long, value_name = "N")]
    pub top: Option<usize>,
}

/// `--sort` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SortArg {
    /// Count descending, then key ascending by bytes.
    Count,
    /// Key ascending by bytes.
    Key,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
