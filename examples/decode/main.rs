//! The decoder alone: decompresses a gzip (every member) or zstd (every frame) file with the
//! libraries logmill reads it with (flate2 on zlib-rs, zstd), on one thread, into a buffer
//! that is thrown away, and prints the decoded size. `benches/peers.sh compressed` times it
//! beside `logmill match` on the same file: the floor a single-member .gz run can reach.
//!
//!     cargo build --release --example decode && target/release/examples/decode FILE

use std::fs::File;
use std::io::{self, BufReader, Read};

fn main() -> io::Result<()> {
    let path = std::env::args_os()
        .nth(1)
        .ok_or_else(|| io::Error::other("usage: decode FILE (.gz or .zst)"))?;
    let mut file = BufReader::with_capacity(1 << 16, File::open(&path)?);
    let mut magic = [0u8; 2];
    file.get_mut().read_exact(&mut magic)?;
    let file = io::Cursor::new(magic).chain(file);
    let mut decoder: Box<dyn Read> = if magic == [0x1f, 0x8b] {
        Box::new(flate2::bufread::MultiGzDecoder::new(
            BufReader::with_capacity(1 << 16, file),
        ))
    } else {
        Box::new(zstd::stream::read::Decoder::new(file)?)
    };
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = decoder.read(&mut buf)?;
        if n == 0 {
            break;
        }
        total += n as u64;
    }
    println!("{total}");
    Ok(())
}
