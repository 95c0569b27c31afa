//! Spill runs on disk: temporary files, the run writer (sorted sections, varint-framed
//! entries, optional zstd) and the positioned section reader.

use super::{WRITE_BUF, ZSTD_LEVEL, ZSTD_WINDOW_LOG};
use crate::aggregate::State;
use crate::error::Error;
use crate::error::Result;
use crate::signals;
use std::fs::File;
use std::fs::OpenOptions;
use std::io;
use std::io::BufWriter;
use std::io::Read;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering as Atomic;

/// Creates the run files of one process in a directory.
pub(super) struct TempFiles {
    pub(super) dir: PathBuf,
    pub(super) next: AtomicU64,
}

impl TempFiles {
    pub(super) fn new(dir: &Path) -> TempFiles {
        TempFiles {
            dir: dir.to_path_buf(),
            next: AtomicU64::new(0),
        }
    }

    pub(super) fn err(&self, source: io::Error) -> Error {
        Error::Spill {
            dir: self.dir.clone(),
            source,
        }
    }

    /// A new file for reading and writing, already unlinked.
    pub(super) fn create(&self) -> Result<File> {
        let pid = std::process::id();
        loop {
            let n = self.next.fetch_add(1, Atomic::Relaxed);
            let path = self.dir.join(format!(".logmill-spill-{pid}-{n}.run"));
            // Registered before it exists, so a signal between create and unlink removes it;
            // the window makes a handler on another thread wait for the unlink.
            let window = signals::creating();
            let guard = signals::register_temp(&path);
            let opened = OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .open(&path);
            match opened {
                Ok(file) => {
                    std::fs::remove_file(&path).map_err(|e| self.err(e))?;
                    drop(guard);
                    drop(window);
                    return Ok(file);
                }
                // Left by a killed run with a recycled pid: take the next name.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && n < 1 << 20 => continue,
                Err(e) => return Err(self.err(e)),
            }
        }
    }
}

/// A sorted run on disk: `parts` sections, each a byte range of the file.
#[derive(Debug)]
pub(crate) struct Run {
    pub(super) file: File,
    pub(super) parts: Vec<(u64, u64)>,
    /// Per section: its bytes before compression (what a reader gets out of it), so that a
    /// corrupt length can be told from a long key without trying to allocate it.
    pub(super) raw: Vec<u64>,
    pub(super) compressed: bool,
}

/// Counts the bytes that reach the file.
pub(super) struct Counting<W> {
    pub(super) inner: W,
    pub(super) n: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.n += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

pub(super) enum Sink {
    Plain(Counting<BufWriter<File>>),
    Zstd(zstd::Encoder<'static, Counting<BufWriter<File>>>),
    Done,
}

/// Writes the sections of one run in order.
pub(super) struct RunWriter {
    pub(super) sink: Sink,
    pub(super) compress: bool,
    pub(super) parts: Vec<(u64, u64)>,
    pub(super) raw: Vec<u64>,
    pub(super) raw_len: u64,
    pub(super) want: usize,
    pub(super) start: u64,
    pub(super) entry: Vec<u8>,
    pub(super) state: Vec<u8>,
}

impl RunWriter {
    pub(super) fn create(files: &TempFiles, parts: usize, compress: bool) -> Result<RunWriter> {
        let file = files.create()?;
        let out = Counting {
            inner: BufWriter::with_capacity(WRITE_BUF, file),
            n: 0,
        };
        let sink = if compress {
            Sink::Zstd(encoder(out).map_err(|e| files.err(e))?)
        } else {
            Sink::Plain(out)
        };
        Ok(RunWriter {
            sink,
            compress,
            parts: Vec::with_capacity(parts),
            raw: Vec::with_capacity(parts),
            raw_len: 0,
            want: parts.max(1),
            start: 0,
            entry: Vec::with_capacity(256),
            state: Vec::with_capacity(64),
        })
    }

    /// Appends an entry to section `part` (sections in increasing order, keys sorted within).
    pub(super) fn push<S: State>(&mut self, part: usize, key: &[u8], state: &S) -> io::Result<()> {
        while self.parts.len() < part {
            self.end_part()?;
        }
        self.entry.clear();
        put_varint(&mut self.entry, key.len() as u64);
        self.entry.extend_from_slice(key);
        self.state.clear();
        self.state = postcard::to_extend(state, std::mem::take(&mut self.state))
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        put_varint(&mut self.entry, self.state.len() as u64);
        self.entry.extend_from_slice(&self.state);
        self.raw_len += self.entry.len() as u64;
        match &mut self.sink {
            Sink::Plain(w) => w.write_all(&self.entry),
            Sink::Zstd(w) => w.write_all(&self.entry),
            Sink::Done => Ok(()),
        }
    }

