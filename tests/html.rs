//! The HTML report (`--output-format html`, issue 18): pages loaded in a real browser
//! (headless Chromium: `--dump-dom`, scripts on and off, served over HTTP so every request is
//! seen), the DOM's table against the TSV output row for row, hostile log contents that must
//! never become markup or requests, and byte-identical pages across runs and thread counts.
//! The DOM is read back with Python's `html.parser`, a parser independent of ours.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde::Deserialize;

use crate::util::*;

/// Reads an HTML document on stdin and prints, as JSON, every element with its attributes,
/// the text of every table row's cells and each row's class, the text of every script
/// element, the chart legend's entries and the `<title>` texts inside the SVG chart.
const DOM_PY: &str = r#"
import sys, json
from html.parser import HTMLParser
class P(HTMLParser):
    def __init__(s):
        super().__init__(convert_charrefs=True)
        s.elements, s.rows, s.scripts, s.row_classes = [], [], [], []
        s.legend, s.titles = [], []
        s.row = s.cell = s.script = s.item = s.title = None
        s.in_legend = s.in_svg = False
    def handle_starttag(s, tag, attrs):
        s.elements.append([tag, [[k, v if v is not None else "" ] for k, v in attrs]])
        if tag == "tr":
            s.row = []
            s.row_classes.append(dict(attrs).get("class") or "")
        if tag in ("td", "th"): s.cell = ""
        if tag == "script": s.script = ""
        if tag == "svg": s.in_svg = True
        if tag == "title" and s.in_svg: s.title = ""
        if tag == "ul" and dict(attrs).get("class") == "legend": s.in_legend = True
        if tag == "li" and s.in_legend: s.item = ""
    def handle_startendtag(s, tag, attrs):
        s.elements.append([tag, [[k, v if v is not None else ""] for k, v in attrs]])
    def handle_endtag(s, tag):
        if tag in ("td", "th") and s.row is not None and s.cell is not None:
            s.row.append(s.cell); s.cell = None
        if tag == "tr" and s.row is not None: s.rows.append(s.row); s.row = None
        if tag == "script" and s.script is not None: s.scripts.append(s.script); s.script = None
        if tag == "svg": s.in_svg = False
        if tag == "title" and s.title is not None: s.titles.append(s.title); s.title = None
        if tag == "li" and s.item is not None: s.legend.append(s.item); s.item = None
        if tag == "ul": s.in_legend = False
    def handle_data(s, d):
        if s.cell is not None: s.cell += d
        if s.script is not None: s.script += d
        if s.title is not None: s.title += d
        if s.item is not None: s.item += d
p = P()
p.feed(sys.stdin.buffer.read().decode("utf-8", "replace"))
p.close()
print(json.dumps({"elements": p.elements, "rows": p.rows, "scripts": p.scripts,
    "row_classes": p.row_classes, "legend": p.legend, "titles": p.titles}))
"#;

/// Serves the current directory on a free port of 127.0.0.1, prints the port, and logs
/// `REQ <path>` on stderr for every request. A path ending in `?noscript` is served with the
/// header `Content-Security-Policy: script-src 'none'`, which turns off every script of the
/// page (headless Chromium's own switch for that, `--blink-settings=scriptEnabled=false`, also
/// turns off `--dump-dom`).
const SERVER_PY: &str = r#"
import http.server, sys
class H(http.server.SimpleHTTPRequestHandler):
    def log_message(self, fmt, *args):
        sys.stderr.write("REQ %s\n" % self.path); sys.stderr.flush()
    def end_headers(self):
        if self.path.endswith("?noscript"):
            self.send_header("Content-Security-Policy", "script-src 'none'")
        super().end_headers()
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
"#;

/// The elements the report makes, each with the attributes it may carry (the script adds
/// `tabindex` and `aria-sort` to column headers), the chart's SVG elements included (the
/// parser lowercases attribute names).
const ALLOWED: &[(&str, &[&str])] = &[
    ("figure", &["class"]),
    ("figcaption", &[]),
    ("svg", &["xmlns", "viewbox", "role", "aria-label"]),
    ("g", &["class"]),
    ("line", &["class", "x1", "y1", "x2", "y2"]),
    ("text", &["class", "x", "y", "text-anchor"]),
    ("rect", &["x", "y", "width", "height"]),
    ("strong", &[]),
    ("html", &["lang"]),
    ("head", &[]),
    ("meta", &["charset", "http-equiv", "content", "name"]),
    ("title", &[]),
    ("style", &[]),
    ("body", &[]),
    ("h1", &[]),
    ("dl", &["class"]),
    ("dt", &[]),
    ("dd", &[]),
    ("ul", &["class"]),
    ("li", &[]),
    ("code", &[]),
    ("span", &["class"]),
    ("i", &[]),
    ("table", &["id"]),
    ("thead", &[]),
    ("tbody", &[]),
    ("tr", &["class"]),
    ("th", &["scope", "class", "tabindex", "aria-sort"]),
    ("td", &["class", "title"]),
    ("p", &["class"]),
    ("script", &["type", "id"]),
];

