use super::*;
use crate::aggregate::keyed::Meta;

fn page(report: Report, meta: &Meta, rows: &[(&[u8], u64)]) -> (String, u64) {
    let mut out = Vec::new();
    let mut e = HtmlEmitter::new(&mut out, report, meta);
    e.header(&["key", "count"]).unwrap();
    for (k, n) in rows {
        e.row(&[Value::Text(k), Value::Count(*n)]).unwrap();
    }
    let replaced = e.replaced_cells();
    e.finish().unwrap();
    drop(e);
    (String::from_utf8(out).expect("the page is UTF-8"), replaced)
}

const HOSTILE: &[&[u8]] = &[
    b"<script>alert(1)</script>",
    b"\"><img src=x onerror=alert(1)>",
    b"'><svg onload=alert(1)>",
    b"</script><script>alert(2)</script>",
    b"javascript:alert(1)",
    b"{{7*7}}",
    b"a\xe2\x80\xa8b\xe2\x80\xa9c",
    b"nul\0byte",
    b"bad\xff\xfeutf8",
    b"&amp; &lt;",
    b"<!-- x -->",
];

#[test]
fn data_never_becomes_markup() {
    let rows: Vec<(&[u8], u64)> = HOSTILE.iter().map(|k| (*k, 1)).collect();
    let report = Report {
        title: "logmill match '<script>alert(3)</script>'".into(),
        inputs: vec![ReportInput {
            name: b"<img src=x>.log".to_vec(),
            size: Some(3),
        }],
        rejects: Some(b"\"><b>r</b>".to_vec()),
        ..Report::default()
    };
    let mut meta = Meta::default();
    meta.bad.insert("<i>reason</i>".into(), 2);
    meta.rejected.add(b"<u>x</u>");
    let (html, replaced) = page(report, &meta, &rows);
    for bad in [
        "<script>alert",
        "<img",
        "<svg",
        "<b>",
        "<i>reason",
        "<u>",
        "<!-- x",
        "\0",
    ] {
        assert!(!html.contains(bad), "{bad:?} in\n{html}");
    }
    // The only <script> elements are the report's two; the only attributes are its own.
    assert_eq!(html.matches("<script").count(), 2, "{html}");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("bad\u{fffd}\u{fffd}utf8"));
    assert!(html.contains("nul\u{fffd}byte"));
    assert_eq!(replaced, 1);
}

#[test]
fn long_cells_get_a_tooltip_with_the_escaped_text() {
    let long = format!("\"><x onclick=a> {}", "y".repeat(60));
    let (html, _) = page(Report::default(), &Meta::default(), &[(long.as_bytes(), 1)]);
    assert!(
        html.contains("title=\"&quot;&gt;&lt;x onclick=a&gt; y"),
        "{html}"
    );
    assert!(!html.contains("<x "), "{html}");
    let (short, _) = page(Report::default(), &Meta::default(), &[(b"short", 1)]);
    assert!(!short.contains("title="), "{short}");
}

#[test]
fn huge_cells_are_cut_on_a_char_boundary() {
    let key = "é".repeat(MAX_CELL_BYTES);
    let (html, _) = page(Report::default(), &Meta::default(), &[(key.as_bytes(), 1)]);
    assert!(html.len() < 3 * MAX_CELL_BYTES + 20_000, "{}", html.len());
    assert!(html.contains(&format!(
        " <i>({} more bytes)</i>",
        key.len() - MAX_CELL_BYTES
    )));
}

#[test]
fn rows_past_the_limit_are_counted_not_shown() {
    let rows: Vec<(Vec<u8>, u64)> = (0..10)
        .map(|i| (format!("k{i}").into_bytes(), 10 - i))
        .collect();
    let refs: Vec<(&[u8], u64)> = rows.iter().map(|(k, n)| (&k[..], *n)).collect();
    let report = Report {
        rows: Some(3),
        ..Report::default()
    };
    let (html, _) = page(report, &Meta::default(), &refs);
    assert_eq!(html.matches("<tr>").count(), 4, "{html}"); // the header and 3 rows
    assert!(html.contains("The first 3 rows of 10; 7 rows left out (--top 3)."));
    assert!(!html.contains(">k3<"));
    let none = Report {
        rows: Some(0),
        ..Report::default()
    };
    let (html, _) = page(none, &Meta::default(), &refs);
    assert!(
        html.contains("No rows shown; 10 rows left out (--top 0)."),
        "{html}"
    );
    let (all, _) = page(Report::default(), &Meta::default(), &refs);
    assert!(all.contains("<p class=\"note\">10 rows.</p>"));
}

#[test]
fn an_empty_result_is_a_whole_page() {
    let (html, _) = page(Report::default(), &Meta::default(), &[]);
    assert!(html.starts_with("<!DOCTYPE html>\n"));
    assert!(html.contains("<th scope=\"col\" class=\"k\">key</th>"));
    assert!(html.contains("No rows."));
    assert!(html.ends_with("</html>\n"));
}

