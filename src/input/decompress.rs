//! Transparent decompression, chosen by the first bytes of the input (not its name): gzip
//! (every member of a multi-member file, as logrotate and `cat a.gz b.gz` make) and zstd (every
//! frame). A compressed input cannot be split by byte range, so it is decompressed on one thread
//! and its blocks are mapped in parallel like any stream.

use std::io::{self, Read};

/// A compression format logmill reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// gzip (RFC 1952), magic `1f 8b`.
    Gzip,
    /// Zstandard, magic `28 b5 2f fd`.
    Zstd,
}

/// How many leading bytes [`detect`] needs to see.
pub const MAGIC_LEN: usize = 4;

/// The compression format whose magic number `head` starts with, if any.
pub fn detect(head: &[u8]) -> Option<Compression> {
    if head.starts_with(&[0x1f, 0x8b]) {
        Some(Compression::Gzip)
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Some(Compression::Zstd)
    } else {
        None
    }
}

/// Wraps `reader` (positioned at the magic number) in a decoder for `kind`.
pub fn decoder<R: Read + Send + 'static>(
    kind: Compression,
    reader: R,
) -> io::Result<Box<dyn Read + Send>> {
    let reader = io::BufReader::with_capacity(1 << 16, reader);
    Ok(match kind {
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(reader)),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(reader)?),
    })
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
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn read_all(compressed: Vec<u8>) -> Vec<u8> {
        let (head, r) = peek(io::Cursor::new(compressed)).unwrap();
        let kind = detect(&head).expect("compressed");
        let mut out = Vec::new();
        decoder(kind, r).unwrap().read_to_end(&mut out).unwrap();
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
