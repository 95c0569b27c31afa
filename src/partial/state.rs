//! Incremental runs (`--state FILE`): remember how far each input was read and the partial
//! so far, so the next run (a cron job, say) reads only what was appended since.
//!
//! The state file is a partial file (`logmill merge` reads it) with one extra line per input:
//!
//! ```text
//! #logmill-partial<TAB>2<TAB>{"job":...}
//! #file<TAB>{"path":"/var/log/app.log","dev":2049,"ino":1234,"offset":5678,"head":...,"tail":...}
//! KEY<TAB>STATE ...                    (the running total)
//! #logmill-end<TAB>ROWS<TAB>CRC32      (the end marker: a cut or altered state is refused)
//! ```
//!
//! `path` holds the name's bytes exactly ([`partial::escape_path`]: `\xHH` for a byte that is
//! not UTF-8), so two names differing only in such bytes keep two entries.
//!
//! A run holds an exclusive lock (`flock`) on `STATE.lock` beside the state from before it
//! reads the state until the new one is in place, so overlapping runs never report the same
//! lines twice. The new state is written and fsynced to a temporary file before any result is
//! printed (a state that cannot be written fails the run before it prints anything) and renamed
//! into place only once every result was written.
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
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::atomic::OutputFile;
use crate::error::{Error, Result};
use crate::input::{decompress, InputSpec};
use crate::partial;
use crate::partial::format::{self, EmitMode, Header, Keyed, State};

/// How many bytes each fingerprint covers.
const PRINT_LEN: u64 = 4096;

/// What is remembered of one input file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileMark {
    /// The path as given, its bytes escaped by [`partial::escape_path`] (version 1 files held
    /// a lossy UTF-8 text).
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
pub fn load<S: State>(path: &Path, params: &impl Header) -> Result<Loaded<S>> {
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
    match file.metadata() {
        Ok(m) if !m.is_file() => {
            return Err(Error::BadPartial {
                path: path.to_path_buf(),
                line: 1,
                reason: "not a regular file; a state file must be one (or not exist yet)".into(),
            })
        }
        _ => {}
    }
    let mut text = Vec::new();
    io::Read::read_to_end(&mut io::BufReader::new(file), &mut text).map_err(|source| {
        Error::Read {
            path: path.to_path_buf(),
            source,
        }
    })?;
    // Checks the header, the end marker and the total; `#file` lines are skipped there.
    let header = format::read_partial(path, &mut &text[..], Some(params), &mut loaded.total)?;
    if header.is_none() && !text.is_empty() {
        return Err(Error::BadPartial {
            path: path.to_path_buf(),
            line: 1,
            reason: "not a logmill state file (no header)".into(),
        });
    }
    // Version 1 stored a path as UTF-8 text as it is: escape it as version 2 does.
    let version1 = text.starts_with(format!("{}\t1\t", partial::MAGIC).as_bytes());
    for (n, line) in text.split(|&b| b == b'\n').enumerate() {
        let Some(json) = line.strip_prefix(b"#file\t") else {
            continue;
        };
        let mut mark: FileMark = serde_json::from_slice(json).map_err(|e| Error::BadPartial {
            path: path.to_path_buf(),
            line: n + 1,
            reason: format!("bad #file line: {}", format::json_problem(&e)),
        })?;
        if version1 {
            mark.path = partial::escape_path(mark.path.as_bytes());
        }
        loaded.marks.insert(mark.path.clone(), mark);
    }
    Ok(loaded)
}

/// The lock on a state file, held until dropped (closing the file releases it).
#[derive(Debug)]
pub struct StateLock {
    _file: File,
}

/// The lock file of the state at `path`: `STATE.lock` beside it.
pub fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

/// Takes the exclusive lock of the state at `path`, waiting up to `timeout` while another run
/// holds it. The lock file is left in place: removing it could let two runs lock two files.
pub fn lock(path: &Path, timeout: Duration) -> Result<StateLock> {
    let lock = lock_path(path);
    let file = File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o644)
        .open(&lock)
        .map_err(|source| Error::StateLock {
            lock: lock.clone(),
            source,
        })?;
    let deadline = Instant::now() + timeout;
    loop {
        // SAFETY: flock on a file descriptor this function owns; no memory is involved.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
            return Ok(StateLock { _file: file });
        }
        let e = io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::EINTR) => continue,
            Some(libc::EWOULDBLOCK) => {
                let now = Instant::now();
                if now >= deadline {
                    return Err(Error::StateBusy {
                        path: path.to_path_buf(),
                        lock,
                        waited: timeout,
                    });
                }
                std::thread::sleep((deadline - now).min(Duration::from_millis(20)));
            }
            _ => return Err(Error::StateLock { lock, source: e }),
        }
    }
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
        let key = partial::escape_path(path.as_os_str().as_bytes());
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
            out.restarted.push(path.display().to_string());
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

/// Puts the mark of the file `spec` reads back to where `previous` had it (or drops it), for an
/// input that failed during the run: its bytes are not in the result, so the next run reads
/// them again.
pub fn forget_progress(
    marks: &mut BTreeMap<String, FileMark>,
    previous: &BTreeMap<String, FileMark>,
    spec: &InputSpec,
) {
    let path = match spec {
        InputSpec::Path(p) | InputSpec::Part { path: p, .. } => p,
        InputSpec::Stdin | InputSpec::Bytes { .. } => return,
    };
    let key = partial::escape_path(path.as_os_str().as_bytes());
    match previous.get(&key) {
        Some(m) => {
            marks.insert(key, m.clone());
        }
        None => {
            marks.remove(&key);
        }
    }
}

/// A new state written and fsynced beside the old one, not yet in place.
#[derive(Debug)]
pub struct Prepared {
    file: OutputFile,
}

impl Prepared {
    /// Puts the new state in place (rename over the old one).
    pub fn publish(self) -> Result<()> {
        self.file.commit()
    }
}

/// Writes the new state to a temporary file beside `path` and fsyncs it, so that a state
/// that cannot be written (no such directory, a full disk) fails before any result is
/// printed; [`Prepared::publish`] puts it in place. Dropped unpublished, it is removed.
pub fn prepare<S: State>(
    path: &Path,
    params: &impl Header,
    marks: &BTreeMap<String, FileMark>,
    total: &Keyed<S>,
) -> Result<Prepared> {
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
        let mut body = partial::Body::new(&mut out);
        for m in marks.values() {
            body.write_all(b"#file\t").map_err(write_err)?;
            serde_json::to_writer(&mut body, m).map_err(|e| write_err(e.into()))?;
            body.write_all(b"\n").map_err(write_err)?;
        }
        format::write_partial(params, total, EmitMode::Lines, &mut body).map_err(write_err)?;
        body.finish().map_err(write_err)?;
    }
    file.sync().map_err(write_err)?;
    Ok(Prepared { file })
}

/// Writes the state atomically: [`prepare`], then [`Prepared::publish`].
pub fn save<S: State>(
    path: &Path,
    params: &impl Header,
    marks: &BTreeMap<String, FileMark>,
    total: &Keyed<S>,
) -> Result<()> {
    prepare(path, params, marks, total)?.publish()
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
