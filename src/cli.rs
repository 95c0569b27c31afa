//! The command line as clap sees it: raw flags only. Validation and defaults that need thought
//! live in `config.rs`.

use std::path::PathBuf;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use crate::jobs::args::{heading, whole_number};
pub use crate::jobs::args::{FormatArg, FormatArgs, OutputArgs, RejectArgs, SortArg};
pub use crate::jobs::JobCommand;

const EXAMPLES: &str = "\
Examples:
  logmill words book.txt                  word frequencies, most frequent first
  logmill words --top 10 a.log b.log      the ten most frequent words of two files
  cat big.log | logmill words --sort key  from stdin, in key order
  logmill completions bash > logmill.bash shell completions (bash, zsh, fish, ...)
  logmill man > logmill.1                 the manual page

Exit codes (when several apply, the first listed wins):
  2 error (no result): bad arguments, unreadable input (with --keep-going: every
    input), failed write; -o is not written, --state not saved
  5 --fail-if: a result row met a condition
  4 --max-rejects: too many bad records
  3 --keep-going: some inputs failed; the others' results are printed
  1 nothing matched (grep-style jobs)
  0 success
  130 interrupted (SIGINT), 143 terminated (SIGTERM): they stop the run
With 0, 1, 3, 4 and 5 the results are written (-o) and --state is saved.

Environment: LOGMILL_THREADS (like -j), LOGMILL_MEMORY (like --memory; flags win),
NO_COLOR (no colour in help).";

/// MapReduce-style counting of logs and text: chunked, parallel, deterministic.
#[derive(Debug, Parser)]
#[command(
    name = "logmill",
    version = env!("LOGMILL_VERSION"),
    about,
    after_long_help = EXAMPLES,
    max_term_width = 100
)]
pub struct Cli {
    /// The job to run.
    #[command(subcommand)]
    pub command: Command,

    // The shared flags, under headings by what they act on (see `jobs::args::heading`), after
    // a job's own flags (display orders from 1000, above any job's). The first paragraph of each doc comment is the
    // one line of `-h`; `--help` and the man page show all of it.
    /// Read directories recursively.
    ///
    /// Directories are read in name order, skipping hidden and binary files (see --hidden and
    /// --binary).
    #[arg(short = 'r', long, global = true, display_order = 1000, help_heading = heading::INPUT)]
    pub recursive: bool,

    /// With -r: also read hidden files.
    ///
    /// Hidden files and directories are those whose names start with '.'.
    #[arg(long, global = true, display_order = 1001, help_heading = heading::INPUT)]
    pub hidden: bool,

    /// With -r: also read binary files.
    ///
    /// A file is binary when its first 8 KiB hold a NUL byte.
    #[arg(long, global = true, display_order = 1002, help_heading = heading::INPUT)]
    pub binary: bool,

    /// Read input paths from FILE (`-` for stdin).
    ///
    /// One path a line, read after any FILE arguments.
    #[arg(long, global = true, display_order = 1003, value_name = "FILE", help_heading = heading::INPUT)]
    pub files_from: Option<PathBuf>,

    /// With --files-from: paths are NUL-separated.
    ///
    /// As `find -print0` writes them.
    #[arg(short = '0', long = "null", global = true, display_order = 1004, help_heading = heading::INPUT)]
    pub null: bool,

    /// Memory-map files.
    ///
    /// `auto` maps files of 1 MiB or more; `never` reads them, which is safe against files
    /// truncated in place during the run (copytruncate rotation).
    #[arg(long, global = true, display_order = 1005, value_enum, value_name = "WHEN", default_value_t = MmapArg::Auto, help_heading = heading::INPUT)]
    pub mmap: MmapArg,

    /// Fail when one input has more than SIZE bytes.
    ///
    /// Exit 2 when one input has more than SIZE bytes, after decompression: a bound for
    /// endless inputs such as /dev/zero or a gzip bomb. Default: no limit.
    #[arg(long, global = true, display_order = 1006, value_name = "SIZE", help_heading = heading::INPUT)]
    pub max_bytes: Option<String>,

