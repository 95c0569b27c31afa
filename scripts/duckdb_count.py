#!/usr/bin/env python3
"""Count regex captures per line with DuckDB: the SQL peer of `logmill match` in benches/peers.sh.

    duckdb_count.py FILE PATTERN            key<TAB>count for capture group 1 of PATTERN
    duckdb_count.py --lines FILE            how many lines DuckDB reads (to check it parses all)
    duckdb_count.py --status-bytes FILE     status<TAB>lines<TAB>sum of bytes, per status code of
                                            the lines in combined log format (the SQL peer of
                                            `logmill fields --format combined --by status
                                            --count --sum bytes`; a `-` size adds nothing)

Each line is read whole as one VARCHAR column (delimiter \\x01, no quoting, no escaping, no
header), so nothing in the line is interpreted. Lines where PATTERN does not match are not
counted; where it matches, the first match's group 1 is the key, as in `logmill match`.
DuckDB's regexes are RE2, whose syntax agrees with Rust's regex crate for the patterns used.
Threads: DuckDB's default (all cores).
"""

import sys

import duckdb

COMBINED = r'^\S+ \S+ \S+ \[[^\]]+\] "[^"]*" (\d{3}) (\S+) "[^"]*" "[^"]*"$'


def source(path):
    """The read_csv call that yields every line of `path` as column `line`."""
    quoted = "'" + path.replace("'", "''") + "'"
    return (
        "read_csv(%s, columns={'line': 'VARCHAR'}, delim=E'\\x01', quote='', escape='', "
        "header=false, auto_detect=false, new_line='\\n')" % quoted
    )


def main():
    args = sys.argv[1:]
    con = duckdb.connect()
    out = sys.stdout
    if len(args) == 2 and args[0] == "--lines":
        (n,) = con.execute("SELECT count(*) FROM %s" % source(args[1])).fetchone()
        out.write("%d\n" % n)
        return
    if len(args) == 2 and args[0] == "--status-bytes":
        rows = con.execute(
            "SELECT s, count(*) AS n, coalesce(sum(TRY_CAST(b AS HUGEINT)), 0) FROM "
            "(SELECT regexp_extract(line, $1, 1) AS s, regexp_extract(line, $1, 2) AS b "
            "FROM %s WHERE regexp_matches(line, $1)) GROUP BY s ORDER BY n DESC, s"
            % source(args[1]),
            [COMBINED],
        ).fetchall()
        out.write("".join("%s\t%d\t%d\n" % r for r in rows))
        return
    if len(args) != 2:
        sys.exit(__doc__.strip().split("\n\n")[1])
    path, pattern = args
    rows = con.execute(
        "SELECT regexp_extract(line, $1, 1) AS k, count(*) AS n FROM %s "
        "WHERE regexp_matches(line, $1) GROUP BY k ORDER BY n DESC, k" % source(path),
        [pattern],
    ).fetchall()
    out.write("".join("%s\t%d\n" % (k, n) for k, n in rows))


if __name__ == "__main__":
    main()
