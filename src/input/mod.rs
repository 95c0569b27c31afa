//! Opening inputs. A regular file becomes a byte slice (memory-mapped, see `mmap.rs`, or read
//! whole when small) that the chunker can split; stdin, FIFOs, compressed files and files read
//! with `--mmap never` become streams read in bounded blocks (see `stream.rs`). Mappers never
//! learn which kind of source a chunk came from.

pub mod decompress;
mod members;
mod mmap;
mod parallel;
pub(crate) mod stream;
pub mod walk;

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::progress::{CountingReader, Progress};

/// An input as the user named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputSpec {
    /// A path on disk (`-` is turned into [`InputSpec::Stdin`] by the config).
    Path(PathBuf),
    /// The process's standard input, read in bounded blocks.
    Stdin,
    /// The bytes `start..end` of a plain (uncompressed) file, as whole lines: what an
    /// incremental run (`--state`) reads of a file it has seen before.
    Part {
        /// The file.
        path: PathBuf,
        /// First byte to read (a line start).
        start: u64,
        /// One past the last byte to read (a line end).
        end: u64,
    },
    /// Bytes already in memory, with a display name (for tests and library users).
    Bytes {
        /// The name used in messages and per-input output.
        name: String,
        /// The content.
        data: Vec<u8>,
    },
}

impl InputSpec {
    /// The name as its bytes, exactly (a path need not be UTF-8), for per-input results.
    pub fn name_bytes(&self) -> Vec<u8> {
        use std::os::unix::ffi::OsStrExt;
        match self {
            InputSpec::Path(p) | InputSpec::Part { path: p, .. } => {
                p.as_os_str().as_bytes().to_vec()
            }
            InputSpec::Stdin => b"-".to_vec(),
            InputSpec::Bytes { name, .. } => name.as_bytes().to_vec(),
        }
    }

    /// The name of the input in messages and per-input results.
    pub fn name(&self) -> String {
        match self {
            InputSpec::Path(p) | InputSpec::Part { path: p, .. } => p.display().to_string(),
            InputSpec::Stdin => "-".to_string(),
            InputSpec::Bytes { name, .. } => name.clone(),
        }
    }
}

/// When regular files are memory-mapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MmapPolicy {
    /// Map files of [`MMAP_MIN`] bytes or more; read smaller ones whole.
    #[default]
    Auto,
    /// Map every regular file; fail if a file cannot be mapped.
    Always,
    /// Never map: read every file as a stream. Immune to files truncated during the run
    /// (the shortfall is reported as an error).
    Never,
}

/// Below this size `--mmap auto` reads a file whole instead of mapping it: the mapping's set-up
/// costs more than the copy, and a read file cannot raise SIGBUS if truncated.
pub const MMAP_MIN: u64 = 1 << 20;

/// The whole content of an input that can be split by byte ranges.
pub(crate) enum Data {
    Mapped(memmap2::Mmap),
    Owned(Vec<u8>),
}

impl std::ops::Deref for Data {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Data::Mapped(m) => m,
            Data::Owned(v) => v,
        }
    }
}

impl Data {
    /// True for a memory-mapped file.
    pub(crate) fn is_mapped(&self) -> bool {
        matches!(self, Data::Mapped(_))
    }

    /// Drops the whole pages of `range` from the resident set when this is a file mapping (see
    /// `mmap.rs`); does nothing to memory of our own, which releasing would zero.
    pub(crate) fn release(&self, range: std::ops::Range<usize>) {
        if let Data::Mapped(m) = self {
            if let Some(bytes) = m.get(range) {
                mmap::release(bytes);
            }
        }
    }
}