#[derive(Deserialize)]
pub(crate) struct Dom {
    pub elements: Vec<(String, Vec<(String, String)>)>,
    pub rows: Vec<Vec<String>>,
    pub scripts: Vec<String>,
    /// The `class` of each row (empty when none), as `rows`.
    pub row_classes: Vec<String>,
    /// The chart legend's entries.
    pub legend: Vec<String>,
    /// The texts of the SVG chart's `<title>` elements (one per bar segment).
    pub titles: Vec<String>,
}

pub(crate) fn parse_dom(html: &[u8]) -> Dom {
    let mut child = Command::new("python3")
        .args(["-c", DOM_PY])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    let mut stdin = child.stdin.take().unwrap();
    let data = html.to_vec();
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        stdin.write_all(&data).unwrap();
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(out.status.success(), "python3 html.parser failed");
    serde_json::from_slice(&out.stdout).expect("the parser's JSON")
}

/// The report's own script, as the emitter writes it (from a page made without a browser).
pub(crate) fn report_script(page: &[u8]) -> String {
    let dom = parse_dom(page);
    dom.scripts
        .into_iter()
        .nth(1)
        .expect("the report has its script")
}

/// Every element is one the report makes, with only the attributes it gives it, and the only
/// scripts are the report's column data (JSON that parses) and its one script.
pub(crate) fn assert_only_report_markup(dom: &Dom, script: &str) {
    for (tag, attrs) in &dom.elements {
        let allowed = ALLOWED
            .iter()
            .find(|(t, _)| t == tag)
            .unwrap_or_else(|| panic!("element <{tag}> is not one the report makes"));
        for (name, value) in attrs {
            assert!(
                allowed.1.contains(&name.as_str()),
                "attribute {name}={value:?} on <{tag}> is not one the report makes"
            );
        }
    }
    assert_eq!(dom.scripts.len(), 2, "scripts: {:?}", dom.scripts);
    let data: serde_json::Value =
        serde_json::from_str(&dom.scripts[0]).expect("the column data is JSON");
    assert!(data["columns"].is_array());
    assert_eq!(dom.scripts[1], script, "the script is the report's own");
    let scripts = dom.elements.iter().filter(|(t, _)| t == "script");
    let types: Vec<Option<&str>> = scripts
        .map(|(_, a)| a.iter().find(|(k, _)| k == "type").map(|(_, v)| v.as_str()))
        .collect();
    assert_eq!(types, vec![Some("application/json"), None]);
}

/// A static web server on 127.0.0.1 serving `dir`, logging each request path.
pub(crate) struct Server {
    child: Child,
    port: u16,
    log: std::path::PathBuf,
}

impl Server {
    pub(crate) fn start(dir: &Dir) -> Server {
        let log = dir.path("server.log");
        let mut child = Command::new("python3")
            .args(["-c", SERVER_PY])
            .current_dir(dir.root())
            .stdout(Stdio::piped())
            .stderr(File::create(&log).unwrap())
            .spawn()
            .expect("python3 runs");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line.trim().parse().expect("the server's port");
        Server { child, port, log }
    }

    pub(crate) fn url(&self, name: &str) -> String {
        format!("http://127.0.0.1:{}/{name}", self.port)
    }

