//! The command line as clap sees it: raw flags only. Validation and defaults that need thought
//! live in `config.rs`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

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

    /// Worker threads [default: $LOGMILL_THREADS, else all cores].
    #[arg(short = 'j', long, global = true, value_name = "N")]
    pub threads: Option<usize>,

    /// Bytes of input per parallel work unit, extended to the next line end (e.g. 64K, 4M, 1G).
    /// Also the block size for stdin and other streams. Never changes the output.
    #[arg(long, global = true, value_name = "SIZE", default_value = "1M")]
    pub chunk_size: String,

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

    /// Group the records of structured logs (whitespace-split, CSV, JSON lines, access logs,
    /// syslog) by fields and aggregate fields per group.
    #[command(after_help = FIELDS_EXAMPLES)]
    Fields(Box<FieldsArgs>),
}

const FIELDS_EXAMPLES: &str = "\
Aggregations print as columns in the order given (count if none is given); rows are ordered by
the group's record count, descending, then by key. Bad records are left out, counted on stderr
and listed by --rejects; --strict makes the first one an error (exit 2).

Examples:
  logmill fields --format combined --by status access.log
  logmill fields --format combined --by status --count --sum bytes --pct bytes:50,99 access.log
  logmill fields --format csv --by region --mean latency --where 'path~^/api/' data.csv
  logmill fields --format jsonl --by req.method --distinct user.id events.jsonl
  logmill fields --by 1 --sum 3 -d '\t' table.tsv";

/// An aggregation flag's value with its place on the command line, so aggregations of
/// different kinds print in the order they were given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ordered {
    /// Position among all aggregation flags parsed by this process (increasing).
    pub seq: usize,
    /// The value (a field, or empty for `--count`).
    pub value: String,
}

/// clap parses arguments left to right and calls value parsers as it goes; a process-wide
/// counter records that order.
fn ordered(s: &str) -> Result<Ordered, std::convert::Infallible> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    Ok(Ordered {
        seq: NEXT.fetch_add(1, Ordering::Relaxed),
        value: s.to_string(),
    })
}

/// Flags of `logmill fields`.
#[derive(Debug, Args)]
pub struct FieldsArgs {
    /// Record format: `ws` splits on blanks like awk (or on -d CHAR like cut); `csv` reads
    /// RFC 4180 with a header; `jsonl` one JSON object a line; `combined`, `common` (access
    /// logs) and `syslog` are presets with named fields.
    #[arg(long, value_enum, default_value_t = FormatArg::Ws)]
    pub format: FormatArg,

    /// Field delimiter: one byte (`,`, `|`, `\t` or `tab`). With ws, fields split on every
    /// occurrence, as cut does; with csv, the CSV delimiter.
    #[arg(short = 'd', long, value_name = "CHAR")]
    pub delimiter: Option<String>,

    /// CSV: the first record is data, not field names (fields are then named by number).
    #[arg(long)]
    pub no_headers: bool,

    /// Group by these fields (1-based numbers, or names: CSV header, JSON key path, preset
    /// field). Without --by, all records form one group.
    #[arg(long, value_name = "FIELD,...", value_delimiter = ',')]
    pub by: Vec<String>,

    /// Number of records in the group (the default aggregation).
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "", value_parser = ordered, action = clap::ArgAction::Append, value_name = "")]
    pub count: Vec<Ordered>,

    /// Exact decimal sum of FIELD.
    #[arg(long, value_name = "FIELD", value_parser = ordered)]
    pub sum: Vec<Ordered>,

    /// Smallest value of FIELD (numeric).
    #[arg(long, value_name = "FIELD", value_parser = ordered)]
    pub min: Vec<Ordered>,

    /// Largest value of FIELD (numeric).
    #[arg(long, value_name = "FIELD", value_parser = ordered)]
    pub max: Vec<Ordered>,

    /// Exact mean of FIELD, rounded half away from zero to 6 decimal places.
    #[arg(long, value_name = "FIELD", value_parser = ordered)]
    pub mean: Vec<Ordered>,

    /// Exact number of distinct values of FIELD (memory grows with them).
    #[arg(long, value_name = "FIELD", value_parser = ordered)]
    pub distinct: Vec<Ordered>,

    /// Estimated number of distinct values of FIELD (HyperLogLog, at most 16 KiB a group,
    /// exact up to 1024 values, about 0.8% error beyond).
    #[arg(long, value_name = "FIELD", value_parser = ordered)]
    pub approx_distinct: Vec<Ordered>,

    /// Percentiles of FIELD (nearest rank), e.g. `latency:50,90,99`: within 1% of the exact
    /// value, from a mergeable log-bucket sketch.
    #[arg(long, value_name = "FIELD:P,...", value_parser = ordered)]
    pub pct: Vec<Ordered>,

    /// Compute --pct exactly (keeps every value in memory).
    #[arg(long)]
    pub exact_pct: bool,

    /// Keep only records where FIELD equals VALUE (`=`), matches REGEX (`~`), or not (`!=`,
    /// `!~`). Repeat for several conditions (all must hold).
    #[arg(long = "where", value_name = "FIELD=VALUE|FIELD~REGEX")]
    pub filters: Vec<String>,

    /// Write each bad record to FILE as `input:line:text`, in input and line order.
    #[arg(long, value_name = "FILE")]
    pub rejects: Option<PathBuf>,

    /// Stop at the first bad record with an error (exit 2) instead of leaving it out.
    #[arg(long)]
    pub strict: bool,

    /// Output order and truncation.
    #[command(flatten)]
    pub output: OutputArgs,

    /// Input files; `-` or none reads stdin.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

/// `--format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Whitespace-separated fields (or -d CHAR).
    Ws,
    /// RFC 4180 CSV.
    Csv,
    /// JSON lines.
    Jsonl,
    /// Apache/nginx combined access log.
    Combined,
    /// Apache common log format.
    Common,
    /// RFC 3164 style syslog.
    Syslog,
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

    #[test]
    fn aggregation_flags_keep_their_order() {
        let cli = Cli::try_parse_from([
            "logmill", "fields", "--sum", "a", "--count", "--mean", "b", "--sum", "c", "f.log",
        ])
        .unwrap();
        let Command::Fields(a) = cli.command else {
            panic!("not fields")
        };
        assert!(a.sum[0].seq < a.count[0].seq);
        assert!(a.count[0].seq < a.mean[0].seq);
        assert!(a.mean[0].seq < a.sum[1].seq);
        assert_eq!(a.count[0].value, "");
        assert_eq!(a.files, vec![PathBuf::from("f.log")]);
    }
}