/// An opened input.
pub(crate) enum Source {
    /// Random access: split into chunks and mapped in parallel. Only `data[window]` is read.
    Slice {
        /// The whole file (or bytes).
        data: Data,
        /// The part to read.
        window: std::ops::Range<usize>,
    },
    /// Sequential: read in blocks of whole lines on one thread, mapped in parallel.
    Stream {
        /// The input's name, for messages.
        name: PathBuf,
        /// The (decompressed) bytes.
        reader: Box<dyn Read + Send>,
        /// For a plain regular file, its size when opened: reading fewer bytes means it
        /// shrank during the run, which is an error.
        expected_len: Option<u64>,
        /// For a regular file (compressed or not), its size on disk: what `--shard` and
        /// progress count. `None` for stdin and pipes.
        raw_len: Option<u64>,
    },
}

/// Options for opening inputs.
#[derive(Clone, Default)]
pub(crate) struct OpenOptions {
    pub mmap: MmapPolicy,
    pub progress: Progress,
    pub limits: InputLimits,
    /// Threads that may decode one multi-member gzip or multi-frame zstd file (`-j`); 0 is 1.
    pub decode_threads: usize,
    /// Decoded bytes each of those threads makes at a time: four chunks (`--chunk-size`),
    /// at most 64 MiB; 0 is the default of 4 MiB.
    pub decode_run: usize,
}

/// The longest record a stream may hold in memory by default (`--max-line`): 1 GiB.
pub const DEFAULT_MAX_LINE: usize = 1 << 30;

/// Bounds on what one input may make logmill read or hold, so that an endless or hostile input
/// (`/dev/zero`, a gzip bomb, a stream with no newline, a CSV quote never closed) ends in a
/// clear error instead of exhausting memory. Memory-mapped files hold no buffer, so only
/// `max_bytes` applies to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputLimits {
    /// Most bytes one input may have, after decompression (`--max-bytes`); `None`: no limit.
    pub max_bytes: Option<u64>,
    /// Longest record (line, or CSV record with quoted newlines) a stream may buffer
    /// (`--max-line`).
    pub max_line: usize,
}

impl Default for InputLimits {
    fn default() -> Self {
        InputLimits {
            max_bytes: None,
            max_line: DEFAULT_MAX_LINE,
        }
    }
}

/// The message of an input past `--max-bytes`.
fn over_max_bytes(limit: u64) -> io::Error {
    io::Error::other(format!(
        "input exceeded --max-bytes ({limit} bytes); raise the limit to read it"
    ))
}

/// A reader that counts the bytes it passes on, so that a failure names its offset (a gzip file
/// corrupt in the middle), and that fails once more than `max_bytes` come through, and (for
/// line readers) when one line grows past `max_line`.
struct Guard<R> {
    inner: R,
    read: u64,
    max_bytes: Option<u64>,
    /// The longest line allowed and the length of the unfinished one, when lines are bounded.
    line: Option<(usize, usize)>,
    decompressed: bool,
}

impl<R: Read> Guard<R> {
    fn new(inner: R, max_bytes: Option<u64>, decompressed: bool) -> Self {
        Guard {
            inner,
            read: 0,
            max_bytes,
            line: None,
            decompressed,
        }
    }
}

impl<R: Read> Read for Guard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut want = buf.len();
        if let Some(max) = self.max_bytes {
            let left = max.saturating_sub(self.read);
            if left == 0 {
                // At the limit: the input is fine if it ends here.
                let mut probe = [0u8; 1];
                return match self.inner.read(&mut probe) {
                    Ok(0) => Ok(0),
                    Ok(_) => Err(over_max_bytes(max)),
                    Err(e) => Err(e),
                };
            }
            want = want.min(usize::try_from(left).unwrap_or(usize::MAX));
        }
        let n = match self.inner.read(&mut buf[..want]) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Err(e),
            Err(e) => {
                let what = if self.decompressed {
                    " of the decompressed data"
                } else {
                    ""
                };
                return Err(io::Error::new(
                    e.kind(),
                    format!("{e} (at byte {}{what})", self.read),
                ));
            }
        };
        self.read += n as u64;
        if let Some((max, open)) = self.line.as_mut() {
            // Every line is measured, not only the one a read ends in: a long line between
            // two newlines of one read is as long as one cut by the read.
            let data = &buf[..n];
            if *open + n <= *max {
                *open = match memchr::memrchr(b'\n', data) {
                    Some(i) => n - i - 1,
                    None => *open + n,
                };
            } else {
                let mut start = 0;
                for i in memchr::memchr_iter(b'\n', data) {
                    if *open + (i - start) > *max {
                        return Err(line_too_long(*max));
                    }
                    *open = 0;
                    start = i + 1;
                }
                *open += n - start;
                if *open > *max {
                    return Err(line_too_long(*max));
                }
            }
        }
        Ok(n)
    }
}

