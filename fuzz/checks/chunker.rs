//! The chunker: for any bytes and any chunk size, every byte lands in exactly one chunk (the
//! chunks are contiguous and concatenate to the input), and no line is split (every chunk but
//! the last ends just after a `\n`). Under CSV framing the same holds with record ends.

use logmill::chunk::{chunks, framed_chunks, Framing};

/// Panics when the property fails for `input` (a fuzz input, or a replayed regression).
pub fn check(input: &[u8]) {
    // The first two bytes choose the chunk size (0 is clamped to 1 by the chunker).
    if input.len() < 2 {
        return;
    }
    let size = usize::from(u16::from_le_bytes([input[0], input[1]]) % 512);
    let data = &input[2..];

    let mut next = 0;
    let ranges: Vec<_> = chunks(data, size).collect();
    for (i, r) in ranges.iter().enumerate() {
        assert_eq!(r.start, next, "chunks are contiguous");
        assert!(r.end > r.start, "no empty chunk");
        let last = i + 1 == ranges.len();
        if !last {
            assert_eq!(data[r.end - 1], b'\n', "a chunk ends at a line end");
            // Not longer than needed: the chunk's first `size` bytes hold no line end before
            // its last byte... only the line containing the target byte is completed.
            let target = (r.start + size.max(1)).min(data.len());
            assert!(
                !data[target.max(r.start + 1) - 1..r.end - 1].contains(&b'\n'),
                "a chunk stops at the first line end at or after its target"
            );
        }
        next = r.end;
    }
    assert_eq!(next, data.len(), "the chunks cover the input");
    let joined: Vec<u8> = ranges
        .iter()
        .flat_map(|r| data[r.clone()].iter().copied())
        .collect();
    assert_eq!(joined, data);

    // CSV framing: contiguous, covering, and each cut at a record end by csv-core's reading.
    let framing = Framing::Quoted { delimiter: b',' };
    let mut next = 0;
    for r in framed_chunks(data, size, framing) {
        assert_eq!(r.start, next);
        assert!(r.end > r.start);
        next = r.end;
    }
    assert_eq!(next, data.len());
    let cut = framing.last_end(data);
    assert!(cut <= data.len());
    assert!(cut == 0 || data[cut - 1] == b'\n');
    let head = framing.head_end(data);
    assert!(head <= data.len());
}
