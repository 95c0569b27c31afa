# Requests per hour of an Apache/nginx access log, bucketed with gawk's mktime and strftime:
# the gawk peer of `logmill grep PATTERN --per 1h --tz UTC` and `logmill fields --format
# combined --by status --per 1h --tz UTC` in benches/time.sh.
#
#   gawk -v literal='" 404 ' -f per_hour.awk access.log    lines holding the literal, per hour
#   gawk -v by=status -f per_hour.awk access.log            lines per hour and status code
#
# Prints `bucket<TAB>[status<TAB>]count` lines (unordered), the bucket as logmill prints it in
# UTC: 2015-05-17T10:00:00+00:00. The time is `[17/May/2015:10:05:03 +0000]`: parsed with
# mktime (UTC), its offset applied, truncated to the hour and formatted with strftime. With
# by=status, only lines of the combined format count (as logmill's preset leaves out the rest).
BEGIN {
    split("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec", names, " ")
    for (i = 1; i <= 12; i++)
        month[names[i]] = i
    combined = "^[^ ]+ [^ ]+ [^ ]+ \\[[^]]+\\] \"[^\"]*\" [0-9][0-9][0-9] [^ ]+ \"[^\"]*\" \"[^\"]*\"$"
}
literal != "" && !index($0, literal) { next }
by == "status" && $0 !~ combined { next }
match($0, /\[[0-9][0-9]\/[A-Z][a-z][a-z]\/[0-9][0-9][0-9][0-9]:[0-9][0-9]:[0-9][0-9]:[0-9][0-9] [-+][0-9][0-9][0-9][0-9]\]/) {
    ts = substr($0, RSTART + 1, RLENGTH - 2)
    t = mktime(substr(ts, 8, 4) " " month[substr(ts, 4, 3)] " " substr(ts, 1, 2) " " \
        substr(ts, 13, 2) " " substr(ts, 16, 2) " " substr(ts, 19, 2), 1)
    off = substr(ts, 23, 2) * 3600 + substr(ts, 25, 2) * 60
    t += substr(ts, 22, 1) == "+" ? -off : off
    key = strftime("%Y-%m-%dT%H:00:00+00:00", t - t % 3600, 1)
    if (by == "status") {
        match($0, /" [0-9][0-9][0-9] /)
        key = key "\t" substr($0, RSTART + 2, 3)
    }
    count[key]++
}
END {
    for (k in count)
        print k "\t" count[k]
}