/// The message of a record longer than `--max-line`.
pub(crate) fn line_too_long(limit: usize) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("a line (record) is longer than --max-line ({limit} bytes)"),
    )
}

/// Refuses a random-access input of `len` bytes that is over `--max-bytes`.
fn check_len(path: &Path, len: u64, opts: &OpenOptions) -> Result<()> {
    match opts.limits.max_bytes {
        Some(max) if len > max => Err(Error::Read {
            path: path.to_path_buf(),
            source: over_max_bytes(max),
        }),
        _ => Ok(()),
    }
}

/// Opens one input, detecting compression from its first bytes. Errors name the input; a
/// directory is refused.
pub(crate) fn open(spec: InputSpec, opts: &OpenOptions) -> Result<Source> {
    match spec {
        InputSpec::Stdin => stream(Path::new("<stdin>"), io::stdin(), None, opts),
        InputSpec::Bytes { name, data } => match decompress::detect(&data) {
            Some(_) => stream(Path::new(&name), io::Cursor::new(data), None, opts),
            None => {
                check_len(Path::new(&name), data.len() as u64, opts)?;
                Ok(Source::Slice {
                    window: 0..data.len(),
                    data: Data::Owned(data),
                })
            }
        },
        InputSpec::Path(path) => open_path(&path, opts),
        InputSpec::Part { path, start, end } => open_part(&path, start, end, opts),
    }
}

/// Opens an input for reading line by line (partial files for `merge` and `reduce`),
/// decompressing it if its first bytes say so, within `limits` (`--max-bytes` of decompressed
/// data, and `--max-line`: a line without end, as `merge /dev/zero` reads, must not fill
/// memory).
pub(crate) fn open_lines(
    spec: &InputSpec,
    limits: InputLimits,
) -> Result<(PathBuf, Box<dyn io::BufRead>)> {
    let (name, raw): (PathBuf, Box<dyn Read + Send>) = match spec {
        InputSpec::Stdin => ("<stdin>".into(), Box::new(io::stdin())),
        InputSpec::Bytes { name, data } => (name.into(), Box::new(io::Cursor::new(data.clone()))),
        InputSpec::Path(p) | InputSpec::Part { path: p, .. } => {
            let open_err = |source| Error::Open {
                path: p.clone(),
                source,
            };
            let file = File::open(p).map_err(open_err)?;
            if file.metadata().map_err(open_err)?.is_dir() {
                return Err(Error::IsDirectory { path: p.clone() });
            }
            (p.clone(), Box::new(file))
        }
    };
    let read_err = |source| Error::Read {
        path: name.clone(),
        source,
    };
    let (head, reader) = decompress::peek(raw).map_err(read_err)?;
    let kind = decompress::detect(&head);
    let reader: Box<dyn Read + Send> = match kind {
        Some(kind) => {
            decompress::decoder(kind, reader, &name.display().to_string()).map_err(read_err)?
        }
        None => Box::new(reader),
    };
    let mut guarded = Guard::new(reader, limits.max_bytes, kind.is_some());
    guarded.line = Some((limits.max_line, 0));
    Ok((
        name,
        Box::new(io::BufReader::with_capacity(1 << 16, guarded)),
    ))
}

