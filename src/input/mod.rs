//! Opening inputs. A regular file becomes a byte slice (memory-mapped, see `mmap.rs`) that the
//! chunker can split; stdin, FIFOs and other non-seekable inputs become streams read in bounded
//! blocks (see `stream.rs`). Mappers never learn which kind of source a chunk came from.

mod mmap;
pub(crate) mod stream;

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// An input as the user named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputSpec {
    /// A path on disk (`-` is turned into [`InputSpec::Stdin`] by the config).
    Path(PathBuf),
    /// The process's standard input, read in bounded blocks.
    Stdin,
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
            InputSpec::Path(p) => p.display().to_string(),
            InputSpec::Stdin => "-".to_string(),
            InputSpec::Bytes { name, .. } => name.clone(),
        }
    }
}

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

/// An opened input.
pub(crate) enum Source {
    /// Random access: split into chunks and mapped in parallel.
    Slice { data: Data },
    /// Sequential: read in blocks of whole lines on one thread, mapped in parallel.
    Stream {
        name: PathBuf,
        reader: Box<dyn Read + Send>,
    },
}

/// Opens one input. Errors name the input; a directory is refused.
pub(crate) fn open(spec: InputSpec) -> Result<Source> {
    match spec {
        InputSpec::Stdin => Ok(Source::Stream {
            name: PathBuf::from("<stdin>"),
            reader: Box::new(std::io::stdin()),
        }),
        InputSpec::Bytes { data, .. } => Ok(Source::Slice {
            data: Data::Owned(data),
        }),
        InputSpec::Path(path) => open_path(&path),
    }
}

fn open_path(path: &Path) -> Result<Source> {
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
    if !meta.is_file() {
        // FIFOs, character devices, sockets: no stable length, read them as streams.
        return Ok(Source::Stream {
            name: path.to_path_buf(),
            reader: Box::new(file),
        });
    }
    if meta.len() == 0 {
        // Some files report 0 bytes yet have content (procfs); a stream reads them right.
        return Ok(Source::Stream {
            name: path.to_path_buf(),
            reader: Box::new(file),
        });
    }
    match mmap::map(&file) {
        Ok(m) => Ok(Source::Slice {
            data: Data::Mapped(m),
        }),
        // Mapping can fail where reading works (some network and special filesystems).
        Err(_) => Ok(Source::Stream {
            name: path.to_path_buf(),
            reader: Box::new(file),
        }),
    }
}
