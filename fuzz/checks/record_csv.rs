//! CSV records: the framing that cuts chunks and stream blocks agrees with the csv crate on any
//! bytes (malformed quoting included): reading the chunks one by one gives the records of
//! reading the whole, and the header is the first record.

use logmill::chunk::{framed_chunks, Framing};

fn records(data: &[u8], delimiter: u8) -> Vec<Vec<Vec<u8>>> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(data);
    r.byte_records()
        .map(|rec| {
            rec.map_or_else(
                |_| Vec::new(),
                |rec| rec.iter().map(<[u8]>::to_vec).collect(),
            )
        })
        .collect()
}

/// Panics when the property fails for `input` (a fuzz input, or a replayed regression).
pub fn check(input: &[u8]) {
    if input.len() < 2 {
        return;
    }
    let delimiter = if input[0] & 1 == 0 { b',' } else { b';' };
    let size = usize::from(input[1] % 64) + 1;
    let data = &input[2..];
    let framing = Framing::Quoted { delimiter };
    let whole = records(data, delimiter);
    let mut pieces = Vec::new();
    for r in framed_chunks(data, size, framing) {
        pieces.extend(records(&data[r], delimiter));
    }
    assert_eq!(pieces, whole, "chunked CSV reads like the whole");
    // The parser's own entry points: the header and the reader over a chunk.
    let _ = logmill::jobs::fields::record::csv::header(delimiter, &data[..framing.head_end(data)]);
    let mut rd = logmill::jobs::fields::record::csv::reader(delimiter, data);
    let mut rec = csv::ByteRecord::new();
    while let Ok(true) = rd.read_byte_record(&mut rec) {}
}
