//! Split formats: fields separated by runs of spaces and tabs, leading and trailing ones
//! ignored, as awk splits with its default `FS`; or by every occurrence of one byte, as
//! `cut -d` does (two delimiters in a row make an empty field). Every line is a record; a field
//! past the end of the line is a null.

use super::{Positions, Span};

/// Splits lines and keeps the needed fields.
#[derive(Debug)]
pub struct SplitParser {
    delimiter: Option<u8>,
    pos: Positions,
    limit: usize,
}

impl SplitParser {
    /// A parser splitting on `delimiter`, or on blanks when `None`.
    pub fn new(delimiter: Option<u8>, pos: Positions) -> SplitParser {
        let limit = pos.limit();
        SplitParser {
            delimiter,
            pos,
            limit,
        }
    }

    /// Fills the spans of the needed fields of `line`.
    #[inline]
    pub fn parse(&self, line: &[u8], spans: &mut [Span]) {
        let n = line.len();
        let mut field = 0;
        let mut i = 0;
        match self.delimiter {
            None => {
                while field < self.limit {
                    while i < n && (line[i] == b' ' || line[i] == b'\t') {
                        i += 1;
                    }
                    if i == n {
                        return;
                    }
                    let start = i;
                    while i < n && line[i] != b' ' && line[i] != b'\t' {
                        i += 1;
                    }
                    self.pos.put(field, start..i, spans);
                    field += 1;
                }
            }
            Some(d) => {
                while field < self.limit {
                    let end = memchr::memchr(d, &line[i..]).map_or(n, |k| i + k);
                    self.pos.put(field, i..end, spans);
                    field += 1;
                    if end == n {
                        return;
                    }
                    i = end + 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::fields::record::Locator;

    fn fields(delim: Option<u8>, line: &str, want: &[usize]) -> Vec<Option<String>> {
        let locs: Vec<Locator> = want.iter().map(|&i| Locator::Index(i)).collect();
        let p = SplitParser::new(delim, Positions::new(&locs));
        let mut spans = vec![None; want.len()];
        p.parse(line.as_bytes(), &mut spans);
        spans
            .into_iter()
            .map(|s| s.map(|r| line[r].to_string()))
            .collect()
    }

    #[test]
    fn blanks_split_like_awk() {
        let s = |x: &str| Some(x.to_string());
        assert_eq!(
            fields(None, "  a \t b  c ", &[0, 2, 1, 3]),
            vec![s("a"), s("c"), s("b"), None]
        );
        assert_eq!(fields(None, "", &[0]), vec![None]);
        assert_eq!(fields(None, "x", &[0, 0]), vec![s("x"), s("x")]);
    }

    #[test]
    fn one_byte_delimiter_splits_like_cut() {
        let s = |x: &str| Some(x.to_string());
        assert_eq!(
            fields(Some(b'|'), "a||c|", &[0, 1, 2, 3, 4]),
            vec![s("a"), s(""), s("c"), s(""), None]
        );
        assert_eq!(fields(Some(b'\t'), "", &[0, 1]), vec![s(""), None]);
    }
}