    /// Closes the current section (a zstd frame ends with it).
    pub(super) fn end_part(&mut self) -> io::Result<()> {
        let end = match std::mem::replace(&mut self.sink, Sink::Done) {
            Sink::Plain(w) => {
                let n = w.n;
                self.sink = Sink::Plain(w);
                n
            }
            Sink::Zstd(enc) => {
                let w = enc.finish()?;
                let n = w.n;
                self.sink = if self.parts.len() + 1 < self.want {
                    Sink::Zstd(encoder(w)?)
                } else {
                    Sink::Plain(w)
                };
                n
            }
            Sink::Done => self.start,
        };
        self.parts.push((self.start, end));
        self.raw.push(std::mem::take(&mut self.raw_len));
        self.start = end;
        Ok(())
    }

    pub(super) fn finish(mut self) -> io::Result<Run> {
        while self.parts.len() < self.want {
            self.end_part()?;
        }
        let w = match std::mem::replace(&mut self.sink, Sink::Done) {
            Sink::Plain(w) => w,
            Sink::Zstd(enc) => enc.finish()?,
            Sink::Done => return Err(io::Error::other("run written twice")),
        };
        let file = w.inner.into_inner().map_err(|e| e.into_error())?;
        Ok(Run {
            file,
            parts: self.parts,
            raw: self.raw,
            compressed: self.compress,
        })
    }
}

pub(super) fn encoder<W: Write>(w: W) -> io::Result<zstd::Encoder<'static, W>> {
    let mut e = zstd::Encoder::new(w, ZSTD_LEVEL)?;
    e.window_log(ZSTD_WINDOW_LOG)?;
    Ok(e)
}

pub(super) fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Reads one section of a run with positioned reads, so threads share the descriptor.
pub(super) struct Section<'a> {
    pub(super) file: &'a File,
    pub(super) pos: u64,
    pub(super) end: u64,
}

impl Read for Section<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min((self.end - self.pos) as usize);
        if n == 0 {
            return Ok(0);
        }
        let got = self.file.read_at(&mut buf[..n], self.pos)?;
        self.pos += got as u64;
        Ok(got)
    }
}

/// A buffered byte reader that parses entries in place. Bytes from `pin` on are kept when the
/// buffer is refilled (they move to its start), so a parsed key can stay where it was read.
pub(super) struct Bytes<R> {
    pub(super) inner: R,
    pub(super) buf: Vec<u8>,
    pub(super) pos: usize,
    pub(super) len: usize,
    pub(super) pin: usize,
    /// Bytes parsed so far.
    pub(super) consumed: u64,
}

impl<R: Read> Bytes<R> {
    pub(super) fn new(inner: R, cap: usize) -> Self {
        Bytes {
            inner,
            buf: vec![0; cap.max(64)],
            pos: 0,
            len: 0,
            pin: usize::MAX,
            consumed: 0,
        }
    }

    /// Makes at least `n` bytes available unless the input ends first; false then.
    #[inline]
    pub(super) fn ensure(&mut self, n: usize) -> io::Result<bool> {
        if self.len - self.pos >= n {
            return Ok(true);
        }
        self.refill(n)
    }

    #[cold]
    pub(super) fn refill(&mut self, n: usize) -> io::Result<bool> {
        let from = self.pin.min(self.pos);
        self.buf.copy_within(from..self.len, 0);
        self.len -= from;
        self.pos -= from;
        if self.pin != usize::MAX {
            self.pin -= from;
        }
        if self.buf.len() < self.pos + n {
            self.buf.resize(self.pos + n, 0);
        }
        let n = self.pos + n;
        while self.len < n {
            let got = self.inner.read(&mut self.buf[self.len..])?;
            if got == 0 {
                return Ok(false);
            }
            self.len += got;
        }
        Ok(true)
    }

    /// A varint, or None at the very end of the input.
    pub(super) fn varint(&mut self) -> io::Result<Option<u64>> {
        let mut v = 0u64;
        for i in 0..10 {
            if !self.ensure(1)? {
                return if i == 0 { Ok(None) } else { Err(truncated()) };
            }
            let b = self.buf[self.pos];
            self.pos += 1;
            self.consumed += 1;
            v |= u64::from(b & 0x7f) << (7 * i);
            if b < 0x80 {
                return Ok(Some(v));
            }
        }
        Err(io::Error::new(io::ErrorKind::InvalidData, "bad varint"))
    }

    pub(super) fn take(&mut self, n: usize) -> io::Result<&[u8]> {
        if !self.ensure(n)? {
            return Err(truncated());
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        self.consumed += n as u64;
        Ok(s)
    }
}

pub(super) fn truncated() -> io::Error {
    io::Error::new(io::ErrorKind::UnexpectedEof, "truncated spill run")
}
