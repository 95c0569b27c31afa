//! Validated settings: the raw flags of `cli.rs` resolved into what the engine and the jobs
//! need (thread count, chunk size in bytes, inputs, output order).

use std::path::Path;

use crate::cli::{Cli, Command, OutputArgs, SortArg};
use crate::emit::{EmitOptions, SortOrder};
use crate::error::{Error, Result};
use crate::input::InputSpec;
use crate::map::grep::{GrepJob, GrepMapper, GrepOutput};
use crate::map::matches::{GroupRef, MatchJob, MatchMapper};
use crate::map::words::WordsMapper;
use crate::pattern::PatternOptions;

/// Everything a run needs, validated.
#[derive(Debug, Clone)]
pub struct Config {
    /// The job and its parameters.
    pub job: Job,
    /// The inputs, in command-line order.
    pub inputs: Vec<InputSpec>,
    /// Worker threads (at least 1).
    pub threads: usize,
    /// Target chunk (and stream block) size in bytes (at least 1).
    pub chunk_size: usize,
    /// Output order and truncation.
    pub emit: EmitOptions,
}

/// A job with its parameters.
#[derive(Debug, Clone)]
pub enum Job {
    /// Word frequencies.
    Words(WordsMapper),
    /// Lines matching regexes, counted.
    Grep(GrepJob),
    /// Regex matches counted (and summed) by capture groups.
    Match(MatchJob),
}

impl Config {
    /// A config for `job` over `inputs` with the defaults of the command line.
    pub fn new(job: Job, inputs: Vec<InputSpec>) -> Config {
        Config {
            job,
            inputs,
            threads: default_threads(),
            chunk_size: DEFAULT_CHUNK_SIZE,
            emit: EmitOptions::default(),
        }
    }

    /// Resolves parsed flags into a config.
    pub fn from_cli(cli: Cli) -> Result<Config> {
        let threads = match cli.threads {
            None => default_threads(),
            Some(0) => {
                return Err(Error::InvalidArgument {
                    flag: "--threads",
                    value: "0".into(),
                    reason: "must be at least 1".into(),
                })
            }
            Some(n) => n,
        };
        let chunk_size = parse_size("--chunk-size", &cli.chunk_size)?;
        let (job, files, output) = match cli.command {
            Command::Words(a) => (
                Job::Words(WordsMapper { unicode: a.unicode }),
                a.files,
                a.output,
            ),
            Command::Grep(a) => grep_job(a)?,
            Command::Match(a) => (
                Job::Match(MatchJob {
                    mapper: MatchMapper::new(
                        &a.pattern,
                        PatternOptions {
                            ignore_case: a.ignore_case,
                            ..PatternOptions::default()
                        },
                        a.sum.as_deref().map(GroupRef::parse),
                        a.all,
                    )?,
                }),
                a.files,
                a.output,
            ),
        };
        Ok(Config {
            job,
            inputs: input_specs(files),
            threads,
            chunk_size,
            emit: emit_options(&output),
        })
    }
}

/// `grep`'s flags resolved. With `-e`, the positional "pattern" is really the first file.
fn grep_job(a: crate::cli::GrepArgs) -> Result<(Job, Vec<std::path::PathBuf>, OutputArgs)> {
    let mut files = a.files;
    let patterns = if a.regexp.is_empty() {
        a.pattern.into_iter().collect()
    } else {
        if let Some(first) = a.pattern {
            files.insert(0, first.into());
        }
        a.regexp
    };
    let options = PatternOptions {
        ignore_case: a.ignore_case,
        fixed_strings: a.fixed_strings,
        word: a.word_regexp,
        line: a.line_regexp,
    };
    let output = if a.quiet {
        GrepOutput::Quiet
    } else if a.by_file {
        GrepOutput::ByFile
    } else {
        GrepOutput::Total
    };
    let job = GrepJob {
        mapper: GrepMapper::new(&patterns, options, a.invert_match)?,
        output,
    };
    let no_order = OutputArgs {
        sort: SortArg::Count,
        top: None,
    };
    Ok((Job::Grep(job), files, no_order))
}

/// The default chunk size: 1 MiB keeps 64 cores busy on a 64 MiB file and leaves per-chunk
/// overhead (a few hundred nanoseconds) invisible next to the time to map a mebibyte.
pub const DEFAULT_CHUNK_SIZE: usize = 1 << 20;

/// All cores, as the operating system reports them.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn input_specs(files: Vec<std::path::PathBuf>) -> Vec<InputSpec> {
    if files.is_empty() {
        return vec![InputSpec::Stdin];
    }
    files
        .into_iter()
        .map(|f| {
            if f == Path::new("-") {
                InputSpec::Stdin
            } else {
                InputSpec::Path(f)
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
    }
}

/// Parses a human size: a whole number with an optional binary suffix K, M, G or T (any case,
/// optionally followed by `iB` or `B`): `64K` is 65536 bytes. The result is at least 1.
pub fn parse_size(flag: &'static str, s: &str) -> Result<usize> {
    let bad = |reason: &str| Error::InvalidArgument {
        flag,
        value: s.to_string(),
        reason: reason.to_string(),
    };
    let t = s.trim();
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return Err(bad(
            "expected a number with an optional K, M, G or T suffix",
        ));
    }
    let n: u64 = t[..digits].parse().map_err(|_| bad("number too large"))?;
    let suffix = t[digits..].trim_start().to_ascii_lowercase();
    let shift = match suffix.as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => return Err(bad("unknown suffix; use K, M, G or T")),
    };
    let bytes = n
        .checked_mul(1u64 << shift)
        .and_then(|b| usize::try_from(b).ok())
        .ok_or_else(|| bad("size too large"))?;
    if bytes == 0 {
        return Err(bad("must be at least 1 byte"));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        let p = |s| parse_size("--chunk-size", s);
        assert_eq!(p("1").unwrap(), 1);
        assert_eq!(p("64K").unwrap(), 65536);
        assert_eq!(p("4m").unwrap(), 4 << 20);
        assert_eq!(p("1G").unwrap(), 1 << 30);
        assert_eq!(p("2MiB").unwrap(), 2 << 20);
        assert_eq!(p("10 kb").unwrap(), 10240);
        for bad in [
            "",
            "K",
            "0",
            "-1",
            "1.5M",
            "3X",
            "99999999999999999999",
            "20000000T",
        ] {
            let e = p(bad).unwrap_err().to_string();
            assert!(e.contains("--chunk-size"), "{bad}: {e}");
        }
    }
}