/// A stream source for `reader`, decompressed if its first bytes say so.
fn stream<R: Read + Send + 'static>(
    name: &Path,
    reader: R,
    expected_len: Option<u64>,
    opts: &OpenOptions,
) -> Result<Source> {
    let read_err = |source| Error::Read {
        path: name.to_path_buf(),
        source,
    };
    let counted = CountingReader::new(reader, opts.progress.clone());
    let (head, reader) = decompress::peek(counted).map_err(read_err)?;
    let raw_len = expected_len;
    let max = opts.limits.max_bytes;
    let (reader, expected_len): (Box<dyn Read + Send>, _) = match decompress::detect(&head) {
        Some(kind) => {
            let decoder =
                decompress::decoder(kind, reader, &name.display().to_string()).map_err(read_err)?;
            (Box::new(Guard::new(decoder, max, true)), None)
        }
        None => (Box::new(Guard::new(reader, max, false)), expected_len),
    };
    Ok(Source::Stream {
        name: name.to_path_buf(),
        reader,
        expected_len,
        raw_len,
    })
}

fn open_path(path: &Path, opts: &OpenOptions) -> Result<Source> {
    let open_err = |source| Error::Open {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(open_err)?;
    let meta = file.metadata().map_err(open_err)?;
    if meta.is_dir() {
        return Err(Error::IsDirectory {
            path: path.to_path_buf(),
        });
    }
    let len = meta.len();
    // FIFOs, character devices, sockets, and files whose size says nothing (procfs reports 0
    // for files with content) are read as streams.
    if !meta.is_file() {
        return stream(path, file, None, opts);
    }
    if len == 0 {
        // Its size on disk is 0 (what --shard counts), but it may still have content.
        return stream(path, file, Some(0), opts);
    }
    let mut head = [0u8; decompress::MAGIC_LEN];
    let n = read_head(&file, &mut head).map_err(open_err)?;
    if decompress::detect(&head[..n]).is_none() {
        check_len(path, len, opts)?;
    }
    let kind = decompress::detect(&head[..n]);
    if let Some(kind) = kind.filter(|_| opts.mmap != MmapPolicy::Never) {
        if let Some(source) = parallel_stream(path, &file, kind, len, opts)? {
            return Ok(source);
        }
    }
    if kind.is_some() || opts.mmap == MmapPolicy::Never {
        // For a compressed file `len` is only its raw size: `stream` drops it as the expected
        // decompressed length.
        // `take` keeps a growing log to the size it had when opened: a consistent snapshot.
        return stream(path, file.take(len), Some(len), opts);
    }
    if opts.mmap == MmapPolicy::Auto && len < MMAP_MIN {
        let mut data = Vec::with_capacity(len as usize);
        (&file)
            .take(len)
            .read_to_end(&mut data)
            .map_err(|source| Error::Read {
                path: path.to_path_buf(),
                source,
            })?;
        if (data.len() as u64) < len {
            return Err(Error::Shrank {
                path: path.to_path_buf(),
                expected: len,
                read: data.len() as u64,
            });
        }
        return Ok(Source::Slice {
            window: 0..data.len(),
            data: Data::Owned(data),
        });
    }
    match mmap::map(&file, path) {
        Ok(m) => Ok(Source::Slice {
            window: 0..m.len(),
            data: Data::Mapped(m),
        }),
        Err(source) if opts.mmap == MmapPolicy::Always => Err(Error::Open {
            path: path.to_path_buf(),
            source,
        }),
        // Mapping can fail where reading works (some network and special filesystems).
        Err(_) => stream(path, file.take(len), Some(len), opts),
    }
}

/// A compressed gzip or zstd file, mapped: several members (or frames) decoded on
/// `opts.decode_threads` threads (see `parallel.rs`), one member by one decoder from the
/// mapping; `None` for other formats, or when the file cannot be mapped, which one decoder
/// reads as a stream.
fn parallel_stream(
    path: &Path,
    file: &File,
    kind: decompress::Compression,
    len: u64,
    opts: &OpenOptions,
) -> Result<Option<Source>> {
    use decompress::Compression::{Gzip, Zstd};
    if !matches!(kind, Gzip | Zstd) {
        return Ok(None);
    }
    let Ok(map) = mmap::map(file, path) else {
        return Ok(None);
    };
    let name = path.display().to_string();
    let run = match opts.decode_run {
        0 => members::RUN_DECODED,
        n => n as u64,
    };
    let read_err = |source| Error::Read {
        path: path.to_path_buf(),
        source,
    };
    let decoder = parallel::ParallelDecoder::new(
        kind,
        Data::Mapped(map),
        name.clone(),
        (opts.decode_threads, run),
        opts.progress.clone(),
    )
    .map_err(read_err)?;
    let reader: Box<dyn Read + Send> = match decoder {
        Ok(d) => Box::new(d),
        // One member: one decoder reads it from the mapping the plan has just walked, in
        // place, rather than copying the file in again with read(2).
        Err(data) => {
            let mapped = MappedReader {
                data,
                at: 0,
                released: 0,
                progress: opts.progress.clone(),
            };
            decompress::buffered_decoder(kind, mapped, &name).map_err(read_err)?
        }
    };
    Ok(Some(Source::Stream {
        name: path.to_path_buf(),
        reader: Box::new(Guard::new(reader, opts.limits.max_bytes, true)),
        expected_len: None,
        raw_len: Some(len),
    }))
}

/// A mapped file read front to back as a buffered reader, counting progress.
struct MappedReader {
    data: Data,
    at: usize,
    /// The pages before this are dropped from the resident set (see `Data::release`), so a
    /// huge file read once does not stay counted in it.
    released: usize,
    progress: Progress,
}

/// How far behind the read position the mapped pages are released at a time.
const RELEASE_BEHIND: usize = 64 << 20;

impl io::BufRead for MappedReader {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        Ok(&self.data[self.at..])
    }

    fn consume(&mut self, n: usize) {
        let n = n.min(self.data.len() - self.at);
        self.at += n;
        self.progress.add(n as u64);
        if self.at - self.released >= RELEASE_BEHIND {
            self.data.release(self.released..self.at);
            self.released = self.at;
        }
    }
}

