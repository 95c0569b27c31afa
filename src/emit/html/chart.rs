//! The report's time-series chart: stacked bars of the top keys over time (the rest as one
//! "other" series), drawn as inline SVG. The report shows it when its [`Report`](super::Report)
//! carries a [`Chart`] (a `--per` result fills one in). Bars sit at their place in time, so
//! buckets without data leave a gap; the axis labels are the bucket labels, in the run's zone.
//! Every name and label comes from the data or the user and is escaped as SVG text, like every
//! other value; no attribute holds anything from the data.

use std::io::{self, Write};

use html_escape::encode_text_to_writer;

/// Width and height of the plot area, in SVG user units (the SVG scales to the page width).
const WIDTH: f64 = 960.0;
const HEIGHT: f64 = 240.0;
/// Room on the left for the count axis, on the right for the last label, below for the time
/// labels.
const LEFT: f64 = 56.0;
const RIGHT: f64 = 8.0;
const BOTTOM: f64 = 22.0;
/// Series drawn in their own colour; more are drawn in the last one.
pub const COLOURS: usize = 8;

/// A time series of counts per key.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Chart {
    /// The time axis, `[start, end)` in seconds.
    pub span: (i64, i64),
    /// Labels on the time axis: where (seconds) and what.
    pub ticks: Vec<(i64, String)>,
    /// The series' names, bottom of the stack first (keys as bytes, or "other").
    pub series: Vec<Vec<u8>>,
    /// The bars, oldest first.
    pub bars: Vec<Bar>,
}

/// One bar of a [`Chart`]: a time range and a count per series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bar {
    /// `[from, to)` in seconds.
    pub from: i64,
    /// The end.
    pub to: i64,
    /// What its tooltip calls it (the bucket's label).
    pub label: String,
    /// The count of each series, in the order of [`Chart::series`].
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

/// Writes `chart` as a `<figure>` holding the SVG (one `<g>` per series) and a legend (one
/// `<li>` per series). Returns how many names were not UTF-8 (shown with U+FFFD).
pub fn write_chart<W: Write>(out: &mut W, chart: &Chart) -> io::Result<u64> {
    let mut replaced = 0;
    let count = |b: &Bar, k: usize| b.counts.get(k).copied().unwrap_or(0);
    let max = chart
        .bars
        .iter()
        .map(|b| b.counts.iter().fold(0u64, |a, c| a.saturating_add(*c)))
        .max()
        .unwrap_or(0)
        .max(1);
    let names: Vec<String> = chart
        .series
        .iter()
        .map(|s| shown(s, &mut replaced))
        .collect();
    let (t0, t1) = chart.span;
    let len = (t1.saturating_sub(t0)).max(1) as f64;
    let x = |t: i64| LEFT + (t.saturating_sub(t0)) as f64 / len * WIDTH;
    write!(
        out,
        "<figure class=\"chart\">\n<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {} {}\" \
         role=\"img\" aria-label=\"counts over time\">\n",
        LEFT + WIDTH + RIGHT,
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
    let scale = HEIGHT / max as f64;
    // The top of each bar's stack so far.
    let mut top = vec![HEIGHT; chart.bars.len()];
    for (k, name) in names.iter().enumerate() {
        writeln!(out, "<g class=\"s{}\">", k.min(COLOURS - 1))?;
        for (bar, y0) in chart.bars.iter().zip(top.iter_mut()) {
            let n = count(bar, k);
            if n == 0 {
                continue;
            }
            let h = n as f64 * scale;
            *y0 -= h;
            let (left, right) = (x(bar.from), x(bar.to));
            write!(
                out,
                "<rect x=\"{left:.2}\" y=\"{:.2}\" width=\"{:.2}\" height=\"{h:.2}\"><title>",
                *y0,
                ((right - left) * 0.9).max(0.5)
            )?;
            encode_text_to_writer(&bar.label, out)?;
            out.write_all(" \u{2014} ".as_bytes())?;
            encode_text_to_writer(name, out)?;
            writeln!(out, ": {n}</title></rect>")?;
        }
        out.write_all(b"</g>\n")?;
    }
    let last = chart.ticks.len().saturating_sub(1);
    for (j, (at, label)) in chart.ticks.iter().enumerate() {
        let anchor = match j {
            0 => "start",
            j if j == last => "end",
            _ => "middle",
        };
        write!(
            out,
            "<text class=\"lbl\" x=\"{:.2}\" y=\"{}\" text-anchor=\"{anchor}\">",
            x(*at),
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
            span: (0, 7200),
            ticks: vec![
                (0, "2024-10-10 13:00".into()),
                (7200, "<b>15:00</b>".into()),
            ],
            series: vec![
                b"</svg><script>alert(1)</script>".to_vec(),
                b"other\xff".to_vec(),
            ],
            bars: vec![
                Bar {
                    from: 0,
                    to: 3600,
                    label: "13:00".into(),
                    counts: vec![3, 0],
                },
                Bar {
                    from: 3600,
                    to: 7200,
                    label: "<i>14:00".into(),
                    counts: vec![1, 2],
                },
            ],
        }
    }

    #[test]
    fn one_group_and_legend_entry_per_series_and_a_rect_per_nonzero_count() {
        let mut out = Vec::new();
        let replaced = write_chart(&mut out, &chart()).unwrap();
        let svg = String::from_utf8(out).unwrap();
        assert_eq!(svg.matches("<rect ").count(), 3, "{svg}");
        assert_eq!(svg.matches("<g ").count(), 2, "{svg}");
        assert_eq!(svg.matches("<li>").count(), 2);
        assert_eq!(replaced, 1);
        assert!(svg.contains("other\u{fffd}"));
        // The tallest bar (3 + 0, 1 + 2) fills the height.
        assert!(svg.contains(">3</text>"), "{svg}");
        // The second bar starts halfway along the axis.
        assert!(
            svg.contains(&format!("x=\"{:.2}\"", LEFT + WIDTH / 2.0)),
            "{svg}"
        );
    }

    #[test]
    fn names_and_labels_are_svg_text() {
        let mut out = Vec::new();
        write_chart(&mut out, &chart()).unwrap();
        let svg = String::from_utf8(out).unwrap();
        assert!(!svg.contains("<script"), "{svg}");
        assert!(!svg.contains("<b>") && !svg.contains("<i>"), "{svg}");
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
