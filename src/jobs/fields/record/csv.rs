//! CSV records (RFC 4180, read by the csv crate with its defaults: `"` quotes, `""` escapes,
//! CR, LF or CRLF line ends, blank lines skipped). Chunks end only between records (the engine
//! cuts them with [`crate::chunk::Framing::Quoted`]), so each chunk is read on its own with a
//! fresh reader and gives the records a whole-file read gives.
//!
//! With headers, the first record of each input names the fields: every chunk reads it from
//! the chunk's `head` and resolves names to positions itself, and the chunk that holds it
//! skips it. A record whose field count differs from the header's is bad; without headers,
//! records may have any number of fields (a missing one is a null).

use csv::ByteRecord;

use super::Locator;

/// A reader over one chunk's bytes.
pub fn reader(delimiter: u8, data: &[u8]) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(data)
}

/// The first record of `head`, if it holds one.
pub fn header(delimiter: u8, head: &[u8]) -> Option<ByteRecord> {
    let mut r = reader(delimiter, head);
    let mut rec = ByteRecord::new();
    match r.read_byte_record(&mut rec) {
        Ok(true) => Some(rec),
        _ => None,
    }
}

/// The positions of the needed fields, `(0-based index, slot)` sorted by index, given the
/// input's header (if the input has headers). A name the header lacks is an error.
pub fn resolve(
    locators: &[Locator],
    header: Option<&ByteRecord>,
) -> Result<Vec<(usize, usize)>, String> {
    let mut out = Vec::with_capacity(locators.len());
    for (slot, l) in locators.iter().enumerate() {
        let index = match l {
            Locator::Index(i) => *i,
            Locator::CsvName { name, index } => {
                let by_name = header.and_then(|h| h.iter().position(|f| f == name.as_bytes()));
                match by_name.or(*index) {
                    Some(i) => i,
                    None => return Err(format!("no column named {name:?} in the header")),
                }
            }
            Locator::Path(_) => return Err("a JSON path is not a CSV field".into()),
        };
        out.push((index, slot));
    }
    out.sort_unstable();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve_against_the_header_and_numbers_fall_back() {
        let h = header(b',', b"a,b,\"c,d\"\n").unwrap();
        let locs = vec![
            Locator::CsvName {
                name: "c,d".into(),
                index: None,
            },
            Locator::CsvName {
                name: "1".into(),
                index: Some(0),
            },
            Locator::Index(1),
        ];
        assert_eq!(
            resolve(&locs, Some(&h)).unwrap(),
            vec![(0, 1), (1, 2), (2, 0)]
        );
        let named_2 = header(b',', b"2,x\n").unwrap();
        let locs = vec![Locator::CsvName {
            name: "2".into(),
            index: Some(1),
        }];
        assert_eq!(resolve(&locs, Some(&named_2)).unwrap(), vec![(0, 0)]);
        let missing = vec![Locator::CsvName {
            name: "zz".into(),
            index: None,
        }];
        assert!(resolve(&missing, Some(&h)).unwrap_err().contains("zz"));
        assert!(header(b',', b"").is_none());
    }
}
