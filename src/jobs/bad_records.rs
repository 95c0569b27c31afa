//! Bad records, for every job that can reject one: a record is rejected before anything of
//! it is counted, and then
//!
//! - without `--rejects` or `--strict` it is only counted (by the job, by reason);
//! - with `--rejects FILE` its text goes to a spool file while the partial keeps only where
//!   it was; at the end `FILE` lists every bad record as `input:line:text`, in input order;
//! - with `--strict` the first bad record in input order is the error of the run.
//!
//! Line numbers: chunks know their byte offset, not their line number. Each chunk records
//! how many lines it holds ([`BadRecords::chunk_done`]), and each reject its line within its
//! chunk; at the end the line counts of the earlier chunks of the same input are added up.
//! That costs one counter per chunk and works for streams, which cannot be read twice.
//!
//! A job's mapper holds one [`BadRecords`] (where its bad records go), its partial one
//! [`Listed`] (where they were), and its export calls [`BadRecords::settle`].

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::Chunk;
use crate::aggregate::Merge;
use crate::atomic::OutputFile;
use crate::error::{Error, Result};

/// Where a run's bad records go: the spool of `--rejects`, or `--strict`, or nowhere (they
/// are only counted).
pub struct BadRecords {
    /// `--rejects`.
    path: Option<PathBuf>,
    /// `--strict`.
    strict: bool,
    /// The rejected texts (with `--rejects`, not `--strict`).
    spool: Option<Spool>,
    /// With `--strict`: the earliest bad record found so far, `(input, offset)`.
    first_bad: Mutex<Option<(usize, u64)>>,
}

/// Rejected texts buffered per chunk before they go to the spool.
const REJECT_BUFFER: usize = 1 << 16;

impl BadRecords {
    /// Where the bad records of a run with `--rejects path` and `--strict` go; opens the spool
    /// (and creates the rejects file's temporary, so an unwritable path fails before any work).
    pub fn new(path: Option<&Path>, strict: bool) -> Result<BadRecords> {
        let spool = match path {
            Some(path) if !strict => Some(Spool::for_rejects(path)?),
            _ => None,
        };
        Ok(BadRecords {
            path: path.map(Path::to_path_buf),
            strict,
            spool,
            first_bad: Mutex::new(None),
        })
    }

    /// Whether bad records are listed (spooled or kept for `--strict`), not only counted.
    pub fn listed(&self) -> bool {
        self.spool.is_some() || self.strict
    }

    /// With `--strict`: whether a chunk starting at `(input, offset)` comes after a bad record
    /// already found, so that it cannot hold the first one.
    pub fn past_first_bad(&self, input: usize, offset: u64) -> bool {
        if !self.strict {
            return false;
        }
        let g = self.first_bad.lock().unwrap_or_else(|p| p.into_inner());
        g.is_some_and(|first| (input, offset) > first)
    }

    /// Lists one bad record: at `start` in `chunk`, on line `line_in_chunk` (0-based) of the
    /// chunk, with its `text` and the `reason` `--strict` reports. Returns true when the chunk
    /// needs no more bad records (`--strict`: only the first counts).
    #[allow(clippy::too_many_arguments)]
    pub fn reject(
        &self,
        chunk: Chunk<'_>,
        start: usize,
        line_in_chunk: u64,
        text: &[u8],
        reason: impl FnOnce() -> String,
        buffer: &mut ChunkRejects,
        list: &mut Listed,
    ) -> bool {
        let offset = chunk.offset + start as u64;
        let mut r = Reject {
            input: chunk.input,
            offset,
            chunk_offset: chunk.offset,
            line_in_chunk,
            spool: (0, 0),
            detail: None,
        };
        if self.strict {
            let mut g = self.first_bad.lock().unwrap_or_else(|p| p.into_inner());
            if g.is_none_or(|first| (chunk.input, offset) < first) {
                *g = Some((chunk.input, offset));
            }
            r.detail = Some((reason(), text.to_vec()));
            list.rejects.push(r);
            return true;
        }
        if self.spool.is_some() {
            r.spool = (buffer.text.len() as u64, text.len() as u64);
            buffer.text.extend_from_slice(text);
            buffer.pending.push(r);
            if buffer.text.len() >= REJECT_BUFFER {
                self.flush(chunk, buffer, list);
            }
        }
        false
    }