    /// Fail when a line of a stream is longer than SIZE.
    ///
    /// Exit 2 when a line (a record, for CSV with quoted newlines and under --records) of a
    /// stream (stdin, a pipe, a compressed file, `--mmap never`) is longer than SIZE bytes, not
    /// counting its newline, whatever --chunk-size is. Memory-mapped files need no buffer and are not limited.
    #[arg(long, global = true, display_order = 1007, value_name = "SIZE", default_value = "1G", help_heading = heading::INPUT)]
    pub max_line: String,

    /// Go on past inputs that cannot be read.
    ///
    /// Report each unreadable input on stderr, print the results of the rest, and exit 3
    /// (exit 2 when every input failed: no result).
    #[arg(long, global = true, display_order = 1008, help_heading = heading::INPUT)]
    pub keep_going: bool,

    /// Exit 4 past N bad records, or P% of the records.
    ///
    /// The results are written first. P% is of the records bad plus counted, e.g. 100 or
    /// 0.5%. One line on stderr names the threshold.
    #[arg(long, global = true, display_order = 1008, value_name = "N|P%", help_heading = heading::INPUT)]
    pub max_rejects: Option<String>,

    /// Show progress.
    ///
    /// `auto` shows it only when stderr is a terminal.
    #[arg(long, global = true, display_order = 1009, value_enum, value_name = "WHEN", default_value_t = ProgressArg::Auto, help_heading = heading::OUTPUT)]
    pub progress: ProgressArg,

    /// Exit 5 when a result row meets EXPR (repeatable).
    ///
    /// EXPR is zero or more COLUMN=VALUE filters, then optionally one COLUMN>N or COLUMN<N,
    /// separated by spaces (e.g. 'count>1000', 'status=500 count>100', 'change=new'); columns
    /// as --header names them. The results are written first; any condition met fails the run.
    #[arg(long, global = true, display_order = 1009, value_name = "EXPR", help_heading = heading::OUTPUT)]
    pub fail_if: Vec<String>,

    /// Bound the memory of aggregates; spill past it.
    ///
    /// Bound the memory of partial aggregates (e.g. 256M, 4G): past it, workers spill sorted
    /// runs to --temp-dir and merge them back, so any number of distinct keys fits. Never
    /// changes the output [default: $LOGMILL_MEMORY, else half of physical memory].
    #[arg(long, global = true, display_order = 1010, value_name = "SIZE", help_heading = heading::MEMORY)]
    pub memory: Option<String>,

    /// Directory for the spilled runs of --memory.
    ///
    /// The default is $TMPDIR, else /tmp. The files are unlinked as soon as they are created:
    /// nothing is left behind, however logmill ends.
    #[arg(long, global = true, display_order = 1011, value_name = "DIR", help_heading = heading::MEMORY)]
    pub temp_dir: Option<PathBuf>,

    /// Compress the spilled runs of --memory (zstd).
    ///
    /// For a disk slower than the CPU.
    #[arg(long, global = true, display_order = 1012, help_heading = heading::MEMORY)]
    pub compress_temp: bool,

    /// Worker threads, from 1 to 1024.
    ///
    /// Never more than there are chunks to map [default: $LOGMILL_THREADS, else all cores].
    /// Never changes the output.
    #[arg(short = 'j', long, global = true, display_order = 1013, value_name = "N", value_parser = parse_threads, help_heading = heading::SCALE_OUT)]
    pub threads: Option<usize>,

    /// Bytes of input per parallel work unit.
    ///
    /// Extended to the next line end (e.g. 64K, 1.5M, 1G; at most 1T). Also the most a stdin
    /// or other stream block holds before it is mapped (blocks grow with the data, never to
    /// this size up front). Never changes the output.
    #[arg(long, global = true, display_order = 1014, value_name = "SIZE", default_value = "1M", help_heading = heading::SCALE_OUT)]
    pub chunk_size: String,

