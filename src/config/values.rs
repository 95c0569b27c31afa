//! Values of flags resolved into settings: `--shard`, the thread count (`-j` or
//! `LOGMILL_THREADS`), the input list (`--files-from`, stdin), `--chunk-size` and
//! `--lock-timeout`.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::{default_threads, parse_size, Shard, MAX_THREADS};
use crate::error::{Error, Result};
use crate::input::InputSpec;

/// Parses `--shard I/N`.
pub(super) fn parse_shard(s: &str) -> Result<Shard> {
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
pub(super) fn resolve_threads(
    flag: Option<usize>,
    env: Option<std::ffi::OsString>,
) -> Result<usize> {
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
pub(super) fn read_file_list(list: &Path, nul: bool) -> Result<Vec<PathBuf>> {
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
pub(super) fn input_specs(files: Vec<PathBuf>, listed: bool, stdin_used: bool) -> Vec<InputSpec> {
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
pub(super) fn parse_seconds(value: &str) -> Result<std::time::Duration> {
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
