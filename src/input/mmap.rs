//! Memory-mapping regular files: the fastest way to hand a large file to many threads at once,
//! with no copy and no read buffer.

use std::fs::File;
use std::io;

/// Maps the whole of `file` read-only.
pub(super) fn map(file: &File) -> io::Result<memmap2::Mmap> {
    // SAFETY: memmap2 marks mapping unsafe because the bytes can change under us if another
    // process writes to or truncates the file while it is mapped. We only ever read the
    // mapping as `&[u8]`, and every parser here is total over arbitrary bytes, so a concurrent
    // write can change the counts of a run (as it would for any reader) but not break memory
    // safety in our code. A concurrent truncation makes pages past the new end raise SIGBUS;
    // logs are appended to and rotated by rename, which does not truncate the mapped inode.
    // This is the one `unsafe` block in the crate.
    let map = unsafe { memmap2::MmapOptions::new().map(file)? };
    // The chunks are read front to back by several threads; ask for read-ahead.
    #[cfg(unix)]
    let _ = map.advise(memmap2::Advice::Sequential);
    Ok(map)
}
