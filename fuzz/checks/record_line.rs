//! The line parsers (combined, common, syslog, jsonl, ws): any line, any bytes, never a panic,
//! and every field span lies inside the buffer the parser returns.

use logmill::jobs::fields::record::{combined, locate, syslog, Format, LineParser, Span};

/// Panics when the property fails for `input` (a fuzz input, or a replayed regression).
pub fn check(input: &[u8]) {
    let Some((&which, line)) = input.split_first() else {
        return;
    };
    let (format, names): (Format, Vec<&str>) = match which % 5 {
        0 => (Format::Combined, combined::COMBINED_FIELDS.to_vec()),
        1 => (Format::Common, combined::COMBINED_FIELDS[..7].to_vec()),
        2 => (Format::Syslog, syslog::SYSLOG_FIELDS.to_vec()),
        3 => (Format::Jsonl, vec!["a", "a.b", "b.c.d", "x"]),
        _ => (Format::Ws, vec!["1", "2", "5"]),
    };
    let locators: Vec<_> = names
        .iter()
        .filter_map(|n| locate(&format, n).ok())
        .collect();
    let parser = LineParser::new(&format, &locators).expect("a line format");
    let mut spans: Vec<Span> = vec![None; locators.len()];
    let mut scratch = Vec::new();
    // A line as the mapper hands it over: without its line end.
    let line = line.split(|&b| b == b'\n').next().unwrap_or(&[]);
    if let Ok(base) = parser.parse(line, &mut spans, &mut scratch) {
        for s in spans.iter().flatten() {
            assert!(
                s.start <= s.end && s.end <= base.len(),
                "span {s:?} in {}",
                base.len()
            );
        }
    }
}
