//! Opening inputs. A regular file becomes a byte slice (memory-mapped, see `mmap.rs`, or read
//! whole when small) that the chunker can split; stdin, FIFOs, compressed files and files read
//! with `--mmap never` become streams read in bounded blocks (see `stream.rs`). Mappers never
//! learn which kind of source a chunk came from.

pub mod decompress;
mod mmap;
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
}

/// Opens one input, detecting compression from its first bytes. Errors name the input; a
/// directory is refused.
pub(crate) fn open(spec: InputSpec, opts: &OpenOptions) -> Result<Source> {
    match spec {
        InputSpec::Stdin => stream(Path::new("<stdin>"), io::stdin(), None, opts),
        InputSpec::Bytes { name, data } => match decompress::detect(&data) {
            Some(_) => stream(Path::new(&name), io::Cursor::new(data), None, opts),
            None => Ok(Source::Slice {
                window: 0..data.len(),
                data: Data::Owned(data),
            }),
        },
        InputSpec::Path(path) => open_path(&path, opts),
        InputSpec::Part { path, start, end } => open_part(&path, start, end, opts),
    }
}

/// Opens an input for reading line by line (partial files for `merge` and `reduce`),
/// decompressing it if its first bytes say so.
pub(crate) fn open_lines(spec: &InputSpec) -> Result<(PathBuf, Box<dyn io::BufRead>)> {
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
    let reader: Box<dyn Read + Send> = match decompress::detect(&head) {
        Some(kind) => decompress::decoder(kind, reader).map_err(read_err)?,
        None => Box::new(reader),
    };
    Ok((
        name,
        Box::new(io::BufReader::with_capacity(1 << 16, reader)),
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
    let (reader, expected_len): (Box<dyn Read + Send>, _) = match decompress::detect(&head) {
        Some(kind) => (decompress::decoder(kind, reader).map_err(read_err)?, None),
        None => (Box::new(reader), expected_len),
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
    if decompress::detect(&head[..n]).is_some() || opts.mmap == MmapPolicy::Never {
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

/// Opens bytes `start..end` of a plain file. The file is opened as usual (so a file that was
/// replaced by a compressed one is refused rather than misread), then narrowed.
fn open_part(path: &Path, start: u64, end: u64, opts: &OpenOptions) -> Result<Source> {
    let bad = |reason: String| Error::Read {
        path: path.to_path_buf(),
        source: io::Error::other(reason),
    };
    match open_path(path, opts)? {
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