    /// What to print: final, partial or ranked.
    ///
    /// final: results. partial: a partial result that `logmill merge` combines with others
    /// (from other files, shards, machines or days) into the same final results. ranked
    /// (`reduce` only): its lines, each after the row's order key, for cutting a result into
    /// ranges of the final order (the Spark driver's --out-dir).
    #[arg(long, global = true, display_order = 1015, value_enum, value_name = "WHAT", default_value_t = EmitArg::Final, hide_possible_values = true, help_heading = heading::SCALE_OUT)]
    pub emit: EmitArg,

    /// Process only shard I of N (0-based).
    ///
    /// The inputs' bytes are split into N newline-aligned ranges, so N runs (on N machines or
    /// cron entries) cover every line exactly once.
    #[arg(long, global = true, display_order = 1016, value_name = "I/N", help_heading = heading::SCALE_OUT)]
    pub shard: Option<String>,

    /// With merge or reduce: keep only key partition P of R.
    ///
    /// Keeps the keys whose CRC-32 (of the key as a partial writes it) mod R is P, as the
    /// Spark driver sends keys to reducers; the result's coverage records the partition, and
    /// `merge --complete` wants every partition of every input.
    #[arg(long, global = true, display_order = 1016, value_name = "P/R", help_heading = heading::SCALE_OUT)]
    pub partition: Option<String>,

    /// Incremental runs: read only what was appended.
    ///
    /// Remember in FILE how far each input was read and the partial so far; the next run
    /// reads only what was appended (starting over a rotated or truncated file).
    #[arg(long, global = true, display_order = 1017, value_name = "FILE", help_heading = heading::SCALE_OUT)]
    pub state: Option<PathBuf>,

    /// With --state: results of the new bytes only.
    ///
    /// Print results for the newly read bytes only, not the running total.
    #[arg(long, global = true, display_order = 1018, requires = "state", help_heading = heading::SCALE_OUT)]
    pub since_last: bool,

    /// With --state: print what changed since the previous run.
    ///
    /// The running total against the previous run's, as `logmill diff` of the two states
    /// shows it (key, old, new, delta, change), instead of the total.
    #[arg(long, global = true, display_order = 1018, requires = "state", conflicts_with = "since_last", help_heading = heading::SCALE_OUT)]
    pub diff: bool,

    /// With --state: wait for another run's lock.
    ///
    /// How long to wait for another run using the same state file to finish (it holds
    /// FILE.lock); 0, the default, fails at once.
    #[arg(long, global = true, display_order = 1019, requires = "state", value_name = "SECONDS", help_heading = heading::SCALE_OUT)]
    pub lock_timeout: Option<String>,
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
        after_long_help = "\
Examples:
  cat part-0001 | logmill map words > words.map
  logmill map match '\" ([0-9]{3}) ' access.log"
    )]
    Map(JobCommand),

    /// Run a job's reduce stage: `KEY<TAB>STATE` lines from `logmill map` (sorted by key or not)
    /// on stdin (or FILEs), merged into final results (or `--emit partial` lines again).
    #[command(
        subcommand,
        after_long_help = "\
Examples:
  logmill map words < a.txt > a.map; logmill map words < b.txt > b.map
  cat a.map b.map | logmill reduce words --top 10"
    )]
    Reduce(JobCommand),

    /// Merge partial files (from `--emit partial`) of one job, in any order, into final
    /// results or one partial again.
    #[command(after_long_help = "\