    /// Ends a chunk of `lines` lines: its buffered rejects go to the spool.
    pub fn chunk_done(
        &self,
        chunk: Chunk<'_>,
        lines: u64,
        buffer: &mut ChunkRejects,
        list: &mut Listed,
    ) {
        self.flush(chunk, buffer, list);
        list.lines.push(ChunkLines {
            input: chunk.input,
            offset: chunk.offset,
            lines,
        });
    }

    fn flush(&self, chunk: Chunk<'_>, buffer: &mut ChunkRejects, list: &mut Listed) {
        let Some(spool) = &self.spool else { return };
        if buffer.pending.is_empty() {
            return;
        }
        match spool.append(&buffer.text) {
            Ok(base) => list.rejects.extend(buffer.pending.drain(..).map(|mut r| {
                r.spool.0 += base;
                r
            })),
            Err(e) => {
                list.error(
                    chunk.input,
                    format!("writing rejected records to a temporary file: {e}"),
                );
                buffer.pending.clear();
            }
        }
        buffer.text.clear();
    }

    /// The end of a run: the first hard error (in input order) is the run's error; with
    /// `--strict`, so is the first bad record in input order; with `--rejects`, the rejects
    /// file is written and put in place. `names` names the inputs.
    pub fn settle(&self, list: &mut Listed, names: &[String]) -> Result<()> {
        if let Some((input, msg)) = list.errors.iter().min() {
            let name = names.get(*input).map_or("-", String::as_str);
            return Err(Error::Fields(format!("{name}: {msg}")));
        }
        let lines = LineIndex::new(std::mem::take(&mut list.lines));
        if self.strict {
            if let Some(r) = list.rejects.iter().min_by_key(|r| (r.input, r.offset)) {
                let (reason, text) = r.detail.clone().unwrap_or_default();
                return Err(Error::BadRecord {
                    input: names.get(r.input).cloned().unwrap_or_default(),
                    line: lines.line(r),
                    reason,
                    text: String::from_utf8_lossy(&text[..text.len().min(200)]).into_owned(),
                });
            }
        }
        if let (Some(path), Some(spool)) = (&self.path, &self.spool) {
            write_rejects(path, spool, &mut list.rejects, &lines, names)?;
        }
        Ok(())
    }
}

/// Where a warning about bad records sends the user: the rejects file of the run, or the flag
/// that would write one.
pub fn where_listed(rejects: Option<&Path>) -> String {
    match rejects {
        Some(path) => format!("they are listed in {}", path.display()),
        None => "--rejects FILE lists them".into(),
    }
}

/// Rejected texts of one chunk, buffered before they go to the spool.
#[derive(Debug, Default)]
pub struct ChunkRejects {
    text: Vec<u8>,
    pending: Vec<Reject>,
}

/// The bad records of a partial: where they were, the chunks' line counts, and hard errors
/// of the run (by input), which end it.
#[derive(Debug, Clone, Default)]
pub struct Listed {
    lines: Vec<ChunkLines>,
    rejects: Vec<Reject>,
    errors: Vec<(usize, String)>,
}

impl Listed {
    /// A hard error in input `input`: the run fails with the first (in input order).
    pub fn error(&mut self, input: usize, msg: String) {
        self.errors.push((input, msg));
    }
}

impl Merge for Listed {
    fn merge(&mut self, other: Self) {
        self.lines.extend(other.lines);
        self.rejects.extend(other.rejects);
        self.errors.extend(other.errors);
    }
}

/// How many lines one chunk holds.
#[derive(Debug, Clone, Copy)]
struct ChunkLines {
    input: usize,
    offset: u64,
    lines: u64,
}

/// Where a rejected record was, and where its text is.
#[derive(Debug, Clone)]
struct Reject {
    input: usize,
    /// Byte offset of the record in its input.
    offset: u64,
    /// Offset of its chunk, and its line within the chunk (0-based).
    chunk_offset: u64,
    line_in_chunk: u64,
    /// Where its text is in the spool (`--rejects`).
    spool: (u64, u64),
    /// The reason and the text, kept in memory for `--strict` only (one record).
    detail: Option<(String, Vec<u8>)>,
}

