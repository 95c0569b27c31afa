//! The command line as clap sees it: raw flags only. Validation and defaults that need thought
//! live in `config.rs`.

use std::path::PathBuf;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use crate::jobs::args::whole_number;
pub use crate::jobs::args::{FormatArg, FormatArgs, OutputArgs, RejectArgs, SortArg};
pub use crate::jobs::JobCommand;

const EXAMPLES: &str = "\
Examples:
  logmill words book.txt                  word frequencies, most frequent first
  logmill words --top 10 a.log b.log      the ten most frequent words of two files
  cat big.log | logmill words --sort key  from stdin, in key order
  logmill completions bash > logmill.bash shell completions (bash, zsh, fish, ...)
  logmill man > logmill.1                 the manual page

Exit codes: 0 success, 1 nothing matched (grep-style jobs), 2 error,
130 interrupted (SIGINT), 143 terminated (SIGTERM).

Environment: LOGMILL_THREADS (like -j), LOGMILL_MEMORY (like --memory; flags win),
NO_COLOR (no colour in help).";

/// MapReduce-style counting of logs and text: chunked, parallel, deterministic.
#[derive(Debug, Parser)]
#[command(
    name = "logmill",
    version = env!("LOGMILL_VERSION"),
    about,
    after_help = EXAMPLES
)]
pub struct Cli {
    /// The job to run.
    #[command(subcommand)]
    pub command: Command,

    /// Worker threads, from 1 to 1024; never more than there are chunks to map
    /// [default: $LOGMILL_THREADS, else all cores].
    #[arg(short = 'j', long, global = true, value_name = "N", value_parser = parse_threads)]
    pub threads: Option<usize>,

    /// Bytes of input per parallel work unit, extended to the next line end (e.g. 64K, 1.5M,
    /// 1G; at most 1T). Also the most a stdin or other stream block holds before it is mapped
    /// (blocks grow with the data, never to this size up front). Never changes the output.
    #[arg(long, global = true, value_name = "SIZE", default_value = "1M")]
    pub chunk_size: String,

    /// Fail (exit 2) when one input has more than SIZE bytes, after decompression: a bound for
    /// endless inputs such as /dev/zero or a gzip bomb. Default: no limit.
    #[arg(long, global = true, value_name = "SIZE")]
    pub max_bytes: Option<String>,

    /// Fail (exit 2) when a line (a record, for CSV with quoted newlines and under --records)
    /// of a stream (stdin, a pipe, a compressed file, `--mmap never`) is longer than SIZE bytes,
    /// not counting its newline, whatever --chunk-size is. Memory-mapped files need no buffer
    /// and are not limited.
    #[arg(long, global = true, value_name = "SIZE", default_value = "1G")]
    pub max_line: String,

    /// Read directories recursively (in name order), skipping hidden and binary files.
    #[arg(short = 'r', long, global = true)]
    pub recursive: bool,

    /// With -r: also read hidden files and directories (names starting with '.').
    #[arg(long, global = true)]
    pub hidden: bool,

    /// With -r: also read binary files (a NUL byte in the first 8 KiB).
    #[arg(long, global = true)]
    pub binary: bool,

    /// Read input paths from FILE (`-` for stdin), one per line, after any FILE arguments.
    #[arg(long, global = true, value_name = "FILE")]
    pub files_from: Option<PathBuf>,

    /// With --files-from: paths are separated by NUL bytes (as `find -print0` writes them).
    #[arg(short = '0', long = "null", global = true)]
    pub null: bool,

    /// Memory-map files: `auto` maps files of 1 MiB or more; `never` reads them, which is safe
    /// against files truncated in place during the run (copytruncate rotation).
    #[arg(long, global = true, value_enum, default_value_t = MmapArg::Auto)]
    pub mmap: MmapArg,

    /// Go on past inputs that cannot be read: report each on stderr, print the results of
    /// the rest, and exit 2.
    #[arg(long, global = true)]
    pub keep_going: bool,

    /// What to print: final results, or a partial result that `logmill merge` combines with
    /// others (from other files, shards, machines or days) into the same final results.
    #[arg(long, global = true, value_enum, default_value_t = EmitArg::Final)]
    pub emit: EmitArg,

    /// Process only shard I of N (0-based): the inputs' bytes are split into N newline-aligned
    /// ranges, so N runs (on N machines or cron entries) cover every line exactly once.
    #[arg(long, global = true, value_name = "I/N")]
    pub shard: Option<String>,

    /// Incremental runs: remember in FILE how far each input was read and the partial so far;
    /// the next run reads only what was appended (starting over a rotated or truncated file).
    #[arg(long, global = true, value_name = "FILE")]
    pub state: Option<PathBuf>,

    /// With --state: print results for the newly read bytes only, not the running total.
    #[arg(long, global = true, requires = "state")]
    pub since_last: bool,

    /// With --state: how long to wait for another run using the same state file to finish
    /// (it holds FILE.lock); 0, the default, fails at once.
    #[arg(long, global = true, requires = "state", value_name = "SECONDS")]
    pub lock_timeout: Option<String>,