    /// The paths requested so far.
    pub(crate) fn requests(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap()
            .lines()
            .filter_map(|l| l.strip_prefix("REQ "))
            .map(str::to_string)
            .collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Loads `url` in headless Chromium (with every script turned off unless `scripts`) and
/// returns the DOM after load and the browser's log (console messages included, so a
/// Content-Security-Policy violation shows there).
pub(crate) fn chromium_dom(dir: &Dir, url: &str, scripts: bool) -> (Vec<u8>, String) {
    let n = std::fs::read_dir(dir.root()).unwrap().count();
    let out = dir.path(format!("dom-{n}.html"));
    let err = dir.path(format!("chromium-{n}.log"));
    let mut cmd = Command::new("chromium");
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",
        "--enable-logging=stderr",
        "--v=0",
    ])
    .arg(format!(
        "--user-data-dir={}",
        dir.path(format!("profile-{n}")).display()
    ));
    let child = cmd
        .arg("--dump-dom")
        .arg(if scripts {
            url.to_string()
        } else {
            format!("{url}?noscript")
        })
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(File::create(&err).unwrap())
        .spawn()
        .expect("chromium runs");
    let id = child.id();
    let (done, wait) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(child.wait_with_output());
    });
    let output = match wait.recv_timeout(Duration::from_secs(120)) {
        Ok(output) => output.expect("chromium's output"),
        Err(_) => {
            // SAFETY-free: kill(2) of our own child's id.
            let _ = Command::new("kill").arg(id.to_string()).status();
            panic!("chromium did not finish within 2 minutes");
        }
    };
    std::fs::write(&out, &output.stdout).unwrap();
    (
        output.stdout,
        std::fs::read_to_string(&err).unwrap_or_default(),
    )
}

/// Runs logmill with `args` in `dir`, expecting success, and returns stdout.
pub(crate) fn page(dir: &Dir, args: &[&str]) -> Vec<u8> {
    let out = dir.command().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "logmill {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// A TSV cell as the browser shows the HTML cell: unescaped, invalid UTF-8 and NUL as U+FFFD,
/// line ends normalised as the HTML parser does.
fn as_shown(cell: &[u8]) -> String {
    String::from_utf8_lossy(&unescape_tsv(cell))
        .replace('\0', "\u{fffd}")
        .replace("\r\n", "\n")
        .replace('\r', "\n")
}

/// The DOM's table (header row included) equals the TSV output with `--header`, row for row.
pub(crate) fn assert_rows_match_tsv(dom: &Dom, tsv: &[u8]) {
    let want: Vec<Vec<String>> = tsv
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| l.split(|&b| b == b'\t').map(as_shown).collect())
        .collect();
    assert!(want.len() > 1, "no rows to compare");
    assert_eq!(dom.rows.len(), want.len(), "row count");
    for (i, (got, want)) in dom.rows.iter().zip(&want).enumerate() {
        assert_eq!(got, want, "row {i}");
    }
}

pub(crate) fn no_csp_violation(log: &str) {
    assert!(
        !log.contains("Content Security Policy"),
        "the browser reported a CSP violation:\n{log}"
    );
}

/// Writes the page of `args` to `file` in `dir` and loads it in Chromium through `server`:
/// the emitter's bytes and the rendered DOM hold only the markup the report makes, the table
/// equals the TSV output row for row, and the browser reports no CSP violation. Returns the
/// parsed DOM, the rendered DOM's bytes and the TSV (with its header).
pub(crate) fn load_checked(
    dir: &Dir,
    server: &Server,
    file: &str,
    args: &[&str],
) -> (Dom, Vec<u8>, Vec<u8>) {
    let html = page(dir, &[args, &["--output-format", "html"]].concat());
    std::fs::write(dir.path(file), &html).unwrap();
    let tsv = page(dir, &[args, &["--header"]].concat());
    let script = report_script(&html);
    assert_only_report_markup(&parse_dom(&html), &script);
    let (dom, log) = chromium_dom(dir, &server.url(file), true);
    let parsed = parse_dom(&dom);
    assert_only_report_markup(&parsed, &script);
    assert_rows_match_tsv(&parsed, &tsv);
    no_csp_violation(&log);
    (parsed, dom, tsv)
}

