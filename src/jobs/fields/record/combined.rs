//! Apache/nginx access logs: the combined format
//! `%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i"` and the common format (the same
//! without the last two fields).
//!
//! A hand-written byte parser: memchr from field to field, no allocation. The whole line is
//! checked, whatever fields are asked for, so which lines count as bad never depends on the
//! query. Quoted fields end at a `"` that is not escaped by a backslash (Apache writes `\"` and
//! `\\`; nginx writes `\x22`); their values are the raw bytes between the quotes. The request
//! is split into method (up to the first space), protocol (after the last space) and path (in
//! between); a request without spaces (`"-"`) is all method. CRLF line ends are stripped
//! before parsing; anything after the last field makes the line bad.

use memchr::memchr;

use super::{Bad, Positions, Span};

/// The field names of the combined format, in order; common has the first nine.
pub const COMBINED_FIELDS: &[&str] = &[
    "ip", "ident", "user", "time", "method", "path", "protocol", "status", "bytes", "referer",
    "agent",
];

const METHOD: usize = 4;
const STATUS: usize = 7;

/// Parses combined or common lines.
#[derive(Debug)]
pub struct AccessParser {
    combined: bool,
    pos: Positions,
    /// Whether method, path or protocol is needed (the request is split only then).
    request: bool,
}

impl AccessParser {
    /// A parser for combined lines (or common ones when `combined` is false).
    pub fn new(combined: bool, pos: Positions) -> AccessParser {
        let request = pos
            .wanted
            .iter()
            .any(|&(i, _)| (METHOD..STATUS).contains(&i));
        AccessParser {
            combined,
            pos,
            request,
        }
    }

    fn bad(&self, detail: &'static str) -> Bad {
        Bad::shape(if self.combined { "combined" } else { "common" }, detail)
    }

    /// Fills the spans of the needed fields of `line`, or says why it is not an access log line.
    #[inline]
    pub fn parse(&self, line: &[u8], spans: &mut [Span]) -> Result<(), Bad> {
        let n = line.len();
        // ip, ident, user: three tokens ended by single spaces.
        let mut i = 0;
        for field in 0..3 {
            let end = match memchr(b' ', &line[i..]) {
                Some(k) => i + k,
                None => return Err(self.bad("fewer fields than the format has")),
            };
            if end == i {
                return Err(self.bad("an empty field before the time"));
            }
            self.pos.put(field, i..end, spans);
            i = end + 1;
        }
        // [time]
        if line.get(i) != Some(&b'[') {
            return Err(self.bad("no [time] after the user"));
        }
        let close = match memchr(b']', &line[i..]) {
            Some(k) => i + k,
            None => return Err(self.bad("the time has no closing bracket")),
        };
        self.pos.put(3, i + 1..close, spans);
        i = close + 1;
        if line.get(i) != Some(&b' ') || line.get(i + 1) != Some(&b'"') {
            return Err(self.bad("no quoted request after the time"));
        }
        // "request"
        let (start, end) =
            quoted(line, i + 1).ok_or_else(|| self.bad("the request has no closing quote"))?;
        if self.request {
            let req = &line[start..end];
            match memchr(b' ', req) {
                None => {
                    self.pos.put(METHOD, start..end, spans);
                    self.pos.put(METHOD + 1, end..end, spans);
                    self.pos.put(METHOD + 2, end..end, spans);
                }
                Some(a) => {
                    let b = memchr::memrchr(b' ', req).unwrap_or(a);
                    self.pos.put(METHOD, start..start + a, spans);
                    if a == b {
                        self.pos.put(METHOD + 1, start + a + 1..end, spans);
                        self.pos.put(METHOD + 2, end..end, spans);
                    } else {
                        self.pos.put(METHOD + 1, start + a + 1..start + b, spans);
                        self.pos.put(METHOD + 2, start + b + 1..end, spans);
                    }
                }
            }
        }
        i = end + 1;
        if line.get(i) != Some(&b' ') {
            return Err(self.bad("no status after the request"));
        }
        i += 1;
        // status
        let end = match memchr(b' ', &line[i..]) {
            Some(k) => i + k,
            None => return Err(self.bad("no bytes after the status")),
        };
        if end == i {
            return Err(self.bad("an empty status"));
        }
        self.pos.put(STATUS, i..end, spans);
        i = end + 1;
        // bytes: the last field of common; followed by the referer in combined.
        let end = if self.combined {
            match memchr(b' ', &line[i..]) {
                Some(k) => i + k,
                None => return Err(self.bad("no referer after the bytes")),
            }
        } else {
            if memchr(b' ', &line[i..]).is_some() {
                return Err(self.bad("more fields than the format has"));
            }
            n
        };
        if end == i {
            return Err(self.bad("an empty bytes field"));
        }
        self.pos.put(STATUS + 1, i..end, spans);
        if !self.combined {
            return Ok(());
        }
        i = end + 1;
        // "referer" "agent"
        if line.get(i) != Some(&b'"') {
            return Err(self.bad("the referer is not quoted"));
        }
        let (start, end) =
            quoted(line, i).ok_or_else(|| self.bad("the referer has no closing quote"))?;
        self.pos.put(9, start..end, spans);
        i = end + 1;
        if line.get(i) != Some(&b' ') || line.get(i + 1) != Some(&b'"') {
            return Err(self.bad("no quoted agent after the referer"));
        }
        let (start, end) =
            quoted(line, i + 1).ok_or_else(|| self.bad("the agent has no closing quote"))?;
        if end + 1 != n {
            return Err(self.bad("more fields than the format has"));
        }
        self.pos.put(10, start..end, spans);
        Ok(())
    }
}