    /// Bound the memory of partial aggregates (e.g. 256M, 4G): past it, workers spill sorted
    /// runs to --temp-dir and merge them back, so any number of distinct keys fits. Never
    /// changes the output [default: $LOGMILL_MEMORY, else half of physical memory].
    #[arg(long, global = true, value_name = "SIZE")]
    pub memory: Option<String>,

    /// Directory for the temporary runs of --memory [default: $TMPDIR, else /tmp]. The files
    /// are unlinked as soon as they are created: nothing is left behind, however logmill ends.
    #[arg(long, global = true, value_name = "DIR")]
    pub temp_dir: Option<PathBuf>,

    /// Compress the temporary runs of --memory with zstd (for a disk slower than the CPU).
    #[arg(long, global = true)]
    pub compress_temp: bool,

    /// Show progress on stderr: `auto` only when stderr is a terminal.
    #[arg(long, global = true, value_enum, default_value_t = ProgressArg::Auto)]
    pub progress: ProgressArg,
}

/// `--mmap` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MmapArg {
    /// Map files of 1 MiB or more, read smaller ones.
    Auto,
    /// Map every regular file.
    Always,
    /// Never map; read files as streams.
    Never,
}

/// `--progress` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProgressArg {
    /// Only when stderr is a terminal.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// The commands: the jobs, their map and reduce stages, merging partials, and documentation.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// A job run over inputs.
    #[command(flatten)]
    Job(JobCommand),

    /// Run a job's map stage: records on stdin (or FILEs) to `KEY<TAB>STATE` lines, combined
    /// per process (the mapper of Hadoop Streaming or Spark's `RDD.pipe`).
    #[command(
        subcommand,
        after_help = "\
Examples:
  cat part-0001 | logmill map words > words.map
  logmill map match '\" ([0-9]{3}) ' access.log"
    )]
    Map(JobCommand),

    /// Run a job's reduce stage: `KEY<TAB>STATE` lines from `logmill map` (sorted by key or not)
    /// on stdin (or FILEs), merged into final results (or `--emit partial` lines again).
    #[command(
        subcommand,
        after_help = "\
Examples:
  logmill map words < a.txt > a.map; logmill map words < b.txt > b.map
  cat a.map b.map | logmill reduce words --top 10"
    )]
    Reduce(JobCommand),

    /// Merge partial files (from `--emit partial`) of one job, in any order, into final
    /// results or one partial again.
    #[command(after_help = "\
Examples:
  logmill words --emit partial -o mon.partial mon.log
  logmill words --emit partial -o tue.partial tue.log
  logmill merge mon.partial tue.partial --top 10
  ssh host1 logmill words --emit partial /var/log/app.log > h1.partial  (and so on)
  logmill merge h*.partial --emit partial -o week.partial")]
    Merge(MergeArgs),

    /// Print a shell completion script to stdout.
    #[command(after_help = "\
Examples:
  logmill completions bash > ~/.local/share/bash-completion/completions/logmill
  logmill completions zsh > ~/.zfunc/_logmill
  logmill completions fish > ~/.config/fish/completions/logmill.fish")]
    Completions(CompletionsArgs),

    /// Print the man page (roff) to stdout.
    #[command(after_help = "\
Examples:
  logmill man | man -l -                   read it
  logmill man > /usr/local/share/man/man1/logmill.1")]
    Man,
}

/// Flags of `logmill merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Output order, truncation, format and destination.
    #[command(flatten)]
    pub output: OutputArgs,

    /// Partial files; `-` or none reads stdin.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

/// `--emit` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum EmitArg {
    /// Final results.
    #[default]
    Final,
    /// A partial result (header line, then `KEY<TAB>STATE` lines) for `logmill merge`.
    Partial,
}

/// Flags of `logmill completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to write completions for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Parses a thread count such as `-j 4`, saying what was wrong in the user's terms (the range
/// is checked with `LOGMILL_THREADS`, in `config.rs`).
fn parse_threads(s: &str) -> Result<usize, String> {
    let max = crate::engine::MAX_THREADS;
    whole_number(s).ok_or_else(|| format!("expected a number of worker threads from 1 to {max}"))
}

/// Parses the process's arguments, exiting with a message on bad ones (code 2) or after
/// `--help`/`--version` (code 0). `NO_COLOR` (set and not empty, see no-color.org) turns off
/// the styling of help and error messages.
pub fn parse() -> Cli {
    let mut cmd = Cli::command();
    if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
        cmd = cmd.color(clap::ColorChoice::Never);
    }
    let matches = cmd.get_matches();
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::args::parse_rows;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn counts_say_what_was_wrong() {
        assert_eq!(parse_threads(" 4 "), Ok(4));
        for bad in ["", "x", "-1", "1.5", "99999999999999999999999"] {
            let e = parse_threads(bad).unwrap_err();
            assert!(e.contains("from 1 to 1024"), "{bad}: {e}");
        }
        assert_eq!(parse_rows("0"), Ok(0));
        assert!(parse_rows("ten")
            .unwrap_err()
            .contains("whole number of rows"));
    }
}
