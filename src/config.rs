//! Validated settings: the raw flags of `cli.rs` resolved into what the engine and the jobs
//! need (thread count, chunk size in bytes, inputs, output order).

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::cli::{
    Cli, Command, DiffArgs, EmitArg, FormatArg, MergeArgs, MmapArg, OutputArgs, ProgressArg,
    SortArg,
};
use crate::emit::watch::Condition;
use crate::emit::{EmitOptions, OutputFormat, SortOrder};
use crate::engine::EngineOptions;
pub use crate::engine::{default_threads, Shard, DEFAULT_CHUNK_SIZE, MAX_THREADS};
use crate::error::{Error, Result};
use crate::input::walk::WalkOptions;
use crate::input::{InputLimits, InputSpec, MmapPolicy};
use crate::jobs::timed::{RunParams, TimeParams};
use crate::jobs::{JobParams, Parsed, RejectArgs};
use crate::partial::format::{self, EmitMode};
use crate::progress::ProgressMode;
pub use crate::size::{parse_size, MAX_SIZE};
use crate::spill::SpillOptions;

pub mod report;

/// Everything a run needs, validated.
#[derive(Debug, Clone)]
pub struct Config {
    /// The job and its parameters.
    pub params: JobParams,
    /// Where bad records go (`--rejects`, `--strict`): options of the run, not parameters of
    /// the result.
    pub bad: RejectArgs,
    /// The inputs, in command-line order.
    pub inputs: Vec<InputSpec>,
    /// Worker threads (at least 1).
    pub threads: usize,
    /// Target chunk (and stream block) size in bytes (at least 1).
    pub chunk_size: usize,
    /// Output order, truncation and format.
    pub emit: EmitOptions,
    /// Where results go: a file written atomically (`-o`), or stdout when None.
    pub output: Option<PathBuf>,
    /// When files are memory-mapped.
    pub mmap: MmapPolicy,
    /// How directories are expanded.
    pub walk: WalkOptions,
    /// Go on past unreadable inputs (and exit 2 at the end).
    pub keep_going: bool,
    /// When to show progress.
    pub progress: ProgressMode,
    /// What the run does with its inputs.
    pub action: Action,
    /// What the run prints: final results or a partial.
    pub emit_mode: EmitMode,
    /// Process only shard `I` of `N` (`--shard I/N`).
    pub shard: Option<Shard>,
    /// The incremental-run state file (`--state`).
    pub state: Option<PathBuf>,
    /// With `state`: print the new bytes' results only.
    pub since_last: bool,
    /// With `state`: how long to wait for the state's lock (`--lock-timeout`).
    pub lock_timeout: std::time::Duration,
    /// Bounds on each input (`--max-bytes`, `--max-line`).
    pub limits: InputLimits,
    /// The memory limit of partials and where spilled runs go (`--memory`, `--temp-dir`).
    pub spill: SpillOptions,
    /// `logmill diff`, or `--diff` with `--state`: show the change instead of the result.
    pub diff: Option<DiffOptions>,
    /// `--max-rejects`: exit 4 past this many bad records.
    pub max_rejects: Option<RejectLimit>,
    /// `--fail-if`: exit 5 when a result row meets one of these.
    pub fail_if: Vec<Condition>,
    /// The file the input names were read from (`--files-from`), `-` for stdin: an input too,
    /// as far as outputs are concerned (see [`crate::same_file`]).
    pub file_list: Option<PathBuf>,
    /// What `merge` checks of its partials' coverage (`--allow-overlap`, `--complete`).
    pub checks: MergeChecks,
    /// With merge or reduce: the key partition `(P, R)` kept (`--partition P/R`).
    pub partition: Option<(u64, u64)>,
    /// What the time options resolved to (`--per`, `--since`, `--until`, ...), when given:
    /// part of the result's parameters, as the job's are.
    pub time: Option<TimeParams>,
    /// `--example` / `--example-text`: part of the result's parameters.
    pub example: Option<crate::jobs::example::ExampleMode>,
    /// `--fill`: empty buckets between the first and the last as zero rows.
    pub fill: bool,
    /// `--sorted SLACK`: how far timestamps may go back (checked; not a parameter of the
    /// result, which it does not change).
    pub sorted: Option<String>,
}

