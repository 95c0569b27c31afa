//! The command line as clap sees it: raw flags only. Validation and defaults that need thought
//! live in `config.rs`.

use std::path::PathBuf;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

mod fields;
mod search;
pub use fields::{FieldsArgs, Ordered, RecordFormat};
pub use search::{GrepArgs, MatchArgs};

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

    /// Fail (exit 2) when a line (a record, for CSV with quoted newlines) of a stream (stdin,
    /// a pipe, a compressed file, `--mmap never`) is longer than SIZE bytes, not counting its
    /// newline, whatever --chunk-size is. Memory-mapped files need no buffer and are not
    /// limited.
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

/// The jobs, with their own flags.
#[derive(Debug, Subcommand)]
pub enum JobCommand {
    /// Count word frequencies (a word is a run of non-whitespace bytes, lowercased in ASCII).
    #[command(after_help = "\
Examples:
  logmill words kjv.txt | head             the most frequent words
  logmill words --unicode --top 20 *.txt   Unicode-aware words, top 20
  zcat old.log.gz | logmill words          from a pipe, in bounded memory
  logmill words --output-format csv a.log  as CSV with a header (also json, jsonl)
  logmill words -o counts.tsv *.log        to a file, replaced only when the run succeeds")]
    Words(WordsArgs),

    /// Count the lines that match a regex, like `grep -c` (exit 1 when none match).
    #[command(after_help = search::GREP_EXAMPLES)]
    Grep(GrepArgs),

    /// Count regex matches grouped by their capture groups, like
    /// `rg -o -r '$1' PATTERN | sort | uniq -c | sort -rn`.
    #[command(after_help = search::MATCH_EXAMPLES)]
    Match(MatchArgs),

    /// Group the records of structured logs (whitespace-split, CSV, JSON lines, access logs,
    /// syslog) by fields and aggregate fields per group.
    #[command(after_help = fields::FIELDS_EXAMPLES)]
    Fields(Box<FieldsArgs>),
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

/// Flags of `logmill words`.
#[derive(Debug, Args)]
pub struct WordsArgs {
    /// Words are Unicode words (UAX #29 segments holding a letter or digit: `don't` is one
    /// word), lowercased by Unicode rules and written in NFC; invalid UTF-8 separates words.
    #[arg(long)]
    pub unicode: bool,

    /// Output order and truncation.
    #[command(flatten)]
    pub output: OutputArgs,

    /// Input files; `-` or none reads stdin.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

/// Flags shared by every job that can reject a record (a bad record is left out of the
/// results and counted on stderr): where the bad records go, or whether one stops the run.
#[derive(Debug, Args, Default, Clone)]
#[group(id = "bad-records", multiple = true)]
pub struct RejectArgs {
    /// Write each bad record to FILE as `input:line:text`, in input and line order. FILE is
    /// replaced atomically, as -o is, and may not be an input nor another output.
    #[arg(long, value_name = "FILE")]
    pub rejects: Option<PathBuf>,

    /// Stop at the first bad record with an error (exit 2) instead of leaving it out.
    #[arg(long)]
    pub strict: bool,
}

/// Flags shared by every job that prints a keyed table.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Order of the rows: by count (descending, ties by key) or by key.
    #[arg(long, value_enum, default_value_t = SortArg::Count)]
    pub sort: SortArg,

    /// Print only the first N rows in that order.
    #[arg(long, value_name = "N", value_parser = parse_rows)]
    pub top: Option<usize>,

    /// Output format and destination.
    #[command(flatten)]
    pub format: FormatArgs,
}

/// Flags shared by every job: how and where results are written.
#[derive(Debug, Args, Default)]
pub struct FormatArgs {
    /// Output format. Keys are raw bytes in tsv and csv; json and jsonl show bytes that are
    /// not UTF-8 as U+FFFD and say so on stderr.
    #[arg(long, value_enum, default_value_t = FormatArg::Tsv, value_name = "FORMAT")]
    pub output_format: FormatArg,

    /// Start tsv output with a line of column names (csv always has one).
    #[arg(long)]
    pub header: bool,

    /// Write results to PATH instead of stdout, atomically: PATH is replaced only when the run
    /// succeeds, and keeps its previous content if it fails or is interrupted. PATH may not be
    /// an input (except for merge) nor another output.
    #[arg(short = 'o', long, value_name = "PATH")]
    pub output: Option<PathBuf>,
}

/// `--output-format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum FormatArg {
    /// Tab-separated `key<TAB>count` lines.
    #[default]
    Tsv,
    /// CSV with a header record, quoted where needed.
    Csv,
    /// One JSON array of objects.
    Json,
    /// One JSON object a line (JSON Lines).
    Jsonl,
}

/// `--sort` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SortArg {
    /// Count descending, then key ascending by bytes.
    Count,
    /// Key ascending by bytes.
    Key,
}

/// Parses a thread count such as `-j 4`, saying what was wrong in the user's terms (the range
/// is checked with `LOGMILL_THREADS`, in `config.rs`).
fn parse_threads(s: &str) -> Result<usize, String> {
    let max = crate::engine::MAX_THREADS;
    whole_number(s).ok_or_else(|| format!("expected a number of worker threads from 1 to {max}"))
}

/// Parses `--top N`.
fn parse_rows(s: &str) -> Result<usize, String> {
    whole_number(s).ok_or_else(|| "expected a whole number of rows, e.g. 10".to_string())
}

/// A whole number written with digits only (no sign), if it fits.
fn whole_number(s: &str) -> Option<usize> {
    let t = s.trim();
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse().ok()
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
