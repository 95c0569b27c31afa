//! The report's time-series chart: stacked bars of the top keys per time bucket (the rest as
//! one "other" series), drawn as inline SVG. The report shows it when its [`Report`](super::Report)
//! carries a [`Chart`] (a job with a time axis, `--per`, fills one in); every name and label
//! comes from the data or the user and is escaped as SVG text, like every other value.

use std::io::{self, Write};

use html_escape::encode_text_to_writer;

/// Width and height of the plot area, in SVG user units (the SVG scales to the page width).
const WIDTH: f64 = 960.0;
const HEIGHT: f64 = 240.0;
/// Room on the left for the count axis and below for the time labels.
const LEFT: f64 = 56.0;
const BOTTOM: f64 = 22.0;
/// Series drawn in their own colour; more are drawn in the last one.
pub const COLOURS: usize = 8;

/// A time series of counts per key.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Chart {
    /// The time buckets' labels, oldest first (bucket starts, written in the user's zone).
    pub buckets: Vec<String>,
    /// One series per key drawn, each with a count per bucket, bottom of the stack first.
    pub series: Vec<Series>,
}

/// One key's counts over the buckets of a [`Chart`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Series {
    /// The key (bytes; shown as text, invalid UTF-8 as U+FFFD), or "other".
    pub name: Vec<u8>,
    /// Its count in each bucket (missing ones are 0).
    pub counts: Vec<u64>,
}

/// `name` as text: itself or its lossy decoding, NUL as U+FFFD (see the emitter's `text`).
fn shown(name: &[u8], replaced: &mut u64) -> String {
    let text = String::from_utf8_lossy(name);
    if matches!(text, std::borrow::Cow::Owned(_)) {
        *replaced += 1;
    }
    text.replace('\0', "\u{fffd}")
}

/// Writes `chart` as a `<figure>` holding the SVG and a legend. Returns how many names were not
/// UTF-8 (shown with U+FFFD).
pub fn write_chart<W: Write>(out: &mut W, chart: &Chart) -> io::Result<u64> {
    let mut replaced = 0;
    let n = chart.buckets.len().max(1);
    let totals: Vec<u64> = (0..n)
        .map(|i| {
            chart
                .series
                .iter()
                .map(|s| s.counts.get(i).copied().unwrap_or(0))
                .fold(0u64, u64::saturating_add)
        })
        .collect();
    let max = totals.iter().copied().max().unwrap_or(0).max(1);
    let names: Vec<String> = chart
        .series
        .iter()
        .map(|s| shown(&s.name, &mut replaced))
        .collect();
    write!(
        out,
        "<figure class=\"chart\">\n<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {} {}\" \
         role=\"img\" aria-label=\"counts per time bucket\">\n",
        WIDTH + LEFT,
        HEIGHT + BOTTOM
    )?;
    writeln!(
        out,
        "<line class=\"axis\" x1=\"{LEFT}\" y1=\"{HEIGHT}\" x2=\"{}\" y2=\"{HEIGHT}\"/>",
        WIDTH + LEFT
    )?;
    writeln!(
        out,
        "<text class=\"lbl\" x=\"{}\" y=\"12\" text-anchor=\"end\">{max}</text>\
         <text class=\"lbl\" x=\"{}\" y=\"{HEIGHT}\" text-anchor=\"end\">0</text>",
        LEFT - 4.0,
        LEFT - 4.0
    )?;
    let step = WIDTH / n as f64;
    let scale = HEIGHT / max as f64;
    for i in 0..chart.buckets.len() {
        let x = LEFT + step * i as f64;
        let mut y = HEIGHT;
        for (k, s) in chart.series.iter().enumerate() {
            let count = s.counts.get(i).copied().unwrap_or(0);
            if count == 0 {
                continue;
            }
            let h = count as f64 * scale;
            y -= h;
            write!(
                out,
                "<rect class=\"s{}\" x=\"{x:.2}\" y=\"{y:.2}\" width=\"{:.2}\" height=\"{h:.2}\"><title>",
                k.min(COLOURS - 1),
                (step * 0.9).max(0.5)
            )?;
            encode_text_to_writer(&chart.buckets[i], out)?;
            out.write_all(b" \xe2\x80\x94 ")?;
            encode_text_to_writer(&names[k], out)?;
            writeln!(out, ": {count}</title></rect>")?;
        }
    }
    // Time labels: the first, middle and last bucket.
    let mut at: Vec<usize> = vec![
        0,
        chart.buckets.len() / 2,
        chart.buckets.len().saturating_sub(1),
    ];
    at.dedup();
    for (j, &i) in at.iter().enumerate() {
        let Some(label) = chart.buckets.get(i) else {
            continue;
        };
        let anchor = match (j, at.len()) {
            (0, _) => "start",
            (j, len) if j + 1 == len => "end",
            _ => "middle",
        };
        let x = match anchor {
            "start" => LEFT + step * i as f64,
            "end" => LEFT + step * (i + 1) as f64,
            _ => LEFT + step * (i as f64 + 0.5),
        };
        write!(
            out,
            "<text class=\"lbl\" x=\"{x:.2}\" y=\"{}\" text-anchor=\"{anchor}\">",
            HEIGHT + BOTTOM - 4.0
        )?;
        encode_text_to_writer(label, out)?;
        out.write_all(b"</text>\n")?;
    }
    out.write_all(b"</svg>\n<figcaption><ul class=\"legend\">\n")?;
    for (k, name) in names.iter().enumerate() {
        write!(
            out,
            "<li><span class=\"sw s{}\"></span><code>",
            k.min(COLOURS - 1)
        )?;
        encode_text_to_writer(name, out)?;
        out.write_all(b"</code></li>\n")?;
    }
    out.write_all(b"</ul></figcaption>\n</figure>\n")?;
    Ok(replaced)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart() -> Chart {
        Chart {
            buckets: vec!["2024-10-10 13:00".into(), "<b>14:00</b>".into()],
            series: vec![
                Series {
                    name: b"</svg><script>alert(1)</script>".to_vec(),
                    counts: vec![3, 1],
                },
                Series {
                    name: b"other\xff".to_vec(),
                    counts: vec![0, 2],
                },
            ],
        }
    }

    #[test]
    fn one_rect_per_nonzero_count_and_a_legend_entry_per_series() {
        let mut out = Vec::new();
        let replaced = write_chart(&mut out, &chart()).unwrap();
        let svg = String::from_utf8(out).unwrap();
        assert_eq!(svg.matches("<rect ").count(), 3, "{svg}");
        assert_eq!(svg.matches("<li>").count(), 2);
        assert_eq!(replaced, 1);
        assert!(svg.contains("other\u{fffd}"));
        // The tallest bar (3 + 0, 1 + 2) fills the height.
        assert!(svg.contains(">3</text>"), "{svg}");
    }

    #[test]
    fn names_and_labels_are_svg_text() {
        let mut out = Vec::new();
        write_chart(&mut out, &chart()).unwrap();
        let svg = String::from_utf8(out).unwrap();
        assert!(!svg.contains("<script"), "{svg}");
        assert!(!svg.contains("<b>"), "{svg}");
        assert!(svg.contains("&lt;/svg&gt;&lt;script&gt;"), "{svg}");
        assert_eq!(svg.matches("</svg>").count(), 1);
    }

    #[test]
    fn an_empty_chart_is_well_formed() {
        let mut out = Vec::new();
        write_chart(&mut out, &Chart::default()).unwrap();
        let svg = String::from_utf8(out).unwrap();
        assert!(svg.starts_with("<figure") && svg.ends_with("</figure>\n"));
    }
}
