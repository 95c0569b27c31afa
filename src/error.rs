//! The library's one error type. Each variant carries the context a user needs to act on it
//! (the path, the flag, the offending value), so the binary can print it on a single line.

use std::io;
use std::path::PathBuf;

/// Everything that can go wrong inside the library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An input could not be opened or inspected.
    #[error("{}: {}", path.display(), io_message(source))]
    Open {
        /// The input as the user named it.
        path: PathBuf,
        /// The operating system's reason.
        source: io::Error,
    },
    /// An input named a directory.
    #[error("{}: is a directory (use -r to read directories)", path.display())]
    IsDirectory {
        /// The input as the user named it.
        path: PathBuf,
    },
    /// Reading an input failed part way through.
    #[error("{}: read failed: {}", path.display(), io_message(source))]
    Read {
        /// The input as the user named it.
        path: PathBuf,
        /// The operating system's reason.
        source: io::Error,
    },
    /// A file ended before the size it had when opened: it was truncated during the run, so
    /// its results would be incomplete.
    #[error("{}: shrank from {expected} to {read} bytes while being read (truncated or rotated in place?)", path.display())]
    Shrank {
        /// The input as the user named it.
        path: PathBuf,
        /// Its size when opened.
        expected: u64,
        /// How many bytes could be read.
        read: u64,
    },
    /// Merged partials hold a count past 64 bits.
    #[error(
        "the count of {what} overflows 64 bits (18446744073709551615) once the partials are \
         merged; refusing to print a wrong count"
    )]
    CountOverflow {
        /// The key (escaped as in partials) or what was counted.
        what: String,
    },
    /// A partial file (or partial lines on stdin) could not be read.
    #[error("{}: line {line}: {reason}", path.display())]
    BadPartial {
        /// The input.
        path: PathBuf,
        /// The 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// Partials' coverage refuses a merge: two count the same bytes, or (with `--complete`)
    /// something is missing.
    #[error("{0}")]
    Coverage(String),
    /// A flag's value is not acceptable.
    #[error("invalid value {value:?} for {flag}: {reason}")]
    InvalidArgument {
        /// The flag, as spelled on the command line.
        flag: &'static str,
        /// The value that was given.
        value: String,
        /// Why it was refused.
        reason: String,
    },
    /// The `-o` output file could not be created or put in place.
    #[error("{}: {}", path.display(), io_message(source))]
    OutputFile {
        /// The path given to `-o`.
        path: PathBuf,
        /// The operating system's reason.
        source: io::Error,
    },
    /// An output would overwrite an input or another output; refused before anything is read.
    #[error("{output} is the same file as {other}: {advice} (nothing was read or written)")]
    SameFile {
        /// The output, as `FLAG PATH` (`-o counts.tsv`).
        output: String,
        /// The input or output it clashes with, described for the user.
        other: String,
        /// What to do instead.
        advice: &'static str,
    },
    /// The lock file beside a `--state` file could not be created or locked.
    #[error("{}: cannot lock the state file: {}", lock.display(), io_message(source))]
    StateLock {
        /// The lock file (`STATE.lock`).
        lock: PathBuf,
        /// The operating system's reason.
        source: io::Error,
    },
    /// Another run holds the lock of a `--state` file.
    #[error(
        "{}: another logmill run is using this state file (it holds {}){}",
        path.display(),
        lock.display(),
        if waited.is_zero() {
            "; wait for it with --lock-timeout SECONDS".to_string()
        } else {
            format!(", still after waiting {} s (--lock-timeout)", waited.as_secs_f64())
        }
    )]
    StateBusy {
        /// The state file.
        path: PathBuf,
        /// Its lock file.
        lock: PathBuf,
        /// How long this run waited.
        waited: std::time::Duration,
    },
    /// With `--state`, the results could not all be written (a closed pipe, say), so the
    /// state was not saved.
    #[error(
        "results not delivered ({}); the state {} was left as it was",
        io_message(source),
        path.display()
    )]
    NotDelivered {
        /// The state file.
        path: PathBuf,
        /// Why writing failed.
        source: io::Error,
    },
    /// Writing results failed. A broken pipe also lands here; the binary treats it as success.
    #[error("writing output: {}", io_message(.0))]
    Output(#[source] io::Error),
    /// A pattern is not a valid regex.
    #[error("invalid regex '{pattern}' at column {column}: {message}")]
    Regex {
        /// The pattern as given.
        pattern: String,
        /// Where in the pattern it fails (1-based, in characters).
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// A pattern would compile to more than the regex size limit.
    #[error(
        "regex '{pattern}' is too big: compiled, it would exceed the size limit of {} MiB; \
         use smaller repetition counts, or ASCII classes such as (?-u:\\w) instead of \\w",
        limit >> 20
    )]
    RegexTooBig {
        /// The pattern (or patterns) as given.
        pattern: String,
        /// The limit in bytes.
        limit: usize,
    },
    /// An exact sum went out of range.
    #[error("the sum of {column} for key '{key}' is out of range: {reason}")]
    SumOverflow {
        /// The summed column.
        column: String,
        /// The key whose sum overflowed, as text.
        key: String,
        /// Why.
        reason: String,
    },
    /// A record that does not parse, with `--strict`.
    #[error("{input}:{line}: {reason} (--strict stops at the first bad record): {text:?}")]
    BadRecord {
        /// The input's name.
        input: String,
        /// The record's line number (1-based).
        line: u64,
        /// What is wrong with it.
        reason: String,
        /// The start of the record's text.
        text: String,
    },
    /// The fields job could not produce its table (a CSV column missing from an input's
    /// header, an exact sum past 128 bits).
    #[error("{0}")]
    Fields(String),
    /// A record older than `--sorted SLACK` allows.
    #[error("{place}: {detail}: the input is not sorted within --sorted {slack} (drop --sorted, or give a larger SLACK)")]
    Unsorted {
        /// `input:line`, or `input: the line at byte N` after skipped chunks.
        place: String,
        /// The record's time and the latest time before it.
        detail: String,
        /// The slack declared.
        slack: String,
    },
    /// Writing or reading the temporary files of a spilled run (`--memory`) failed.
    #[error("{}: {}", dir.display(), spill_message(source))]
    Spill {
        /// The directory of the temporary files (`--temp-dir`).
        dir: PathBuf,
        /// The operating system's reason.
        source: io::Error,
    },
    /// The worker thread pool could not be built.
    #[error("starting {threads} worker threads: {message}")]
    ThreadPool {
        /// How many threads were asked for.
        threads: usize,
        /// rayon's reason.
        message: String,
    },
}

impl Error {
    /// True when the error is a closed stdout (`logmill ... | head`), which ends the run quietly.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Output(e) if e.kind() == io::ErrorKind::BrokenPipe)
    }
}

/// A spill failure as one line; a full disk says what to do about it.
fn spill_message(e: &io::Error) -> String {
    if e.raw_os_error() == Some(libc::ENOSPC) || e.kind() == io::ErrorKind::StorageFull {
        "no space left on device for temporary spill files (free some space, point --temp-dir \
         elsewhere, or raise --memory)"
            .to_string()
    } else {
        format!("temporary spill file: {}", io_message(e))
    }
}

/// `io::Error`'s Display adds " (os error N)"; keep the message short and one line.
fn io_message(e: &io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
