# Records of a Java application log that contain "Exception", counted the obvious way: join each
# log line with its continuation lines (stack frames, `Caused by:` blocks), then test the joined
# record. The awk peer of `logmill grep --records java Exception` in benches/records.sh.
#
#   mawk -f java_records.awk app.log      prints the number of matching records
#
# A record starts at a line beginning with a log4j date (`2026-11-29 00:00:00,003 ...`); the
# lines before the first such line form a record of their own, as under --records java.
function flush() {
    if (started && index(rec, "Exception"))
        n++
}
/^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] / {
    flush()
    rec = $0
    started = 1
    next
}
{
    rec = started ? rec "\n" $0 : $0
    started = 1
}
END {
    flush()
    print n + 0
}