impl Read for MappedReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = io::BufRead::fill_buf(self)?.read(buf)?;
        io::BufRead::consume(self, n);
        Ok(n)
    }
}

/// Opens bytes `start..end` of a plain file. The file is opened as usual (so a file that was
/// replaced by a compressed one is refused rather than misread), then narrowed.
fn open_part(path: &Path, start: u64, end: u64, opts: &OpenOptions) -> Result<Source> {
    let bad = |reason: String| Error::Read {
        path: path.to_path_buf(),
        source: io::Error::other(reason),
    };
    // `--max-bytes` counts the bytes this run reads: the part, not the whole file.
    check_len(path, end.saturating_sub(start), opts)?;
    let whole = OpenOptions {
        limits: InputLimits {
            max_bytes: None,
            ..opts.limits
        },
        ..opts.clone()
    };
    match open_path(path, &whole)? {
        Source::Slice { data, .. } => {
            if (data.len() as u64) < end || start > end {
                return Err(Error::Shrank {
                    path: path.to_path_buf(),
                    expected: end,
                    read: data.len() as u64,
                });
            }
            Ok(Source::Slice {
                data,
                window: start as usize..end as usize,
            })
        }
        Source::Stream {
            name, expected_len, ..
        } => {
            if expected_len.is_none() {
                return Err(bad(
                    "cannot read part of a compressed or special file".into()
                ));
            }
            // `--mmap never`: read the part with a seek.
            let mut file = File::open(path).map_err(|source| Error::Open {
                path: path.to_path_buf(),
                source,
            })?;
            io::Seek::seek(&mut file, io::SeekFrom::Start(start)).map_err(|source| {
                Error::Read {
                    path: path.to_path_buf(),
                    source,
                }
            })?;
            let len = end - start;
            Ok(Source::Stream {
                name,
                reader: Box::new(CountingReader::new(file.take(len), opts.progress.clone())),
                expected_len: Some(len),
                raw_len: Some(len),
            })
        }
    }
}