/// Rejected records' texts, appended by the mappers (in no particular order) and read back
/// by position at the end. Only the positions stay in memory.
struct Spool {
    file: Mutex<(BufWriter<File>, u64)>,
    /// The `--rejects` file, written atomically as `-o` is: created (as a temporary file
    /// beside it) with the spool, so an unwritable path fails before any work, and put in
    /// place only once every reject is written.
    output: Mutex<Option<OutputFile>>,
}

impl Spool {
    /// The spool of a run writing its rejects to `path`.
    fn for_rejects(path: &Path) -> Result<Spool> {
        let temp = tempfile::tempfile().map_err(|source| Error::Open {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(Spool {
            file: Mutex::new((BufWriter::with_capacity(1 << 16, temp), 0)),
            output: Mutex::new(Some(OutputFile::create(path)?)),
        })
    }

    /// The rejects file, once (the first caller writes it).
    fn take_output(&self) -> Option<OutputFile> {
        self.output
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
    }

    /// Appends `bytes`, returning where they start.
    fn append(&self, bytes: &[u8]) -> io::Result<u64> {
        let mut g = self.file.lock().unwrap_or_else(|p| p.into_inner());
        let at = g.1;
        g.0.write_all(bytes)?;
        g.1 += bytes.len() as u64;
        Ok(at)
    }

    /// Flushes what the mappers wrote and gives a handle to read it back.
    fn flushed(&self) -> io::Result<File> {
        let mut guard = self.file.lock().unwrap_or_else(|p| p.into_inner());
        guard.0.flush()?;
        guard.0.get_ref().try_clone()
    }
}

/// Line numbers (1-based) of records, from the chunks' line counts.
struct LineIndex {
    /// Per input: `(chunk offset, lines before the chunk)`, by offset.
    starts: BTreeMap<usize, Vec<(u64, u64)>>,
}

impl LineIndex {
    fn new(mut chunks: Vec<ChunkLines>) -> LineIndex {
        chunks.sort_unstable_by_key(|c| (c.input, c.offset));
        let mut starts: BTreeMap<usize, Vec<(u64, u64)>> = BTreeMap::new();
        for c in chunks {
            let v = starts.entry(c.input).or_default();
            let before = v.last().map_or(0, |&(_, b)| b);
            // Store the running total *after* each chunk; look-ups subtract.
            v.push((c.offset, before + c.lines));
        }
        LineIndex { starts }
    }

    fn line(&self, r: &Reject) -> u64 {
        let before = self.starts.get(&r.input).map_or(0, |v| {
            let i = v.partition_point(|&(off, _)| off < r.chunk_offset);
            if i == 0 {
                0
            } else {
                v[i - 1].1
            }
        });
        before + r.line_in_chunk + 1
    }
}

/// Writes `path:line:text` lines for the rejects, in input and line order, to the spool's
/// output file, and puts it in place at `path` (atomically: a failure leaves the previous file
/// as it was).
fn write_rejects(
    path: &Path,
    spool: &Spool,
    rejects: &mut [Reject],
    lines: &LineIndex,
    names: &[String],
) -> Result<()> {
    use std::os::unix::fs::FileExt;
    let write_err = |source| Error::Open {
        path: path.to_path_buf(),
        source,
    };
    let Some(mut file) = spool.take_output() else {
        return Ok(());
    };
    let spool = spool.flushed().map_err(write_err)?;
    rejects.sort_unstable_by_key(|r| (r.input, r.offset));
    let mut w = BufWriter::with_capacity(1 << 16, file.file_mut());
    let mut text = Vec::new();
    for r in rejects.iter() {
        text.resize(r.spool.1 as usize, 0);
        spool
            .read_exact_at(&mut text, r.spool.0)
            .map_err(write_err)?;
        let name = names.get(r.input).map_or("-", String::as_str);
        write!(w, "{name}:{}:", lines.line(r)).map_err(write_err)?;
        w.write_all(&text).map_err(write_err)?;
        w.write_all(b"\n").map_err(write_err)?;
    }
    w.flush().map_err(write_err)?;
    drop(w);
    file.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(input: usize, offset: u64, data: &[u8]) -> Chunk<'_> {
        Chunk {
            input,
            offset,
            head: b"",
            data,
            sample: b"",
            lines_from: offset,
            lines_before: 0,
        }
    }

    /// Rejects the line starting at `start` of `c` (line `line` of the chunk).
    fn reject(bad: &BadRecords, c: Chunk<'_>, start: usize, line: u64, list: &mut Listed) -> bool {
        let text = c.data[start..].split(|&b| b == b'\n').next().unwrap();
        let mut buffer = ChunkRejects::default();
        let stop = bad.reject(
            c,
            start,
            line,
            text,
            || format!("bad {line}"),
            &mut buffer,
            list,
        );
        let lines = c.data.iter().filter(|&&b| b == b'\n').count() as u64;
        bad.chunk_done(c, lines, &mut buffer, list);
        stop
    }

    #[test]
    fn strict_reports_the_first_bad_record_in_input_order() {
        let bad = BadRecords::new(None, true).unwrap();
        let names = vec!["a.log".to_string(), "b.log".to_string()];
        let (first, second) = (b"ok\nno\n".as_slice(), b"ok\nok\nlate\n".as_slice());
        // The later chunk is mapped first, as parallel workers may.
        let mut list = Listed::default();
        assert!(reject(&bad, chunk(0, 6, second), 6, 2, &mut list));
        assert!(bad.past_first_bad(0, 13));
        assert!(!bad.past_first_bad(0, 7));
        assert!(!bad.past_first_bad(0, 0));
        let mut other = Listed::default();
        assert!(reject(&bad, chunk(0, 0, first), 3, 1, &mut other));
        list.merge(other);
        match bad.settle(&mut list, &names) {
            Err(Error::BadRecord {
                input,
                line,
                reason,
                text,
            }) => assert_eq!(
                (input.as_str(), line, reason.as_str(), text.as_str()),
                ("a.log", 2, "bad 1", "no")
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn rejects_file_lists_records_in_input_and_line_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rejects.txt");
        let bad = BadRecords::new(Some(&path), false).unwrap();
        assert!(bad.listed());
        let names = vec!["a.log".to_string(), "b.log".to_string()];
        let mut list = Listed::default();
        assert!(!reject(&bad, chunk(1, 0, b"x\ny\n"), 2, 1, &mut list));
        assert!(!reject(&bad, chunk(0, 4, b"p\nq\n"), 2, 1, &mut list));
        assert!(!reject(&bad, chunk(0, 0, b"m\nn\n"), 0, 0, &mut list));
        bad.settle(&mut list, &names).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "a.log:1:m\na.log:4:q\nb.log:2:y\n"
        );
    }

    #[test]
    fn the_first_hard_error_ends_the_run() {
        let bad = BadRecords::new(None, false).unwrap();
        assert!(!bad.listed());
        let mut list = Listed::default();
        list.error(1, "late".into());
        list.error(0, "early".into());
        let err = bad
            .settle(&mut list, &["a".into(), "b".into()])
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            Error::Fields("a: early".into()).to_string()
        );
    }

    #[test]
    fn line_numbers_add_up_earlier_chunks() {
        let chunks = vec![
            ChunkLines {
                input: 0,
                offset: 100,
                lines: 5,
            },
            ChunkLines {
                input: 0,
                offset: 0,
                lines: 3,
            },
            ChunkLines {
                input: 1,
                offset: 0,
                lines: 7,
            },
            ChunkLines {
                input: 0,
                offset: 250,
                lines: 1,
            },
        ];
        let idx = LineIndex::new(chunks);
        let r = |input, chunk_offset, line_in_chunk| Reject {
            input,
            offset: 0,
            chunk_offset,
            line_in_chunk,
            spool: (0, 0),
            detail: None,
        };
        assert_eq!(idx.line(&r(0, 0, 0)), 1);
        assert_eq!(idx.line(&r(0, 100, 2)), 6);
        assert_eq!(idx.line(&r(0, 250, 0)), 9);
        assert_eq!(idx.line(&r(1, 0, 6)), 7);
    }
}
