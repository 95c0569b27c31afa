//! Flags every job shares, as clap groups a job's own flags flatten: how rows are ordered and
//! cut, how and where they are written, and where bad records go.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::chunk::{Preset, RecordRule, RecordSpec};

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

    /// Add a column `example`: FILE:LINE of each key's first record.
    ///
    /// Each key's first record, as FILE:LINE: the earliest record in argument order of the
    /// inputs, then byte offset (a merge of partials from runs over other input lists orders
    /// inputs by path bytes). When the lines before it were not all counted (a shard merged without the
    /// shards before it), the column holds FILE@BYTE_OFFSET instead.
    #[arg(long)]
    pub example: bool,

    /// Like --example, and a column `example_text` with the line.
    ///
    /// Like --example, and a column `example_text` with that record's first line (TAB, LF, CR
    /// and backslash escaped in TSV as keys are).
    #[arg(long)]
    pub example_text: bool,

    /// Output format and destination.
    #[command(flatten)]
    pub format: FormatArgs,
}

impl OutputArgs {
    /// What `--example` and `--example-text` ask for.
    pub fn example_mode(&self) -> Option<crate::jobs::example::ExampleMode> {
        use crate::jobs::example::ExampleMode;
        match (self.example, self.example_text) {
            (_, true) => Some(ExampleMode::Text),
            (true, false) => Some(ExampleMode::Place),
            _ => None,
        }
    }
}

/// Flags shared by every job: how and where results are written.
#[derive(Debug, Args, Default)]
#[command(next_help_heading = heading::OUTPUT)]
pub struct FormatArgs {
    /// Format: tsv, csv, json, jsonl, chart or html.
    ///
    /// Keys are raw bytes in tsv and csv; json, jsonl and html show bytes that are not UTF-8
    /// as U+FFFD and say so on stderr. chart is a bar chart for the terminal; html is a
    /// self-contained report page (at most --top rows, 1000 by default).
    #[arg(
        long,
        value_enum,
        default_value_t = FormatArg::Tsv,
        value_name = "FMT",
        hide_possible_values = true
    )]
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

    /// Draw `--output-format chart` with ASCII only (as under LC_ALL=C)
    #[arg(long)]
    pub ascii: bool,

    /// Time buckets and windows (every job has them, so they sit with the output flags).
    #[command(flatten)]
    pub time: TimeArgs,
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
    /// A bar chart for the terminal
    Chart,
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

/// Flags shared by every job: time buckets and windows from the records' own timestamps.
/// (`--since TIME` is a time window; `--since-last` of `--state` is something else.)
#[derive(Debug, Args, Default, Clone)]
#[group(id = "time-options", multiple = true)]
pub struct TimeArgs {
    /// Count per time bucket: 1s, 5m, 1h, 1d, 1w (adds a leading `time` column)
    ///
    /// The `time` column holds the bucket's start in RFC 3339 in the --tz zone. Rows come in
    /// time order, then the job's own order; --top N keeps the top N of each bucket.
    #[arg(long, value_name = "DURATION", help_heading = "Time")]
    pub per: Option<String>,

    /// How timestamps are found
    ///
    /// `auto`: the format of each input is decided from its first lines among the known
    /// formats. Implied by --per, --since and --until unless --time-format is given.
    #[arg(long = "time", value_enum, value_name = "HOW", help_heading = "Time")]
    pub time: Option<TimeMode>,

    /// A strptime format for the timestamps, like '%Y-%m-%d %H:%M:%S'
    ///
    /// Matched at the start of each line (record) after leading blanks, or at the start of the
    /// value of --time-field, instead of the known formats.
    #[arg(long, value_name = "FMT", help_heading = "Time")]
    pub time_format: Option<String>,

    /// The timestamp's field (fields --format jsonl or csv)
    ///
    /// A JSON key path (ts, req.time) or a CSV column (header name or 1-based number). Its
    /// value is read with --time-format, else as RFC 3339 or another known format at its start,
    /// else as a number of seconds since the epoch (1700000000, 1700000000.5). The presets
    /// combined, common and syslog know their time field (the known formats find it).
    #[arg(long, value_name = "FIELD", help_heading = "Time")]
    pub time_field: Option<String>,

    /// The zone of timestamps without an offset and of buckets [default: local]
    ///
    /// An IANA name (Europe/Berlin), UTC, or an offset (+02:00). By default the local zone, as
    /// `date` finds it (TZ honoured).
    #[arg(long, value_name = "ZONE", help_heading = "Time")]
    pub tz: Option<String>,