#[test]
fn same_input_same_bytes_and_no_clock() {
    let rows: Vec<(&[u8], u64)> = vec![(b"a", 2), (b"b", 1)];
    let a = page(Report::default(), &Meta::default(), &rows).0;
    let b = page(Report::default(), &Meta::default(), &rows).0;
    assert_eq!(a, b);
    assert!(!a.contains("Made"));
    let made = Report {
        generated: Some("2026-01-02T03:04:05Z".into()),
        ..Report::default()
    };
    assert!(page(made, &Meta::default(), &rows)
        .0
        .contains("<dt>Made</dt><dd>2026-01-02T03:04:05Z</dd>"));
}

#[test]
fn numeric_columns_are_marked_in_the_header_and_the_script_data() {
    let (html, _) = page(Report::default(), &Meta::default(), &[(b"a", 1)]);
    assert!(html.contains("<th scope=\"col\" class=\"n\">count</th>"));
    assert!(html.contains(
        "{\"columns\":[{\"name\":\"key\",\"numeric\":false},{\"name\":\"count\",\"numeric\":true}]}"
    ));
}

#[test]
fn sizes_read_exactly_with_a_unit() {
    assert_eq!(human_bytes(12), "12 bytes");
    assert_eq!(human_bytes(2048), "2048 bytes (2.0 KiB)");
    assert_eq!(human_bytes(3 << 20), "3145728 bytes (3.0 MiB)");
}

#[test]
fn a_chart_goes_between_the_facts_and_the_table() {
    let report = Report {
        chart: Some(chart::Chart {
            span: (0, 7200),
            ticks: vec![(0, "13:00".into()), (7200, "15:00".into())],
            series: vec![b"<img src=x>".to_vec()],
            bars: vec![chart::Bar {
                from: 0,
                to: 3600,
                label: "13:00".into(),
                counts: vec![1],
            }],
        }),
        ..Report::default()
    };
    let (html, _) = page(report, &Meta::default(), &[(b"a", 3)]);
    let figure = html.find("<figure class=\"chart\">").expect("a chart");
    assert!(figure > html.find("</dl>").unwrap());
    assert!(figure < html.find("<table").unwrap());
    assert!(!html.contains("<img"));
    let (plain, _) = page(Report::default(), &Meta::default(), &[(b"a", 3)]);
    assert!(!plain.contains("<figure"));
}

#[test]
fn diff_rows_of_new_and_gone_keys_are_marked() {
    let report = Report {
        change_column: Some("change".into()),
        ..Report::default()
    };
    let mut out = Vec::new();
    let mut e = HtmlEmitter::new(&mut out, report, &Meta::default());
    e.header(&["key", "change"]).unwrap();
    for (k, c) in [("a", "new"), ("b", "up"), ("c", "gone")] {
        e.row(&[Value::Bytes(k.as_bytes()), Value::Bytes(c.as_bytes())])
            .unwrap();
    }
    e.finish().unwrap();
    let html = String::from_utf8(out).unwrap();
    assert!(html.contains(
        "<tr class=\"new\"><td class=\"k\">a</td><td class=\"k\"><strong>new</strong></td></tr>"
    ));
    assert!(html.contains("<tr><td class=\"k\">b</td><td class=\"k\">up</td></tr>"));
    assert!(html.contains("<tr class=\"gone\"><td class=\"k\">c</td>"));
}

#[test]
fn records_read_are_a_fact_when_counted() {
    let report = Report {
        records: Some(RecordsRead::known(12)),
        ..Report::default()
    };
    let (html, _) = page(report, &Meta::default(), &[(b"a", 3)]);
    assert!(html.contains("<dt>Records read</dt><dd><span class=\"n\">12</span></dd>"));
    let (plain, _) = page(Report::default(), &Meta::default(), &[(b"a", 3)]);
    assert!(!plain.contains("Records read"));
    let unknown = Report {
        records: Some(RecordsRead::unknown()),
        ..Report::default()
    };
    let (html, _) = page(unknown, &Meta::default(), &[(b"a", 3)]);
    assert!(
        html.contains("<dt>Records read</dt><dd>unknown ("),
        "{html}"
    );
    let diff = Report {
        records: Some(RecordsRead::known(5)),
        old_records: Some(RecordsRead::unknown()),
        ..Report::default()
    };
    let (html, _) = page(diff, &Meta::default(), &[(b"a", 3)]);
    assert!(
        html.contains("<dt>Records read (old)</dt><dd>unknown ("),
        "{html}"
    );
    assert!(html.contains("<dt>Records read (new)</dt><dd><span class=\"n\">5</span></dd>"));
}