/// What `logmill merge` checks of the partials' coverage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MergeChecks {
    /// Merge partials that count the same bytes twice (`--allow-overlap`).
    pub allow_overlap: bool,
    /// Fail unless every input of every run is covered whole (`--complete`).
    pub complete: bool,
}

/// What `logmill diff` and `--diff` show.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct DiffOptions {
    /// Also rows whose count did not change (`--unchanged`).
    pub unchanged: bool,
    /// Only changes of at least this absolute delta (`--min-delta`).
    pub min_delta: Option<u64>,
    /// Only changes by at least this factor (`--min-ratio`); new and gone keys always pass.
    pub min_ratio: Option<f64>,
}

impl DiffOptions {
    fn from_args(a: &DiffArgs) -> Result<DiffOptions> {
        let min_ratio = match a.min_ratio.as_deref() {
            None => None,
            Some(r) => Some(
                r.trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite() && *x >= 1.0)
                    .ok_or_else(|| Error::InvalidArgument {
                        flag: "--min-ratio",
                        value: r.to_string(),
                        reason: "expected a factor of at least 1, e.g. 2 or 1.5".into(),
                    })?,
            ),
        };
        Ok(DiffOptions {
            unchanged: a.unchanged,
            min_delta: a.min_delta.map(|n| n as u64),
            min_ratio,
        })
    }
}

/// `--max-rejects N` or `--max-rejects P%`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RejectLimit {
    /// At most N bad records.
    Count(u64),
    /// At most P percent of the records (bad plus counted).
    Percent(f64),
}

/// Parses `--max-rejects N` or `P%`.
pub fn parse_max_rejects(s: &str) -> Result<RejectLimit> {
    let t = s.trim();
    let bad = || Error::InvalidArgument {
        flag: "--max-rejects",
        value: s.to_string(),
        reason: "expected a number of bad records (e.g. 100) or a percentage of the records \
                 (e.g. 0.5%)"
            .into(),
    };
    match t.strip_suffix('%') {
        Some(p) => {
            let ok = !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit() || c == b'.');
            let v: f64 = p.parse().ok().filter(|_| ok).ok_or_else(bad)?;
            if !(0.0..=100.0).contains(&v) {
                return Err(bad());
            }
            Ok(RejectLimit::Percent(v))
        }
        None => crate::jobs::args::whole_number(t)
            .map(|n| RejectLimit::Count(n as u64))
            .ok_or_else(bad),
    }
}

/// What a run does with its inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Action {
    /// Map the inputs' records with the job (a job, or `logmill map`).
    #[default]
    Run,
    /// Read `KEY<TAB>STATE` lines of the job and merge them (`logmill reduce`).
    Reduce,
    /// Read partial files, headers included, and merge them (`logmill merge`).
    Merge,
    /// Read two partial or state files and show what changed (`logmill diff`).
    Diff,
}

impl Config {
    /// Where the job writes rejected records (`--rejects`), if anywhere.
    pub fn rejects_path(&self) -> Option<&Path> {
        self.bad.rejects.as_deref()
    }

    /// Names an HTML report after the command line (`args`: the program's arguments after
    /// its name); other formats are unchanged.
    pub fn set_command_line(&mut self, args: impl IntoIterator<Item = std::ffi::OsString>) {
        report::set_command_line(&mut self.emit, args);
    }

    /// A config for the job of `params` over `inputs` with the defaults of the command line.
    pub fn new(params: JobParams, inputs: Vec<InputSpec>) -> Config {
        Config {
            params,
            bad: RejectArgs::default(),
            inputs,
            threads: default_threads(),
            chunk_size: DEFAULT_CHUNK_SIZE,
            emit: EmitOptions::default(),
            output: None,
            mmap: MmapPolicy::default(),
            walk: WalkOptions::default(),
            keep_going: false,
            progress: ProgressMode::Never,
            action: Action::Run,
            emit_mode: EmitMode::Final,
            shard: None,
            state: None,
            since_last: false,
            lock_timeout: std::time::Duration::ZERO,
            limits: InputLimits::default(),
            spill: SpillOptions::default(),
            file_list: None,
            max_rejects: None,
            fail_if: Vec::new(),
            diff: None,
            checks: MergeChecks::default(),
            partition: None,
            time: None,
            example: None,
            fill: false,
            sorted: None,
        }
    }

