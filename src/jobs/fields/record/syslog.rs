//! RFC 3164 style syslog lines as files under /var/log hold them:
//! `Mmm dd hh:mm:ss host program[pid]: message`.
//!
//! - time: the first 15 bytes, `Jun  9 04:06:18` (the day may be space-padded), then a space;
//! - host: the next token (runs of spaces around it are skipped);
//! - program: the tag, which ends (as RFC 3164 says) at the first `[`, `:` or space;
//! - pid: the digits between `[` and `]` right after the program, or a null when absent;
//! - message: the rest, after an optional `:` and one optional space.
//!
//! A line without a valid timestamp, a host and a program is bad.

use memchr::memchr;

use super::{Bad, Positions, Span};

/// The field names of the syslog preset, in order.
pub const SYSLOG_FIELDS: &[&str] = &["time", "host", "program", "pid", "message"];

/// Parses syslog lines.
#[derive(Debug)]
pub struct SyslogParser {
    pos: Positions,
}

fn bad(detail: &'static str) -> Bad {
    Bad::shape("syslog", detail)
}

/// True when `t` looks like `Mmm dd hh:mm:ss`.
fn is_timestamp(t: &[u8]) -> bool {
    let digit = |i: usize| t[i].is_ascii_digit();
    t.len() == 15
        && t[..3].iter().all(u8::is_ascii_alphabetic)
        && t[3] == b' '
        && (t[4] == b' ' || digit(4))
        && digit(5)
        && t[6] == b' '
        && digit(7)
        && digit(8)
        && t[9] == b':'
        && digit(10)
        && digit(11)
        && t[12] == b':'
        && digit(13)
        && digit(14)
}

impl SyslogParser {
    /// A parser filling the needed positions.
    pub fn new(pos: Positions) -> SyslogParser {
        SyslogParser { pos }
    }

    /// Fills the spans of the needed fields of `line`, or says why it is not syslog.
    #[inline]
    pub fn parse(&self, line: &[u8], spans: &mut [Span]) -> Result<(), Bad> {
        let n = line.len();
        if n < 16 || !is_timestamp(&line[..15]) || line[15] != b' ' {
            return Err(bad("no Mmm dd hh:mm:ss timestamp"));
        }
        self.pos.put(0, 0..15, spans);
        let skip_spaces = |mut i: usize| {
            while i < n && line[i] == b' ' {
                i += 1;
            }
            i
        };
        let i = skip_spaces(16);
        let host_end = memchr(b' ', &line[i..]).map_or(n, |k| i + k);
        if host_end == i || host_end == n {
            return Err(bad("no host and program after the timestamp"));
        }
        self.pos.put(1, i..host_end, spans);
        let i = skip_spaces(host_end);
        let tag_end = line[i..]
            .iter()
            .position(|&b| b == b'[' || b == b':' || b == b' ')
            .map_or(n, |k| i + k);
        if tag_end == i {
            return Err(bad("no program after the host"));
        }
        self.pos.put(2, i..tag_end, spans);
        let mut j = tag_end;
        if line.get(j) == Some(&b'[') {
            let close = memchr(b']', &line[j..])
                .map(|k| j + k)
                .ok_or_else(|| bad("the pid has no closing bracket"))?;
            self.pos.put(3, j + 1..close, spans);
            j = close + 1;
        }
        if line.get(j) == Some(&b':') {
            j += 1;
        }
        if line.get(j) == Some(&b' ') {
            j += 1;
        }
        self.pos.put(4, j.min(n)..n, spans);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::fields::record::Locator;

    fn parse(line: &str) -> Result<Vec<Option<String>>, Bad> {
        let locs: Vec<Locator> = (0..5).map(Locator::Index).collect();
        let p = SyslogParser::new(Positions::new(&locs));
        let mut spans = vec![None; 5];
        p.parse(line.as_bytes(), &mut spans)?;
        Ok(spans
            .into_iter()
            .map(|s| s.map(|r| line[r].to_string()))
            .collect())
    }

    fn some(v: &[&str]) -> Vec<Option<String>> {
        v.iter()
            .map(|s| (*s != "<null>").then(|| s.to_string()))
            .collect()
    }

    #[test]
    fn parses_loghub_shapes() {
        assert_eq!(
            parse("Jun 14 15:16:01 combo sshd(pam_unix)[19939]: check pass; user unknown").unwrap(),
            some(&[
                "Jun 14 15:16:01",
                "combo",
                "sshd(pam_unix)",
                "19939",
                "check pass; user unknown"
            ])
        );
        assert_eq!(
            parse("Jul  3 04:08:03 combo syslogd 1.4.1: restart.").unwrap(),
            some(&[
                "Jul  3 04:08:03",
                "combo",
                "syslogd",
                "<null>",
                "1.4.1: restart."
            ])
        );
        assert_eq!(
            parse("Jul  7 08:06:15 combo  -- root[2421]: ROOT LOGIN ON tty2").unwrap(),
            some(&[
                "Jul  7 08:06:15",
                "combo",
                "--",
                "<null>",
                "root[2421]: ROOT LOGIN ON tty2"
            ])
        );
        assert_eq!(
            parse("Dec 10 06:55:46 LabSZ kernel: [1.2] x").unwrap(),
            some(&["Dec 10 06:55:46", "LabSZ", "kernel", "<null>", "[1.2] x"])
        );
        assert_eq!(
            parse("Dec 10 06:55:46 LabSZ prog:").unwrap()[4].as_deref(),
            Some("")
        );
    }

    #[test]
    fn malformed_lines_are_bad() {
        for line in [
            "",
            "Dec 10 06:55:46",
            "Dec 10 06:55:46 host",
            "Dec 10 06:55:46 host ",
            "Dec 10 6:55:46 host prog: x",
            "2024-01-01T00:00:00 host prog: x",
            "Dec 10 06:55:46 host prog[12: x",
        ] {
            assert!(parse(line).is_err(), "{line:?}");
        }
    }
}