/// A combined log whose users, paths, referers and agents are attacks on the page.
pub(crate) fn hostile_log() -> Vec<u8> {
    let evil: &[&[u8]] = &[
        b"<script>alert(1)</script>",
        b"\"><img src=x onerror=alert(1)>",
        b"</script><script>alert(2)</script>",
        b"javascript:alert(document.domain)",
        b"{{7*7}}",
        b"a\xe2\x80\xa8b\xe2\x80\xa9c",
        b"nul\0byte",
        b"bad\xff\xfeutf8\xc3",
        b"'><svg/onload=alert(3)>",
        b"<a href=\"http://evil.example/\">click</a>",
        b"<link rel=stylesheet href=//evil.example/x.css>",
        b"<iframe src=//evil.example></iframe>",
        b"<base href=//evil.example/>",
        b"<meta http-equiv=refresh content=0;url=//evil.example>",
        b"<!--",
        b"]]><style>*{background:url(//evil.example)}</style>",
    ];
    let mut log = Vec::new();
    for (i, e) in evil.iter().enumerate() {
        // The user field may not hold a blank in the combined format; the path and agent may.
        let user: Vec<u8> = e
            .iter()
            .map(|&b| if b == b' ' { b'_' } else { b })
            .collect();
        let path: Vec<u8> = e
            .iter()
            .map(|&b| if b == b' ' { b'+' } else { b })
            .collect();
        log.extend_from_slice(format!("10.0.0.{i} - ").as_bytes());
        log.extend_from_slice(&user);
        log.extend_from_slice(b" [10/Oct/2024:13:55:36 +0000] \"GET /");
        log.extend_from_slice(&path);
        log.extend_from_slice(b" HTTP/1.1\" 200 12 \"");
        log.extend_from_slice(e);
        log.extend_from_slice(b"\" \"");
        log.extend_from_slice(e);
        log.extend_from_slice(b"\"\n");
    }
    log
}

#[test]
fn the_dom_table_equals_the_tsv_output_with_scripts_on_and_off() {
    if !require_tools(&["chromium", "python3"]) {
        return;
    }
    let dir = Dir::new("html-dom");
    let log = testdata("apache_access.log");
    let log = log.to_str().unwrap();
    let kjv = testdata("kjv.txt");
    let jobs: Vec<Vec<&str>> = vec![
        vec![
            "fields", "--format", "combined", "--by", "status", "--count", "--sum", "bytes", log,
        ],
        vec!["words", "--top", "50", kjv.to_str().unwrap()],
        vec!["match", "\" (\\d{3}) (\\d+|-)", "--top", "40", log],
    ];
    let server = Server::start(&dir);
    for (i, args) in jobs.iter().enumerate() {
        let name = format!("report-{i}.html");
        let html = page(&dir, &[&args[..], &["--output-format", "html"]].concat());
        std::fs::write(dir.path(&name), &html).unwrap();
        let tsv = page(&dir, &[&args[..], &["--header"]].concat());
        let script = report_script(&html);
        for scripts in [true, false] {
            let (dom, log) = chromium_dom(&dir, &server.url(&name), scripts);
            let parsed = parse_dom(&dom);
            assert_rows_match_tsv(&parsed, &tsv);
            assert_only_report_markup(&parsed, &script);
            if scripts {
                no_csp_violation(&log);
            }
            // The script ran (and so was allowed by its hash) exactly when scripts are on.
            let sortable = parsed
                .elements
                .iter()
                .any(|(t, a)| t == "th" && a.iter().any(|(k, _)| k == "aria-sort"));
            assert_eq!(sortable, scripts, "{args:?}");
        }
    }
    let mut requests = server.requests();
    requests.sort();
    assert_eq!(
        requests,
        vec![
            "/report-0.html",
            "/report-0.html?noscript",
            "/report-1.html",
            "/report-1.html?noscript",
            "/report-2.html",
            "/report-2.html?noscript"
        ]
    );
}

#[test]
fn hostile_log_contents_never_become_markup_or_requests() {
    if !require_tools(&["chromium", "python3"]) {
        return;
    }
    let dir = Dir::new("html-hostile");
    let name = "<img src=x onerror=alert(1)>\u{2028}.log";
    std::fs::write(dir.path(name), hostile_log()).unwrap();
    let jobs: Vec<Vec<&str>> = vec![
        vec![
            "fields", "--format", "combined", "--by", "user", "--by", "path", "--by", "agent", name,
        ],
        vec![
            "match",
            r#""GET (?P<path>\S*) HTTP/1.1" \d+ \d+ "(?P<ref>[^"]*)""#,
            name,
        ],
        vec!["words", name],
        vec!["lines", name],
        vec!["grep", "--by-file", "-F", "<", name],
        // The example columns carry the hostile file name and lines.
        vec![
            "match",
            r#""GET (?P<path>\S*) HTTP"#,
            "--example-text",
            name,
        ],
        vec!["grep", "--by-file", "-F", "<", "--example-text", name],
    ];
    let server = Server::start(&dir);
    for (i, args) in jobs.iter().enumerate() {
        let (_, dom, _) = load_checked(&dir, &server, &format!("hostile-{i}.html"), args);
        let text = String::from_utf8_lossy(&dom);
        assert!(!text.contains("<img"), "{args:?}: {text}");
        assert!(!text.contains("<svg"), "{args:?}: {text}");
        assert!(!text.contains("<iframe"), "{args:?}: {text}");
    }
    let requests = server.requests();
    assert_eq!(requests.len(), jobs.len(), "requests: {requests:?}");
    assert!(
        requests.iter().all(|r| r.starts_with("/hostile-")),
        "{requests:?}"
    );
}

