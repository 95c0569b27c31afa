//! Transparent decompression, chosen by the first bytes of the input (not its name): gzip
//! (every member of a multi-member file, as logrotate and `cat a.gz b.gz` make), zstd (every
//! frame, skippable frames included, so pzstd's output reads), xz (every stream) and bzip2
//! (every stream, as pbzip2 writes). A compressed input cannot be split by byte range, so it is
//! decompressed on one thread and its blocks are mapped in parallel like any stream.

use std::io::{self, BufRead, Read};

/// A compression format logmill reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// gzip (RFC 1952), magic `1f 8b`.
    Gzip,
    /// Zstandard, magic `28 b5 2f fd`, or a skippable frame (`5? 2a 4d 18`) first, as pzstd
    /// writes.
    Zstd,
    /// xz, magic `fd 37 7a 58 5a 00`.
    Xz,
    /// bzip2, magic `BZh` and a block size digit, then a block or end-of-stream marker.
    Bzip2,
}

/// How many leading bytes [`detect`] needs to see.
pub const MAGIC_LEN: usize = 10;

/// The compression format whose magic number `head` starts with, if any.
pub fn detect(head: &[u8]) -> Option<Compression> {
    match head {
        [0x1f, 0x8b, ..] => Some(Compression::Gzip),
        [0x28, 0xb5, 0x2f, 0xfd, ..] => Some(Compression::Zstd),
        [0x50..=0x5f, 0x2a, 0x4d, 0x18, ..] => Some(Compression::Zstd),
        [0xfd, b'7', b'z', b'X', b'Z', 0x00, ..] => Some(Compression::Xz),
        // "BZh1".."BZh9", then the first block's magic (the digits of pi) or the end of an
        // empty stream (the digits of sqrt(pi)): text starting "BZh9" stays text.
        [b'B', b'Z', b'h', b'1'..=b'9', rest @ ..]
            if rest.starts_with(&[0x31, 0x41, 0x59, 0x26, 0x53, 0x59])
                || rest.starts_with(&[0x17, 0x72, 0x45, 0x38, 0x50, 0x90]) =>
        {
            Some(Compression::Bzip2)
        }
        _ => None,
    }
}

/// Wraps `reader` (positioned at the magic number) in a decoder for `kind`. `name` is the
/// input's name for warnings (trailing zero padding after gzip data).
pub fn decoder<R: Read + Send + 'static>(
    kind: Compression,
    reader: R,
    name: &str,
) -> io::Result<Box<dyn Read + Send>> {
    buffered_decoder(kind, io::BufReader::with_capacity(1 << 16, reader), name)
}

/// [`decoder`] of a reader that buffers already (a mapped file): the decoder reads its buffer
/// in place, with no copy into one of its own.
pub(crate) fn buffered_decoder<R: BufRead + Send + 'static>(
    kind: Compression,
    reader: R,
    name: &str,
) -> io::Result<Box<dyn Read + Send>> {
    Ok(match kind {
        Compression::Gzip => Box::new(GzipMembers::new(Counted::new(reader), name.to_string())),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(reader)?),
        Compression::Xz => Box::new(liblzma::bufread::XzDecoder::new_multi_decoder(reader)),
        Compression::Bzip2 => Box::new(bzip2::bufread::MultiBzDecoder::new(reader)),
    })
}

/// A buffered reader that counts the bytes consumed from it: where a gzip member starts.
struct Counted<R> {
    inner: R,
    consumed: u64,
}

impl<R> Counted<R> {
    fn new(inner: R) -> Self {
        Counted { inner, consumed: 0 }
    }
}

impl<R: BufRead> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.consumed += n as u64;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counted<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, n: usize) {
        self.consumed += n as u64;
        self.inner.consume(n);
    }
}

/// The error of a corrupt member, naming where it starts.
pub(crate) fn corrupt_member(kind: Compression, at: u64, error: io::Error) -> io::Error {
    let what = match kind {
        Compression::Gzip => "gzip member",
        Compression::Zstd => "zstd frame",
        Compression::Xz => "xz stream",
        Compression::Bzip2 => "bzip2 stream",
    };
    io::Error::new(
        error.kind(),
        format!("corrupt {what} at byte {at} of the compressed file: {error}"),
    )
}