/// Reads the first bytes of a regular file without moving its cursor.
fn read_head(file: &File, head: &mut [u8]) -> io::Result<usize> {
    use std::os::unix::fs::FileExt;
    let mut n = 0;
    while n < head.len() {
        match file.read_at(&mut head[n..], n as u64) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// A gzip member of `data`, for the unit tests of the readers.
#[cfg(test)]
pub(crate) fn test_gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(mut r: impl Read) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        r.read_to_end(&mut out).map(|_| out)
    }

    #[test]
    fn a_mapped_reader_gives_every_byte_once_and_releases_behind_it() {
        let data: Vec<u8> = (0..RELEASE_BEHIND + 1000)
            .map(|i| (i % 251) as u8)
            .collect();
        let mut r = MappedReader {
            data: Data::Owned(data.clone()),
            at: 0,
            released: 0,
            progress: Progress::default(),
        };
        let mut head = [0u8; 10];
        r.read_exact(&mut head).unwrap();
        assert_eq!(&head[..], &data[..10]);
        let rest = read_all(&mut r).unwrap();
        assert!(rest[..] == data[10..]);
        assert!(r.released >= RELEASE_BEHIND && r.released <= r.at);
        io::BufRead::consume(&mut r, 5); // past the end: nothing
        assert_eq!(r.at, data.len());
    }

    #[test]
    fn guard_passes_inputs_within_the_limits_whole() {
        let data = b"ab\ncd\nef".to_vec();
        let g = Guard::new(io::Cursor::new(data.clone()), Some(8), false);
        assert_eq!(read_all(g).unwrap(), data, "exactly at --max-bytes is fine");
        let mut g = Guard::new(io::Cursor::new(data.clone()), None, false);
        g.line = Some((2, 0));
        assert_eq!(read_all(io::BufReader::with_capacity(1, g)).unwrap(), data);
    }

    #[test]
    fn guard_stops_past_max_bytes_and_long_lines() {
        let g = Guard::new(io::repeat(b'x'), Some(100), false);
        let e = read_all(g).unwrap_err();
        assert!(e.to_string().contains("--max-bytes (100 bytes)"), "{e}");
        let mut g = Guard::new(io::repeat(0), None, false);
        g.line = Some((1000, 0));
        let e = read_all(g).unwrap_err();
        assert!(e.to_string().contains("--max-line (1000 bytes)"), "{e}");
        // A long line inside one read, between two newlines, is caught too; one at the limit
        // passes.
        let mut data = b"a\n".to_vec();
        data.extend(vec![b'x'; 50]);
        data.extend_from_slice(b"\nb\n");
        for (max, ok) in [(49, false), (50, true)] {
            let mut g = Guard::new(io::Cursor::new(data.clone()), None, false);
            g.line = Some((max, 0));
            assert_eq!(read_all(g).is_ok(), ok, "max {max}");
        }
    }

    #[test]
    fn guard_names_the_offset_of_a_failure() {
        struct Fails(usize);
        impl Read for Fails {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.0 == 0 {
                    return Err(io::Error::other("corrupt"));
                }
                let n = self.0.min(buf.len()).min(7);
                self.0 -= n;
                Ok(n)
            }
        }
        let e = read_all(Guard::new(Fails(20), None, true)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "corrupt (at byte 20 of the decompressed data)"
        );
    }
}