#[test]
fn the_request_and_csp_checks_see_a_page_that_misbehaves() {
    // The checks above would pass vacuously if the browser's log or the server's did not show
    // what they look for: this page does load an image and run a script, and both are seen.
    if !require_tools(&["chromium", "python3"]) {
        return;
    }
    let dir = Dir::new("html-canary");
    dir.create(
        "bad.html",
        "<!DOCTYPE html><html><body><img src=\"x.png\"><script>document.title='ran'</script>\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'\">\
         <img src=\"y.png\"></body></html>",
    );
    let server = Server::start(&dir);
    let (_, log) = chromium_dom(&dir, &server.url("bad.html"), true);
    let requests = server.requests();
    assert!(requests.contains(&"/x.png".to_string()), "{requests:?}");
    assert!(log.contains("Content Security Policy"), "{log}");
}

#[test]
fn a_report_is_byte_identical_across_runs_threads_and_chunk_sizes() {
    let dir = Dir::new("html-determinism");
    let log = testdata("apache_access.log");
    let log = log.to_str().unwrap();
    let args = [
        "fields",
        "--format",
        "combined",
        "--by",
        "path",
        "--count",
        "--sum",
        "bytes",
        "--output-format",
        "html",
        "--top",
        "200",
        log,
    ];
    let first = page(&dir, &[&args[..], &["-j1"]].concat());
    for extra in [
        &["-j1"][..],
        &["-j2"],
        &["-j2", "--chunk-size", "64K"],
        &["-j1"],
    ] {
        let again = page(&dir, &[&args[..], extra].concat());
        assert!(first == again, "{extra:?} changed the page");
    }
    let text = String::from_utf8(first).unwrap();
    assert!(text.contains("left out (--top 200)"), "{text}");
    assert_eq!(text.matches("<tr>").count(), 201);
}

#[test]
fn a_report_names_the_run_inputs_bad_records_and_rejects() {
    let dir = Dir::new("html-facts");
    dir.create(
        "a.log",
        "1.2.3.4 - - [10/Oct/2024:13:55:36 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"ua\"\n\
         not a log line\n",
    );
    let html = page(
        &dir,
        &[
            "fields",
            "--format",
            "combined",
            "--by",
            "status",
            "--rejects",
            "bad.txt",
            "--output-format",
            "html",
            "a.log",
        ],
    );
    let text = String::from_utf8(html).unwrap();
    assert!(
        text.contains(
            "<h1>logmill fields --format combined --by status --rejects bad.txt \
                       --output-format html a.log</h1>"
        ),
        "{text}"
    );
    assert!(
        text.contains("<li><code>a.log</code> <span class=\"n\">88 bytes</span></li>"),
        "{text}"
    );
    assert!(
        text.contains("<li><span class=\"n\">1</span> not in combined format</li>"),
        "{text}"
    );
    assert!(
        text.contains("<dt>Rejects</dt><dd>listed in <code>bad.txt</code></dd>"),
        "{text}"
    );
    assert!(!text.contains("href"), "no link: {text}");
    assert!(Path::new(&dir.path("bad.txt")).exists());
}

#[test]
fn invalid_utf8_warns_as_json_does() {
    let (out, code, err) =
        run_logmill(&["words", "--output-format", "html"], Some(b"caf\xe9 ok\n"));
    assert_eq!(code, 0);
    let text = String::from_utf8(out).expect("the page is UTF-8");
    assert!(text.contains(">caf\u{fffd}<"), "{text}");
    assert!(
        err.contains(
            "1 value was not valid UTF-8; the HTML report shows each invalid byte \
                      sequence as U+FFFD"
        ),
        "{err}"
    );
}

#[test]
fn html_goes_to_an_atomic_output_file() {
    let dir = Dir::new("html-output");
    let out = dir
        .command()
        .args(["words", "--output-format", "html", "-o", "r.html", "-"])
        .write_stdin("b a a\n")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(dir.read("r.html")).unwrap();
    assert!(text.starts_with("<!DOCTYPE html>"));
    assert!(
        text.contains("<tr><td class=\"k\">a</td><td class=\"n\">2</td></tr>"),
        "{text}"
    );
    assert_eq!(entries(dir.root()), vec!["r.html"]);
}
