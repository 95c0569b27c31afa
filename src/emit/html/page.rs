//! The fixed parts of the HTML report: its style sheet, its one script (sorting a column), the
//! Content-Security-Policy that allows exactly those two by their SHA-256 hashes, and the
//! escaping of the data the script reads. Nothing here depends on the data except
//! [`script_json`], which makes any JSON value safe inside a `<script>` element.

use std::sync::OnceLock;

use base64::Engine as _;
use sha2::{Digest, Sha256};

/// The report's style sheet. Keys are monospace and cut with an ellipsis past the cell's width
/// (the full text stays in the DOM and in a `title` tooltip); numbers are right-aligned.
pub const STYLE: &str = "\
:root{color-scheme:light dark;--line:#8884;--muted:#777}\
body{font:15px/1.45 system-ui,-apple-system,\"Segoe UI\",sans-serif;margin:1.5rem auto;max-width:72rem;padding:0 1rem}\
h1{font-size:1.25rem;margin:0 0 .75rem;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow-wrap:anywhere}\
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:0 0 1rem}\
dl.facts dt{font-weight:600}dl.facts dd{margin:0}\
ul.inputs,ul.bad{margin:0;padding:0;list-style:none}\
code,.k{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.92em}\
table{border-collapse:collapse;width:100%;table-layout:auto}\
th,td{padding:.2rem .6rem;border-bottom:1px solid var(--line);vertical-align:top}\
th{text-align:left;position:sticky;top:0;background:Canvas;user-select:none}\
th.n,td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\
td.k{max-width:40rem;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}\
th[aria-sort]{cursor:pointer}th[aria-sort=ascending]::after{content:\" \\25B2\"}th[aria-sort=descending]::after{content:\" \\25BC\"}\
tbody tr:nth-child(even){background:#8881}\
tr.new>td:first-child{box-shadow:inset 4px 0 #59a14f}tr.gone>td:first-child{box-shadow:inset 4px 0 #e15759}\
tr.gone>td{color:var(--muted)}tr.new strong{color:#2f7d32}tr.gone strong{color:#c0392b}\
.note{color:var(--muted);margin:.75rem 0}\
figure.chart{margin:0 0 1rem}figure.chart svg{width:100%;height:auto;display:block}\
.axis{stroke:var(--muted);stroke-width:1}.lbl{fill:var(--muted);font-size:11px}\
ul.legend{display:flex;flex-wrap:wrap;gap:.2rem 1rem;margin:.3rem 0 0;padding:0;list-style:none}\
.sw{display:inline-block;width:.8em;height:.8em;margin-right:.3em;vertical-align:baseline}\
.s0{fill:#4e79a7;background:#4e79a7}.s1{fill:#f28e2b;background:#f28e2b}\
.s2{fill:#e15759;background:#e15759}.s3{fill:#76b7b2;background:#76b7b2}\
.s4{fill:#59a14f;background:#59a14f}.s5{fill:#edc948;background:#edc948}\
.s6{fill:#b07aa1;background:#b07aa1}.s7{fill:#9c9c9c;background:#9c9c9c}\
";

/// The report's one script: clicking (or Enter/Space on) a column header sorts the rows by
/// that column, numbers as numbers; ties keep the report's order. It reads the column kinds
/// from the `application/json` block, never from the table's text. The page is complete
/// without it.
pub const SCRIPT: &str = "\
(function(){\
var d=document.getElementById('logmill-columns'),t=document.getElementById('logmill-table');\
if(!d||!t||!t.tHead||!t.tBodies.length)return;\
var cols=JSON.parse(d.textContent).columns,b=t.tBodies[0],hs=t.tHead.rows[0].cells;\
var rows=Array.prototype.slice.call(b.rows),at=new Map();\
rows.forEach(function(r,i){at.set(r,i)});\
Array.prototype.forEach.call(hs,function(h,c){\
var dir=0,num=!!(cols[c]&&cols[c].numeric);\
h.tabIndex=0;h.setAttribute('aria-sort','none');\
function go(){\
dir=dir>0?-1:1;\
Array.prototype.forEach.call(hs,function(o){o.setAttribute('aria-sort','none')});\
h.setAttribute('aria-sort',dir>0?'ascending':'descending');\
rows.slice().sort(function(x,y){\
var a=x.cells[c]?x.cells[c].textContent:'',z=y.cells[c]?y.cells[c].textContent:'',r;\
if(num){r=(a===''?-Infinity:Number(a))-(z===''?-Infinity:Number(z));if(r!==r)r=0}\
else{r=a<z?-1:a>z?1:0}\
return r*dir||at.get(x)-at.get(y)}).forEach(function(r){b.appendChild(r)})}\
h.addEventListener('click',go);\
h.addEventListener('keydown',function(e){if(e.key==='Enter'||e.key===' '){e.preventDefault();go()}})})\
})();";

/// `'sha256-…'`: the CSP source expression allowing exactly `text` as an inline element.
pub fn csp_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// The Content-Security-Policy of every report: nothing may load (`default-src 'none'`: no
/// image, font, frame, connection or other script), the one style sheet and the one script
/// run by hash, and no `<base>` or form may point anywhere. A `<script>` or `style` attribute
/// that came from the data would have another hash and be blocked even if escaping failed.
pub fn csp() -> &'static str {
    static CSP: OnceLock<String> = OnceLock::new();
    CSP.get_or_init(|| {
        format!(
            "default-src 'none'; style-src {}; script-src {}; base-uri 'none'; form-action 'none'",
            csp_hash(STYLE),
            csp_hash(SCRIPT)
        )
    })
}

/// `value` as JSON text safe inside `<script type="application/json">`: `<`, `>` and `&` are
/// written as `\u003c`, `\u003e`, `\u0026` (so no `</script>` or `<!--` can end or change the
/// element), and U+2028 and U+2029 as `\u2028`, `\u2029` (line terminators in older
/// JavaScript). These characters only ever occur inside JSON strings, where the escapes mean
/// the same characters, so `JSON.parse` gives back the same value.
pub fn script_json(value: &serde_json::Value) -> String {
    let text = value.to_string();
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_json_cannot_close_the_element_and_parses_back() {
        let v = serde_json::json!({
            "name": "</script><script>alert(1)</script>&<!--\u{2028}\u{2029}\"'"
        });
        let s = script_json(&v);
        for bad in ["<", ">", "&", "\u{2028}", "\u{2029}"] {
            assert!(!s.contains(bad), "{s}");
        }
        let back: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back, v);
    }

    #[test]
    fn csp_allows_exactly_the_style_and_script_by_hash() {
        let p = csp();
        assert!(p.starts_with("default-src 'none';"));
        assert!(p.contains(&csp_hash(STYLE)));
        assert!(p.contains(&csp_hash(SCRIPT)));
        assert!(!p.contains("unsafe"));
        // A known vector: SHA-256 of "" in base64.
        assert_eq!(
            csp_hash(""),
            "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
        );
    }
}
