#!/usr/bin/env python3
"""Requests per hour of an access log with DuckDB: the SQL peer of benches/time.sh.

    duckdb_per_hour.py --literal '" 404 ' FILE    lines holding the literal, per hour
    duckdb_per_hour.py --by-status FILE           lines per hour and status code

Each line is read whole as one VARCHAR column (as scripts/duckdb_count.py does); the time is
`date_trunc('hour', strptime(time_field, '%d/%b/%Y:%H:%M:%S %z'))` in the session zone UTC,
the time field being the text between the first `[` and `]`. With --by-status only lines of
the combined format count, the status being the field after the quoted request. Prints
`bucket<TAB>[status<TAB>]count` lines, the bucket as logmill prints it with --tz UTC
(2015-05-17T10:00:00+00:00). Threads: DuckDB's default (all cores).
"""

import sys

import duckdb

COMBINED = r'^\S+ \S+ \S+ \[([^\]]+)\] "[^"]*" (\d{3}) \S+ "[^"]*" "[^"]*"$'


def source(path):
    """The read_csv call that yields every line of `path` as column `line`."""
    quoted = "'" + path.replace("'", "''") + "'"
    return (
        "read_csv(%s, columns={'line': 'VARCHAR'}, delim=E'\\x01', quote='', escape='', "
        "header=false, auto_detect=false, new_line='\\n')" % quoted
    )


def main():
    args = sys.argv[1:]
    if len(args) == 3 and args[0] == "--literal":
        literal, path = args[1], args[2]
        by_status = False
    elif len(args) == 2 and args[0] == "--by-status":
        literal, path = None, args[1]
        by_status = True
    else:
        sys.exit(__doc__.strip().split("\n\n")[1])
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    bucket = (
        "strftime(date_trunc('hour', strptime(%s, '%%d/%%b/%%Y:%%H:%%M:%%S %%z'))::TIMESTAMP, "
        "'%%Y-%%m-%%dT%%H:00:00+00:00')"
    )
    if by_status:
        sql = (
            "SELECT %s AS h, regexp_extract(line, $1, 2) AS s, count(*) AS n FROM %s "
            "WHERE regexp_matches(line, $1) GROUP BY h, s ORDER BY h, s"
            % (bucket % "regexp_extract(line, $1, 1)", source(path))
        )
        rows = con.execute(sql, [COMBINED]).fetchall()
    else:
        sql = (
            "SELECT %s AS h, count(*) AS n FROM %s "
            "WHERE contains(line, $1) AND regexp_matches(line, '\\[[^\\]]+\\]') "
            "GROUP BY h ORDER BY h"
            % (bucket % "regexp_extract(line, '\\[([^\\]]+)\\]', 1)", source(path))
        )
        rows = con.execute(sql, [literal]).fetchall()
    sys.stdout.write("".join("\t".join(str(v) for v in row) + "\n" for row in rows))


if __name__ == "__main__":
    main()
