#!/bin/sh
# Remakes docs/report.png, the README's picture of an HTML report: the bundled access log,
# status per hour, rendered by headless Chromium. Run from the repository root after
# `cargo build`.
set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
./target/debug/logmill fields --format combined --by status --per 1h --tz UTC \
  --output-format html -o "$tmp/report.html" testdata/apache_access.log 2>/dev/null
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
  --user-data-dir="$tmp/profile" --window-size=1000,640 \
  --screenshot="$tmp/report.png" "file://$tmp/report.html" 2>/dev/null
cp "$tmp/report.png" docs/report.png
