//! Incremental runs (`--state FILE`): remember how far each input was read and the partial
//! so far, so the next run (a cron job, say) reads only what was appended since.
//!
//! The state file is a partial file (`logmill merge` reads it) with one extra line per input:
//!
//! ```text
//! #logmill-partial<TAB>1<TAB>{"job":...}
//! #file<TAB>{"path":"/var/log/app.log","dev":2049,"ino":1234,"offset":5678,"head":...,"tail":...}
//! KEY<TAB>STATE ...                    (the running total)
//! ```
//!
//! A file is continued from `offset` when it is the same file (device and inode), at least as
//! long, and its bytes at the start and just before `offset` still have the fingerprints
//! recorded. Otherwise it was rotated (renamed away and recreated: a new inode) or truncated in
//! place (copytruncate: shorter, or different bytes) and is read from the start. Only complete
//! lines are read: a last line without its newline (perhaps still being written) waits for the
//! next run. Compressed files are read whole once and skipped while unchanged.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Write};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::input::{decompress, InputSpec};
use crate::job::{self, EmitMode, JobParams, Keyed, State};
use crate::output::OutputFile;

/// How many bytes each fingerprint covers.
const PRINT_LEN: u64 = 4096;

/// What is remembered of one input file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileMark {
    /// The path as given.
    pub path: String,
    /// Device number.
    pub dev: u64,
    /// Inode number.
    pub ino: u64,
    /// Bytes processed (a line start).
    pub offset: u64,
    /// Fingerprint of the first `min(offset, 4096)` bytes.
    pub head: u64,
    /// Fingerprint of the `min(offset, 4096)` bytes before `offset`.
    pub tail: u64,
}

/// A loaded state file: the marks by path and the running total.
pub struct Loaded<S> {
    /// Marks by path.
    pub marks: BTreeMap<String, FileMark>,
    /// The running total so far.
    pub total: Keyed<S>,
}