    /// The year of year-less timestamps (syslog, Android, Proxifier)
    ///
    /// By default each file's own: the year of its modification time, one earlier for a month
    /// later than the file's (a December line in a January file). Stdin and pipes have none:
    /// there the year of now (--now), one earlier for a month later than now's.
    #[arg(long, value_name = "N", help_heading = "Time")]
    pub year: Option<i16>,

    /// Keep records at or after TIME (a time window; not --since-last)
    ///
    /// RFC 3339, a date (2015-05-17), or relative to --now (`--since=-2h`, `-1d`). Not to be
    /// confused with --since-last of --state.
    #[arg(
        long,
        value_name = "TIME",
        allow_hyphen_values = true,
        help_heading = "Time"
    )]
    pub since: Option<String>,

    /// Keep records before TIME: the window is [since, until)
    ///
    /// The same forms as --since.
    #[arg(
        long,
        value_name = "TIME",
        allow_hyphen_values = true,
        help_heading = "Time"
    )]
    pub until: Option<String>,

    /// Pin "now" for relative --since/--until and the year of stdin
    ///
    /// For tests and replays. Year-less timestamps of stdin (and pipes) take the year of now.
    #[arg(long, value_name = "TIME", help_heading = "Time")]
    pub now: Option<String>,

    /// Declare timestamps never go back by more than SLACK, e.g. 5m
    ///
    /// Access logs stamp the request start, so they are nearly ordered. The chunks of a mapped
    /// file before --since - SLACK and from --until + SLACK on are skipped without being read,
    /// and every record read is checked: an older one is an error naming its line.
    #[arg(long, value_name = "SLACK", help_heading = "Time")]
    pub sorted: Option<String>,

    /// With --per: print empty buckets as zero rows
    ///
    /// Only for outputs whose only key is the time: grep counts, fields without --by.
    #[arg(long, help_heading = "Time")]
    pub fill: bool,
}

/// `--time` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TimeMode {
    /// Detect a known format from each input's first lines.
    Auto,
}

/// Flags shared by every job: multi-line records (a stack trace with its log line) instead of
/// lines.
#[derive(Debug, Args, Default, Clone)]
#[command(next_help_heading = heading::INPUT)]
pub struct RecordArgs {
    /// A line matching RE starts a multi-line record.
    ///
    /// The lines after it up to the next start belong to it (a log line with its stack trace);
    /// lines before the first start form a record of their own. The regex may match anywhere in
    /// the line (anchor it with ^). Every job then works on records.
    #[arg(long, value_name = "RE", conflicts_with = "records")]
    pub record_start: Option<String>,

    /// Multi-line records: indented, java or python.
    ///
    /// indented: a line starting with a space or tab continues the record. java: also blank
    /// lines, `Caused by:`, `Suppressed:`, `... N more`, `Exception in thread "..."` and an
    /// exception header such as `java.lang.IllegalStateException: msg`. python: indented and
    /// blank lines, `Traceback (most recent call last):`, the chaining sentences and the
    /// `ValueError: msg` line after an indented one. With --state, a file's last record is read
    /// in the next run, once a later record start shows that it has ended.
    #[arg(long, value_enum, value_name = "PRESET", hide_possible_values = true)]
    pub records: Option<Preset>,
}

impl RecordArgs {
    /// What the flags ask for: `None` for lines.
    pub fn spec(&self) -> Option<RecordSpec> {
        match (&self.record_start, self.records) {
            (Some(re), _) => Some(RecordSpec::Start(re.clone())),
            (None, Some(p)) => Some(RecordSpec::Preset(p)),
            (None, None) => None,
        }
    }
}

/// The compiled record rule of a job's parameters, `None` for lines.
pub fn record_rule(spec: Option<&RecordSpec>) -> crate::error::Result<Option<&'static RecordRule>> {
    spec.map(|s| {
        s.rule()
            .map_err(|reason| crate::error::Error::InvalidArgument {
                flag: "--record-start",
                value: match s {
                    RecordSpec::Start(re) => re.clone(),
                    RecordSpec::Preset(_) => String::new(),
                },
                reason,
            })
    })
    .transpose()
}

/// The framing of a record rule (lines without one).
pub fn record_framing(rule: Option<&'static RecordRule>) -> crate::chunk::Framing {
    rule.map_or(crate::chunk::Framing::Lines, crate::chunk::Framing::Records)
}