/// Every member of a gzip file, one after another. Zero bytes after the last member (the
/// padding of a tape or a preallocated file) are ignored with a warning naming them, as
/// `gzip -d` does; any other bytes after a member that are not a gzip member are an error.
/// The parallel decoder (`parallel.rs`) follows the same rules.
struct GzipMembers<R: BufRead> {
    member: Option<flate2::bufread::GzDecoder<Counted<R>>>,
    /// Where the current member starts in the compressed input.
    start: u64,
    name: String,
}

impl<R: BufRead> GzipMembers<R> {
    fn new(reader: Counted<R>, name: String) -> Self {
        GzipMembers {
            start: reader.consumed,
            member: Some(flate2::bufread::GzDecoder::new(reader)),
            name,
        }
    }

    /// After a member: starts the next one, or returns false at the end of the input.
    fn next_member(&mut self) -> io::Result<bool> {
        let Some(member) = self.member.take() else {
            return Ok(false);
        };
        let mut reader = member.into_inner();
        let head = reader.fill_buf()?;
        if head.is_empty() {
            return Ok(false);
        }
        if head.starts_with(&[0x1f, 0x8b]) || (head.len() == 1 && head[0] == 0x1f) {
            self.start = reader.consumed;
            self.member = Some(flate2::bufread::GzDecoder::new(reader));
            return Ok(true);
        }
        let mut zeros = 0u64;
        loop {
            let buf = reader.fill_buf()?;
            if buf.is_empty() {
                break;
            }
            let n = buf.iter().take_while(|&&b| b == 0).count();
            let all = n == buf.len();
            reader.consume(n);
            zeros += n as u64;
            if !all {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "bytes after the end of the gzip data are not gzip data (trailing garbage)",
                ));
            }
        }
        crate::diag::warning(format_args!(
            "{}: ignored {zeros} byte(s) of trailing zero padding after the gzip data",
            self.name
        ));
        Ok(false)
    }
}

impl<R: BufRead> Read for GzipMembers<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            let Some(member) = self.member.as_mut() else {
                return Ok(0);
            };
            let n = member
                .read(buf)
                .map_err(|e| corrupt_member(Compression::Gzip, self.start, e))?;
            if n > 0 {
                return Ok(n);
            }
            if !self.next_member()? {
                return Ok(0);
            }
        }
    }
}

/// A stream with its first bytes put back in front.
pub type Peeked<R> = io::Chain<io::Cursor<Vec<u8>>, R>;

/// Reads up to [`MAGIC_LEN`] bytes from a stream and gives them back in front of the rest, so
/// the format can be detected without seeking.
pub fn peek<R: Read>(mut reader: R) -> io::Result<(Vec<u8>, Peeked<R>)> {
    let mut head = Vec::with_capacity(MAGIC_LEN);
    (&mut reader)
        .take(MAGIC_LEN as u64)
        .read_to_end(&mut head)?;
    Ok((head.clone(), io::Cursor::new(head).chain(reader)))
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::input::test_gzip as gzip;

    fn read_all(compressed: Vec<u8>) -> Vec<u8> {
        let (head, r) = peek(io::Cursor::new(compressed)).unwrap();
        let kind = detect(&head).expect("compressed");
        let mut out = Vec::new();
        decoder(kind, r, "test")
            .unwrap()
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn multi_member_gzip_reads_every_member() {
        let mut both = gzip(b"first\n");
        both.extend(gzip(b"second\n"));
        assert_eq!(read_all(both), b"first\nsecond\n");
    }

    #[test]
    fn multi_frame_zstd_reads_every_frame() {
        let mut both = zstd::encode_all(&b"one\n"[..], 1).unwrap();
        both.extend(zstd::encode_all(&b"two\n"[..], 1).unwrap());
        assert_eq!(read_all(both), b"one\ntwo\n");
    }

    #[test]
    fn plain_text_is_not_compressed_and_peek_gives_it_back() {
        let (head, mut r) = peek(io::Cursor::new(b"ab".to_vec())).unwrap();
        assert_eq!(detect(&head), None);
        let mut all = Vec::new();
        r.read_to_end(&mut all).unwrap();
        assert_eq!(all, b"ab");
    }
}