/// Reads the state file at `path` (an absent file is an empty state). Its job must be `params`.
pub fn load<S: State>(path: &Path, params: &JobParams) -> Result<Loaded<S>> {
    let mut loaded = Loaded {
        marks: BTreeMap::new(),
        total: Keyed::default(),
    };
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(loaded),
        Err(source) => {
            return Err(Error::Open {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    let mut text = Vec::new();
    io::Read::read_to_end(&mut io::BufReader::new(file), &mut text).map_err(|source| {
        Error::Read {
            path: path.to_path_buf(),
            source,
        }
    })?;
    // `#file` lines are this module's; the rest is an ordinary partial.
    let mut rest = Vec::with_capacity(text.len());
    for (n, line) in text.split_inclusive(|&b| b == b'\n').enumerate() {
        match line.strip_prefix(b"#file\t") {
            Some(json) => {
                let mark: FileMark =
                    serde_json::from_slice(json).map_err(|e| Error::BadPartial {
                        path: path.to_path_buf(),
                        line: n + 1,
                        reason: format!("bad #file line: {e}"),
                    })?;
                loaded.marks.insert(mark.path.clone(), mark);
            }
            None => rest.extend_from_slice(line),
        }
    }
    let header = job::read_partial(path, &mut &rest[..], Some(params), &mut loaded.total)?;
    if header.is_none() && !rest.is_empty() {
        return Err(Error::BadPartial {
            path: path.to_path_buf(),
            line: 1,
            reason: "not a logmill state file (no header)".into(),
        });
    }
    Ok(loaded)
}

/// What a run reads of each input, and the marks to save if it succeeds.
pub struct Plan {
    /// The inputs to map (parts of files; files skipped when nothing is new).
    pub inputs: Vec<InputSpec>,
    /// The marks after this run.
    pub marks: BTreeMap<String, FileMark>,
    /// Files read from the start although the state knew them (rotated or truncated).
    pub restarted: Vec<String>,
}

/// Decides what to read of `inputs` given the previous `marks`. Every input must be a file.
pub fn plan(inputs: &[InputSpec], mut marks: BTreeMap<String, FileMark>) -> Result<Plan> {
    let mut out = Plan {
        inputs: Vec::new(),
        marks: BTreeMap::new(),
        restarted: Vec::new(),
    };
    for spec in inputs {
        let path = match spec {
            InputSpec::Path(p) => p.clone(),
            other => {
                return Err(Error::InvalidArgument {
                    flag: "--state",
                    value: other.name(),
                    reason: "incremental runs read named files, not stdin".into(),
                })
            }
        };
        let key = path.display().to_string();
        let open_err = |source| Error::Open {
            path: path.clone(),
            source,
        };
        let file = File::open(&path).map_err(open_err)?;
        let meta = file.metadata().map_err(open_err)?;
        if meta.is_dir() {
            return Err(Error::IsDirectory { path: path.clone() });
        }
        let size = meta.len();
        let previous = marks.remove(&key);
        let mut head = [0u8; decompress::MAGIC_LEN];
        let n = file.read_at(&mut head, 0).unwrap_or(0);
        let compressed = decompress::detect(&head[..n]).is_some();
        let continues = previous
            .as_ref()
            .filter(|m| m.dev == meta.dev() && m.ino == meta.ino() && m.offset <= size)
            .map(|m| fingerprints(&file, m.offset).map(|f| (m, f)))
            .transpose()
            .map_err(|source| Error::Read {
                path: path.clone(),
                source,
            })?
            .filter(|(m, (h, t))| *h == m.head && *t == m.tail)
            .map(|(m, _)| m.offset);
        if previous.is_some() && continues.is_none() {
            out.restarted.push(key.clone());
        }
        let start = continues.unwrap_or(0);
        let end = if compressed {
            // Read whole, once: a compressed file is not appended to.
            if continues.is_some() {
                start
            } else {
                size
            }
        } else {
            last_line_end(&file, start, size).map_err(|source| Error::Read {
                path: path.clone(),
                source,
            })?
        };
        if end > start {
            out.inputs.push(if compressed {
                InputSpec::Path(path.clone())
            } else {
                InputSpec::Part {
                    path: path.clone(),
                    start,
                    end,
                }
            });
        }
        let (head, tail) = fingerprints(&file, end).map_err(|source| Error::Read {
            path: path.clone(),
            source,
        })?;
        out.marks.insert(
            key.clone(),
            FileMark {
                path: key,
                dev: meta.dev(),
                ino: meta.ino(),
                offset: end,
                head,
                tail,
            },
        );
    }
    // Files not named this time keep their marks.
    out.marks.extend(marks);
    Ok(out)
}

/// Writes the state atomically: a temporary file in the same directory, fsync, rename.
pub fn save<S: State>(
    path: &Path,
    params: &JobParams,
    marks: &BTreeMap<String, FileMark>,
    total: &Keyed<S>,
) -> Result<()> {
    let write_err = |source| Error::OutputFile {
        path: path.to_path_buf(),
        source,
    };
    // The same atomic replace as `-o`: temporary file beside it, fsync, rename.
    let mut file = OutputFile::create(path)?;
    {
        let mut out = io::BufWriter::new(&mut file);
        out.write_all(params.header_line().as_bytes())
            .map_err(write_err)?;
        for m in marks.values() {
            out.write_all(b"#file\t").map_err(write_err)?;
            serde_json::to_writer(&mut out, m).map_err(|e| write_err(e.into()))?;
            out.write_all(b"\n").map_err(write_err)?;
        }
        job::write_partial(params, total, EmitMode::Lines, &mut out).map_err(write_err)?;
        out.flush().map_err(write_err)?;
    }
    file.commit()
}

/// One past the last `\n` in `start..size` of `file`, or `start` when there is none.
fn last_line_end(file: &File, start: u64, size: u64) -> io::Result<u64> {
    let mut end = size;
    let mut buf = vec![0u8; 64 << 10];
    while end > start {
        let from = end.saturating_sub(buf.len() as u64).max(start);
        let n = (end - from) as usize;
        file.read_exact_at(&mut buf[..n], from)?;
        if let Some(i) = memchr::memrchr(b'\n', &buf[..n]) {
            return Ok(from + i as u64 + 1);
        }
        end = from;
    }
    Ok(start)
}

/// Fingerprints of the first `min(offset, 4096)` bytes and of the same number of bytes
/// before `offset`.
fn fingerprints(file: &File, offset: u64) -> io::Result<(u64, u64)> {
    let n = offset.min(PRINT_LEN) as usize;
    let mut buf = vec![0u8; n];
    file.read_exact_at(&mut buf, 0)?;
    let head = fnv1a(&buf);
    file.read_exact_at(&mut buf, offset - n as u64)?;
    Ok((head, fnv1a(&buf)))
}

/// FNV-1a, 64-bit: a fingerprint that stays the same across builds and machines (the state
/// file outlives the binary that wrote it).
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan_for(path: &Path, marks: BTreeMap<String, FileMark>) -> Plan {
        plan(&[InputSpec::Path(path.to_path_buf())], marks).unwrap()
    }

    #[test]
    fn appends_continue_and_rewrites_restart() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("app.log");
        std::fs::write(&p, "a\nb\npartial").unwrap();
        let first = plan_for(&p, BTreeMap::new());
        assert_eq!(
            first.inputs,
            vec![InputSpec::Part {
                path: p.clone(),
                start: 0,
                end: 4
            }]
        );
        // Appended: continue after the last complete line.
        std::fs::write(&p, "a\nb\npartial line\nc\n").unwrap();
        let second = plan_for(&p, first.marks.clone());
        assert_eq!(
            second.inputs,
            vec![InputSpec::Part {
                path: p.clone(),
                start: 4,
                end: 19
            }]
        );
        assert!(second.restarted.is_empty());
        // Nothing new: nothing to read.
        assert!(plan_for(&p, second.marks.clone()).inputs.is_empty());
        // Truncated in place (copytruncate), then written again: start over.
        std::fs::write(&p, "x\n").unwrap();
        let third = plan_for(&p, second.marks.clone());
        assert_eq!(third.restarted, vec![p.display().to_string()]);
        assert_eq!(
            third.inputs,
            vec![InputSpec::Part {
                path: p.clone(),
                start: 0,
                end: 2
            }]
        );
        // Same length but different bytes before the offset: start over too.
        std::fs::write(&p, "a\nb\npartial linE\nc\n").unwrap();
        assert_eq!(
            plan_for(&p, second.marks).restarted.len(),
            1,
            "changed bytes must be noticed"
        );
    }
}