Examples:
  logmill words --emit partial -o mon.partial mon.log
  logmill words --emit partial -o tue.partial tue.log
  logmill merge mon.partial tue.partial --top 10
  ssh host1 logmill words --emit partial /var/log/app.log > h1.partial  (and so on)
  logmill merge h*.partial --emit partial -o week.partial
  logmill merge --complete shard-*.partial   (fails, listing what is missing)")]
    Merge(Box<MergeArgs>),

    /// Show what changed between two partial or state files of one job.
    ///
    /// OLD and NEW must hold the same job and parameters. Rows: key, old count, new count,
    /// delta and change (new, gone, up, down), by |delta| descending, then key.
    #[command(after_long_help = "\
Examples:
  logmill diff yesterday.partial today.partial
  logmill diff --min-delta 10 --top 20 old.state new.state
  logmill diff --fail-if 'change=new' last.partial now.partial")]
    Diff(Box<DiffArgs>),
    /// Print what partial files cover, without merging them.
    ///
    /// For each partial: its runs' inputs and the byte ranges (and key partitions) it counted.
    /// Then `overlap:` when two count the same bytes and `missing:` retry lines for what none
    /// counted. Exit 0 when together they cover every input of their runs exactly once, 1
    /// otherwise.
    #[command(after_long_help = "\
Examples:
  logmill coverage shard-*.partial
  logmill coverage day-*.partial | grep '^missing:'")]
    Coverage(CoverageArgs),

    /// Print a shell completion script to stdout.
    #[command(after_long_help = "\
Examples:
  logmill completions bash > ~/.local/share/bash-completion/completions/logmill
  logmill completions zsh > ~/.zfunc/_logmill
  logmill completions fish > ~/.config/fish/completions/logmill.fish")]
    Completions(CompletionsArgs),

    /// Print the man page (roff) to stdout.
    #[command(after_long_help = "\
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

    /// Merge partials that count the same bytes twice.
    ///
    /// By default two partials that count the same bytes of an input (the same file merged
    /// twice, a day merged into a week that holds it) are refused: they would be counted twice.
    #[arg(long)]
    pub allow_overlap: bool,

    /// Fail unless the partials cover every input whole.
    ///
    /// Every input of every run named in any partial must be covered from byte 0 to its size,
    /// for every key partition; what is missing is listed on stderr as retry lines, e.g.
    /// `missing: shard 2/4 of a.log (bytes 5242880..7864320)`.
    #[arg(long)]
    pub complete: bool,
}

/// Flags of `logmill coverage`.
#[derive(Debug, Args)]
pub struct CoverageArgs {
    /// Partial (or state) files.
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
}

/// Flags of `logmill diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Output truncation (--top), format and destination (the order is always |delta|).
    #[command(flatten)]
    pub output: OutputArgs,

    /// Also list keys whose count did not change.
    ///
    /// Their change is `same`.
    #[arg(long)]
    pub unchanged: bool,

    /// Keep only changes of at least N.
    ///
    /// N is compared with the absolute delta.
    #[arg(long, value_name = "N", value_parser = crate::jobs::args::parse_rows)]
    pub min_delta: Option<usize>,

    /// Keep only changes by a factor of at least R.
    ///
    /// The factor is new/old or old/new (e.g. 2 or 1.5); new and gone keys always pass.
    #[arg(long, value_name = "R")]
    pub min_ratio: Option<String>,

    /// The older partial or state file.
    #[arg(value_name = "OLD")]
    pub old: PathBuf,

    /// The newer partial or state file (same job and parameters).
    #[arg(value_name = "NEW")]
    pub new: PathBuf,
}

/// `--emit` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum EmitArg {
    /// Final results.
    #[default]
    Final,
    /// A partial result (header line, then `KEY<TAB>STATE` lines) for `logmill merge`.
    Partial,
    /// With `logmill reduce`: its `KEY<TAB>STATE` lines, each preceded by the row's order key
    /// (hex bytes that sort as the final order of --sort) and a TAB; with --top N, only the
    /// first N rows. For range-partitioning a result by order (the Spark driver's --out-dir).
    Ranked,
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