    /// The parameters written in (and compared with) partial headers: the job's, and the
    /// time options'.
    pub fn header(&self) -> RunParams {
        RunParams {
            job: self.params.clone(),
            time: self.time.clone(),
            example: self.example,
        }
    }

    /// The engine settings of this config.
    pub fn engine_options(&self) -> EngineOptions {
        EngineOptions {
            threads: self.threads,
            chunk_size: self.chunk_size,
            mmap: self.mmap,
            walk: self.walk,
            keep_going: self.keep_going,
            progress: self.progress,
            shard: self.shard,
            limits: self.limits,
        }
    }

    /// Resolves parsed flags into a config.
    pub fn from_cli(cli: Cli) -> Result<Config> {
        let threads = resolve_threads(cli.threads, std::env::var_os(THREADS_ENV))?;
        let chunk_size = parse_chunk_size(&cli.chunk_size)?;
        let limits = InputLimits {
            max_bytes: match &cli.max_bytes {
                Some(s) => Some(parse_size("--max-bytes", s)? as u64),
                None => None,
            },
            max_line: parse_size("--max-line", &cli.max_line)?,
        };
        let spill = SpillOptions {
            memory: crate::spill::memory::resolve_memory(
                cli.memory.as_deref(),
                std::env::var_os(crate::spill::memory::MEMORY_ENV),
            )?,
            temp_dir: cli.temp_dir.clone().unwrap_or_else(std::env::temp_dir),
            compress: cli.compress_temp,
        };
        // `--emit partial` means a partial file (with its header), except from `reduce`, whose
        // output feeds another reduce: bare lines.
        let partial_or = |partial: EmitMode| match cli.emit {
            EmitArg::Partial => partial,
            EmitArg::Final => EmitMode::Final,
        };
        let mut diff = None;
        if cli.diff {
            diff = Some(DiffOptions::default());
        }
        let (action, emit_mode, command) = match cli.command {
            Command::Job(j) => (Action::Run, partial_or(EmitMode::Partial), Ok(j)),
            Command::Map(j) => (Action::Run, EmitMode::Lines, Ok(j)),
            Command::Reduce(j) => (Action::Reduce, partial_or(EmitMode::Lines), Ok(j)),
            Command::Merge(a) => (Action::Merge, partial_or(EmitMode::Partial), Err(a)),
            Command::Diff(a) => {
                if cli.emit == EmitArg::Partial {
                    return Err(Error::InvalidArgument {
                        flag: "--emit",
                        value: "partial".into(),
                        reason: "diff prints changes, not a partial".into(),
                    });
                }
                diff = Some(DiffOptions::from_args(&a)?);
                let merge = MergeArgs {
                    output: a.output,
                    files: vec![a.old, a.new],
                    allow_overlap: false,
                    complete: false,
                };
                (Action::Diff, EmitMode::Final, Err(Box::new(merge)))
            }
            Command::Completions(_) | Command::Man | Command::Coverage(_) => {
                return Err(Error::InvalidArgument {
                    flag: "COMMAND",
                    value: "completions/man".into(),
                    reason: "prints documentation, not a job: handled before the config".into(),
                })
            }
        };
        let checks = match &command {
            Err(a) => MergeChecks {
                allow_overlap: a.allow_overlap,
                complete: a.complete,
            },
            Ok(_) => MergeChecks::default(),
        };
        let (
            Parsed {
                params,
                mut files,
                output,
                bad,
            },
            time,
            example,
        ) = match command {
            Ok(j) => {
                let p = j.parse()?;
                let time = time_params(&p.params, &p.output.format.time)?;
                let example = p.output.example_mode();
                (p, time, example)
            }
            Err(a) => {
                let t = &a.output.format.time;
                if t.per.is_some() || t.since.is_some() || t.until.is_some() || t.tz.is_some() {
                    return Err(Error::InvalidArgument {
                        flag: "--per/--since/--until/--tz",
                        value: String::new(),
                        reason: "a merge takes the time options from its partials' headers".into(),
                    });
                }
                let header = merge_params(&a.files)?;
                let p = Parsed {
                    params: header.job,
                    files: a.files,
                    output: a.output,
                    bad: RejectArgs::default(),
                };
                let asked = p.output.example_mode();
                if asked.is_some() && asked != header.example {
                    return Err(Error::InvalidArgument {
                        flag: "--example",
                        value: String::new(),
                        reason: "a merge takes examples from its partials: make them with                                  --example (or --example-text) to see examples"
                            .into(),
                    });
                }
                (p, header.time, header.example)
            }
        };
        // Builds the job once (compiling its patterns) so bad parameters fail here, before
        // any output is created or any input read.
        params.visit(&bad, Validate)?;
        let fail_if = cli
            .fail_if
            .iter()
            .map(|e| {
                Condition::parse(e).map_err(|reason| Error::InvalidArgument {
                    flag: "--fail-if",
                    value: e.clone(),
                    reason,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        if emit_mode != EmitMode::Final && (!fail_if.is_empty() || output.top_per.is_some()) {
            return Err(Error::InvalidArgument {
                flag: if fail_if.is_empty() {
                    "--top-per"
                } else {
                    "--fail-if"
                },
                value: String::new(),
                reason: "applies to final results, not to --emit partial or `logmill map`".into(),
            });
        }
        let listed = cli.files_from.is_some();
        let stdin_list = cli.files_from.as_deref() == Some(Path::new("-"));
        if let Some(list) = &cli.files_from {
            files.extend(read_file_list(list, cli.null)?);
        }
        let shard = cli.shard.as_deref().map(parse_shard).transpose()?;
        let partition = match cli.partition.as_deref() {
            Some(_) if action == Action::Run => {
                return Err(Error::InvalidArgument {
                    flag: "--partition",
                    value: cli.partition.clone().unwrap_or_default(),
                    reason: "applies to merge and reduce (it picks keys of partial results)".into(),
                })
            }
            Some(v) => {
                let s = parse_shard(v).map_err(|_| Error::InvalidArgument {
                    flag: "--partition",
                    value: v.to_string(),
                    reason: "expected P/R with 0 <= P < R, e.g. 1/4".into(),
                })?;
                Some((s.index, s.count))
            }
            None => None,
        };
        if action != Action::Run && (shard.is_some() || cli.state.is_some()) {
            return Err(Error::InvalidArgument {
                flag: if shard.is_some() {
                    "--shard"
                } else {
                    "--state"
                },
                value: String::new(),
                reason: "applies to runs over inputs, not to reduce or merge".into(),
            });
        }
        let job_rejects = matches!(params, JobParams::Fields(_) | JobParams::Match(_));
        if !job_rejects && (bad.rejects.is_some() || bad.strict) {
            let flag = if bad.strict { "--strict" } else { "--rejects" };
            if time.is_none() {
                return Err(Error::InvalidArgument {
                    flag,
                    value: String::new(),
                    reason: format!(
                        "{} rejects only records without a timestamp, which needs --per, \
                         --since, --until or --time",
                        crate::partial::format::Header::name(&params)
                    ),
                });
            }
            if shard.is_some() || cli.state.is_some() {
                return Err(Error::InvalidArgument {
                    flag,
                    value: String::new(),
                    reason: "line numbers need the whole input: not with --shard or --state".into(),
                });
            }
        }
        let inputs = input_specs(files, listed, stdin_list);
        let mut emit = emit_options(&output);
        if emit.format == OutputFormat::Html {
            report::attach(&mut emit, &params, &inputs, &bad);
        }
        Ok(Config {
            params,
            bad,
            inputs,
            threads,
            chunk_size,
            emit,
            output: output.format.output.clone(),
            mmap: match cli.mmap {
                MmapArg::Auto => MmapPolicy::Auto,
                MmapArg::Always => MmapPolicy::Always,
                MmapArg::Never => MmapPolicy::Never,
            },
            walk: WalkOptions {
                recursive: cli.recursive,
                hidden: cli.hidden,
                binary: cli.binary,
            },
            keep_going: cli.keep_going,
            progress: match cli.progress {
                ProgressArg::Auto => ProgressMode::Auto,
                ProgressArg::Always => ProgressMode::Always,
                ProgressArg::Never => ProgressMode::Never,
            },
            action,
            emit_mode,
            shard,
            state: cli.state,
            since_last: cli.since_last,
            lock_timeout: match cli.lock_timeout.as_deref() {
                None => std::time::Duration::ZERO,
                Some(v) => parse_seconds(v)?,
            },
            limits,
            spill,
            file_list: cli.files_from,
            max_rejects: cli
                .max_rejects
                .as_deref()
                .map(parse_max_rejects)
                .transpose()?,
            fail_if,
            diff,
            checks,
            partition,
            fill: output.format.time.fill,
            sorted: match &output.format.time.sorted {
                Some(s) => {
                    crate::jobs::timed::parse_slack(s)?;
                    Some(s.clone())
                }
                None => None,
            },
            time,
            example,
        })
    }
}

/// Builds a job and drops it: the parameters are valid.
struct Validate;

impl crate::jobs::JobVisitor for Validate {
    type Output = ();

    fn visit<J: crate::jobs::Job>(self, _: J) -> Result<()> {
        Ok(())
    }
}

/// The job of a merge: the header of its first input (a file, or stdin peeked without
/// consuming it). Every other input is checked against it as it is read.
fn merge_params(files: &[PathBuf]) -> Result<RunParams> {
    use std::io::BufRead;
    match files.first().filter(|f| f.as_path() != Path::new("-")) {
        Some(f) => {
            let file = std::fs::File::open(f).map_err(|source| Error::Open {
                path: f.clone(),
                source,
            })?;
            format::peek_header(f, &mut std::io::BufReader::new(file))
        }
        None => {
            let stdin = std::io::stdin();
            let mut lock = stdin.lock();
            let buf = lock.fill_buf().map_err(|source| Error::Read {
                path: "<stdin>".into(),
                source,
            })?;
            let end = memchr::memchr(b'\n', buf).map_or(buf.len(), |i| i + 1);
            format::peek_header(Path::new("<stdin>"), &mut &buf[..end])
        }
    }
}

/// The time options of a job's run, resolved ("now" is the clock unless `--now`).
/// `--time-field` is accepted by `fields`: `jsonl` and `csv` read the field's value; the
/// presets combined, common and syslog know their time field (the known formats find it).
fn time_params(job: &JobParams, a: &crate::jobs::args::TimeArgs) -> Result<Option<TimeParams>> {
    if let Some(field) = &a.time_field {
        let fields = match job {
            JobParams::Fields(p) => p.format != "ws",
            _ => false,
        };
        if !fields {
            return Err(Error::InvalidArgument {
                flag: "--time-field",
                value: field.clone(),
                reason: "is only supported by `fields --format jsonl|csv` (and the presets \
                         combined, common, syslog, which know their time field); use \
                         --time-format for a time at the start of the line"
                    .into(),
            });
        }
        if let JobParams::Fields(p) = job {
            crate::jobs::timed_field::TimeField::of(p, field)?;
        }
    }
    TimeParams::from_args(a, jiff::Timestamp::now())
}

/// How `--output-format chart` is drawn: as wide as `COLUMNS`, else the terminal on stdout,
/// else 80 columns; ASCII with `--ascii` or when the locale (`LC_ALL`, else `LC_CTYPE`, else
/// `LANG`) is `C`, `POSIX` or not UTF-8.
fn chart_style(ascii: bool) -> crate::emit::chart::ChartStyle {
    let width = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&w| w > 0)
        .or_else(terminal_width)
        .unwrap_or(80);
    let locale = ["LC_ALL", "LC_CTYPE", "LANG"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|v| !v.is_empty());
    let c_locale = locale.is_some_and(|l| {
        let l = l.to_ascii_lowercase();
        l == "c" || l == "posix" || !(l.contains("utf-8") || l.contains("utf8"))
    });
    crate::emit::chart::ChartStyle {
        width,
        ascii: ascii || c_locale,
    }
}

/// The width of the terminal on stdout, if it is one.
fn terminal_width() -> Option<usize> {
    // SAFETY: TIOCGWINSZ fills a `winsize` the size of the one passed; nothing else is read.
    let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut ws) } == 0;
    (ok && ws.ws_col > 0).then_some(usize::from(ws.ws_col))
}

/// Parses `--shard I/N`.
fn parse_shard(s: &str) -> Result<Shard> {
    let bad = |reason: &str| Error::InvalidArgument {
        flag: "--shard",
        value: s.to_string(),
        reason: reason.to_string(),
    };
    let (i, n) = s
        .split_once('/')
        .ok_or_else(|| bad("expected I/N, e.g. 0/4"))?;
    let index: u64 = i
        .trim()
        .parse()
        .map_err(|_| bad("I must be a whole number"))?;
    let count: u64 = n
        .trim()
        .parse()
        .map_err(|_| bad("N must be a whole number"))?;
    if count == 0 || index >= count {
        return Err(bad("need 0 <= I < N"));
    }
    Ok(Shard { index, count })
}

/// The environment variable that sets the thread count when `-j` is not given.
pub const THREADS_ENV: &str = "LOGMILL_THREADS";

/// The thread count: `-j` wins; else `LOGMILL_THREADS` (read only when `-j` is absent, so a
/// bad value in the environment cannot break a command that says `-j`); else all cores.
fn resolve_threads(flag: Option<usize>, env: Option<std::ffi::OsString>) -> Result<usize> {
    let (n, source, text) = match (flag, env) {
        (Some(n), _) => (n, "--threads", n.to_string()),
        (None, Some(v)) => {
            let text = v.to_string_lossy().trim().to_string();
            match text.parse::<usize>() {
                Ok(n) => (n, THREADS_ENV, text),
                Err(_) => {
                    return Err(Error::InvalidArgument {
                        flag: THREADS_ENV,
                        value: text,
                        reason: format!(
                            "give a whole number of worker threads from 1 to {MAX_THREADS}"
                        ),
                    })
                }
            }
        }
        (None, None) => return Ok(default_threads()),
    };
    if n == 0 || n > MAX_THREADS {
        return Err(Error::InvalidArgument {
            flag: source,
            value: text,
            reason: format!("give a number of worker threads from 1 to {MAX_THREADS}"),
        });
    }
    Ok(n)
}

/// Reads `--files-from`: paths separated by newlines (or NUL with `-0`); empty entries are
/// skipped.
fn read_file_list(list: &Path, nul: bool) -> Result<Vec<PathBuf>> {
    let mut bytes = Vec::new();
    let res = if list == Path::new("-") {
        std::io::stdin().lock().read_to_end(&mut bytes)
    } else {
        std::fs::File::open(list).and_then(|mut f| f.read_to_end(&mut bytes))
    };
    res.map_err(|source| Error::Open {
        path: list.to_path_buf(),
        source,
    })?;
    let sep = if nul { b'\0' } else { b'\n' };
    Ok(bytes
        .split(|&b| b == sep)
        .map(|p| {
            if !nul {
                p.strip_suffix(b"\r").unwrap_or(p)
            } else {
                p
            }
        })
        .filter(|p| !p.is_empty())
        .map(|p| {
            use std::os::unix::ffi::OsStrExt;
            PathBuf::from(std::ffi::OsStr::from_bytes(p))
        })
        .collect())
}

/// The inputs: `-` is stdin; no paths at all reads stdin, unless the paths came from a
/// (possibly empty) `--files-from` list. Stdin is read once, as `cat - -` reads it: a second
/// `-` (or a `-` after `--files-from -` read the list from stdin) is an empty input, since
/// the first read consumed everything.
fn input_specs(files: Vec<PathBuf>, listed: bool, stdin_used: bool) -> Vec<InputSpec> {
    if files.is_empty() && !listed {
        return vec![InputSpec::Stdin];
    }
    let mut stdin_used = stdin_used;
    files
        .into_iter()
        .map(|f| {
            if f != Path::new("-") {
                InputSpec::Path(f)
            } else if std::mem::replace(&mut stdin_used, true) {
                InputSpec::Bytes {
                    name: "-".into(),
                    data: Vec::new(),
                }
            } else {
                InputSpec::Stdin
            }
        })
        .collect()
}

fn emit_options(o: &OutputArgs) -> EmitOptions {
    EmitOptions {
        sort: match o.sort {
            SortArg::Count => SortOrder::Count,
            SortArg::Key => SortOrder::Key,
        },
        top: o.top,
        top_per: o.top_per,
        format: match o.format.output_format {
            FormatArg::Tsv => OutputFormat::Tsv,
            FormatArg::Csv => OutputFormat::Csv,
            FormatArg::Json => OutputFormat::Json,
            FormatArg::Jsonl => OutputFormat::Jsonl,
            FormatArg::Chart => OutputFormat::Chart(chart_style(o.format.ascii)),
            FormatArg::Html => OutputFormat::Html,
        },
        header: o.format.header,
        report: None,
        extra: Vec::new(),
    }
}

/// The largest `--chunk-size`: 1 TiB. Stream blocks grow with the data read, never to the
/// chunk size up front, so a large value only costs memory when the input is that large.
pub const MAX_CHUNK_SIZE: usize = 1 << 40;

/// Parses `--chunk-size`: a size (see [`parse_size`]) of at most [`MAX_CHUNK_SIZE`].
pub fn parse_chunk_size(s: &str) -> Result<usize> {
    let n = parse_size("--chunk-size", s)?;
    if n > MAX_CHUNK_SIZE {
        return Err(Error::InvalidArgument {
            flag: "--chunk-size",
            value: s.to_string(),
            reason: "too large; the most is 1T".into(),
        });
    }
    Ok(n)
}

/// `--lock-timeout SECONDS`: a number of seconds, decimals allowed (`0.5`), at most a day.
fn parse_seconds(value: &str) -> Result<std::time::Duration> {
    let refuse = |reason: &str| Error::InvalidArgument {
        flag: "--lock-timeout",
        value: value.to_string(),
        reason: reason.into(),
    };
    let secs: f64 = value
        .trim()
        .parse()
        .map_err(|_| refuse("give a number of seconds, such as 30 or 0.5"))?;
    if !secs.is_finite() || secs < 0.0 {
        return Err(refuse("give a number of seconds, such as 30 or 0.5"));
    }
    if secs > 86_400.0 {
        return Err(refuse("at most 86400 seconds (a day)"));
    }
    Ok(std::time::Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_flag_wins_over_env() {
        let env = |s: &str| Some(std::ffi::OsString::from(s));
        assert_eq!(resolve_threads(Some(3), env("abc")).unwrap(), 3);
        assert_eq!(resolve_threads(None, env(" 2 ")).unwrap(), 2);
        assert!(resolve_threads(None, env("abc"))
            .unwrap_err()
            .to_string()
            .contains("LOGMILL_THREADS"));
        assert!(resolve_threads(None, env("0")).is_err());
        assert!(resolve_threads(Some(0), None).is_err());
        assert_eq!(
            resolve_threads(Some(MAX_THREADS), None).unwrap(),
            MAX_THREADS
        );
        let e = resolve_threads(Some(MAX_THREADS + 1), None).unwrap_err();
        assert!(e.to_string().contains("from 1 to 1024"), "{e}");
        assert!(resolve_threads(None, env("100000")).is_err());
        assert!(resolve_threads(None, None).unwrap() >= 1);
    }

    #[test]
    fn sizes() {
        let p = |s| parse_size("--chunk-size", s);
        assert_eq!(p("1").unwrap(), 1);
        assert_eq!(p("64K").unwrap(), 65536);
        assert_eq!(p("4m").unwrap(), 4 << 20);
        assert_eq!(p("1G").unwrap(), 1 << 30);
        assert_eq!(p("2MiB").unwrap(), 2 << 20);
        assert_eq!(p("10 kb").unwrap(), 10240);
        assert_eq!(p("1.5M").unwrap(), 3 << 19);
        assert_eq!(p("1.5K").unwrap(), 1536);
        assert_eq!(p("0.5k").unwrap(), 512);
        assert_eq!(p(".25M").unwrap(), 1 << 18);
        assert_eq!(p("2.0G").unwrap(), 2 << 30);
        assert_eq!(p("1024T").unwrap(), 1 << 50);
        for bad in [
            "",
            "K",
            "0",
            "0.1",
            "-1",
            ".",
            "1.5.5M",
            "3X",
            "99999999999999999999",
            "20000000T",
            "1025T",
        ] {
            let e = p(bad).unwrap_err().to_string();
            assert!(e.contains("--chunk-size"), "{bad}: {e}");
            assert!(!e.contains("suffix"), "{bad}: {e}");
        }
        assert!(parse_chunk_size("1T").is_ok());
        let e = parse_chunk_size("2T").unwrap_err().to_string();
        assert!(e.contains("the most is 1T"), "{e}");
    }
}