/// The content range of the quoted field whose opening quote is at `open`: up to the next `"`
/// not escaped by an odd number of backslashes.
#[inline]
fn quoted(line: &[u8], open: usize) -> Option<(usize, usize)> {
    let start = open + 1;
    let mut from = start;
    loop {
        let q = from + memchr(b'"', line.get(from..)?)?;
        let backslashes = line[start..q]
            .iter()
            .rev()
            .take_while(|&&b| b == b'\\')
            .count();
        if backslashes % 2 == 0 {
            return Some((start, q));
        }
        from = q + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::fields::record::Locator;

    fn parse(combined: bool, line: &str) -> Result<Vec<String>, Bad> {
        let n = if combined { 11 } else { 9 };
        let locs: Vec<Locator> = (0..n).map(Locator::Index).collect();
        let p = AccessParser::new(combined, Positions::new(&locs));
        let mut spans = vec![None; n];
        p.parse(line.as_bytes(), &mut spans)?;
        Ok(spans
            .into_iter()
            .map(|s| line[s.unwrap()].to_string())
            .collect())
    }

    #[test]
    fn parses_a_combined_line() {
        let line = r#"83.149.9.216 - frank [17/May/2015:10:05:03 +0000] "GET /a b.png HTTP/1.1" 200 203023 "http://x/\"q\"" "Mozilla/5.0 (X)""#;
        assert_eq!(
            parse(true, line).unwrap(),
            [
                "83.149.9.216",
                "-",
                "frank",
                "17/May/2015:10:05:03 +0000",
                "GET",
                "/a b.png",
                "HTTP/1.1",
                "200",
                "203023",
                r#"http://x/\"q\""#,
                "Mozilla/5.0 (X)"
            ]
        );
    }

    #[test]
    fn odd_requests_split_without_failing() {
        let line = r#"::1 - - [t] "-" 408 - "-" "-""#;
        let f = parse(true, line).unwrap();
        assert_eq!(&f[4..9], ["-", "", "", "408", "-"]);
        let line = r#"::1 - - [t] "GET /" 200 5 "-" "-""#;
        assert_eq!(&parse(true, line).unwrap()[4..7], ["GET", "/", ""]);
        let line = r#"::1 - - [t] "a\\" 200 5 "-" "-""#;
        assert_eq!(parse(true, line).unwrap()[4], r"a\\");
    }

    #[test]
    fn common_lines() {
        let line = r#"1.2.3.4 - - [t] "GET / HTTP/1.0" 304 -"#;
        assert_eq!(parse(false, line).unwrap()[7..], ["304", "-"]);
        assert!(parse(false, &format!("{line} \"-\" \"-\"")).is_err());
        assert!(parse(true, line).is_err());
    }

    #[test]
    fn malformed_lines_are_bad() {
        for line in [
            "",
            "1.2.3.4",
            r#"1.2.3.4 - - [t "GET / HTTP/1.0" 200 1 "-" "-""#,
            r#"1.2.3.4 - - [t] GET / HTTP/1.0 200 1 "-" "-""#,
            r#"1.2.3.4 - - [t] "GET / HTTP/1.0" 200 1 "-" "Mozilla"#,
            r#"1.2.3.4 - - [t] "GET / HTTP/1.0" 200 1 "-" "-" extra"#,
            r#"1.2.3.4 - - [t] "GET / HTTP/1.0" 200 1 "-""#,
            r#"1.2.3.4  - - [t] "GET / HTTP/1.0" 200 1 "-" "-""#,
            r#"1.2.3.4 - - [t] "GET / HTTP/1.0\" 200 1 "-" "-""#,
        ] {
            let e = parse(true, line).unwrap_err();
            assert_eq!(e.category, "not in combined format", "{line}");
        }
    }
}
