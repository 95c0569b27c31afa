//! Flags every job shares, as clap groups a job's own flags flatten: how rows are ordered and
//! cut, how and where they are written, and where bad records go.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

/// The headings of `-h` and `--help` under which the shared flags are listed, by what they act
/// on; a job's own flags come first, under clap's "Options".
pub mod heading {
    /// What a bad record does.
    pub const BAD_RECORDS: &str = "Bad records";
    /// Order, truncation, format and destination of the results; progress.
    pub const OUTPUT: &str = "Output";
    /// Which inputs are read and how.
    pub const INPUT: &str = "Input";
    /// The memory bound and spilling.
    pub const MEMORY: &str = "Memory";
    /// Threads, chunks, shards, partials and incremental state.
    pub const SCALE_OUT: &str = "Scale-out";
}

/// Flags shared by every job that can reject a record (a bad record is left out of the
/// results and counted on stderr): where the bad records go, or whether one stops the run.
#[derive(Debug, Args, Default, Clone)]
#[group(id = "bad-records", multiple = true)]
#[command(next_help_heading = heading::BAD_RECORDS)]
pub struct RejectArgs {
    /// Write each bad record to FILE.
    ///
    /// Each bad record is written as `input:line:text`, in input and line order. FILE is
    /// replaced atomically, as -o is, and may not be an input nor another output.
    #[arg(long, value_name = "FILE")]
    pub rejects: Option<PathBuf>,

    /// Stop at the first bad record (exit 2).
    ///
    /// The first bad record is an error (exit 2) instead of being left out.
    #[arg(long)]
    pub strict: bool,
}

/// Flags shared by every job that prints a keyed table.
#[derive(Debug, Args)]
#[command(next_help_heading = heading::OUTPUT)]
pub struct OutputArgs {
    /// Order of the rows.
    ///
    /// By count (descending, ties by key) or by key.
    #[arg(long, value_enum, default_value_t = SortArg::Count)]
    pub sort: SortArg,

    /// Print only the first N rows in that order.
    #[arg(long, value_name = "N", value_parser = parse_rows)]
    pub top: Option<usize>,

    /// Keep the N most frequent rows per value of the first key column.
    ///
    /// For two or more key columns: the N rows with the highest count within each value of
    /// the first key column (ties by key), each group's rows together, groups in the order
    /// of their first row; --top then cuts the list.
    #[arg(long, value_name = "N", value_parser = parse_rows)]
    pub top_per: Option<usize>,

    /// Output format and destination.
    #[command(flatten)]
    pub format: FormatArgs,
}

/// Flags shared by every job: how and where results are written.
#[derive(Debug, Args, Default)]
#[command(next_help_heading = heading::OUTPUT)]
pub struct FormatArgs {
    /// Format.
    ///
    /// Keys are raw bytes in tsv and csv; json, jsonl and html show bytes that are not UTF-8
    /// as U+FFFD and say so on stderr. html is a self-contained report page (at most --top
    /// rows, 1000 by default).
    #[arg(long, value_enum, default_value_t = FormatArg::Tsv, value_name = "FMT")]
    pub output_format: FormatArg,

    /// Start tsv output with column names.
    ///
    /// A first line names the columns; csv always has one.
    #[arg(long)]
    pub header: bool,

    /// Write results to PATH instead of stdout.
    ///
    /// PATH is written atomically: it is replaced only when the run succeeds, and keeps its previous content if it fails or is interrupted. PATH may not be
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
    /// A self-contained HTML report page (at most --top rows, 1000 by default).
    Html,
}

/// `--sort` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SortArg {
    /// Count descending, then key ascending by bytes.
    Count,
    /// Key ascending by bytes.
    Key,
}

/// Parses `--top N`.
pub(crate) fn parse_rows(s: &str) -> Result<usize, String> {
    whole_number(s).ok_or_else(|| "expected a whole number of rows, e.g. 10".to_string())
}

/// A whole number written with digits only (no sign), if it fits.
pub fn whole_number(s: &str) -> Option<usize> {
    let t = s.trim();
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse().ok()
}
