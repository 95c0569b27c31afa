#!/usr/bin/env python3
"""Records of a Java application log that contain "Exception", counted the obvious way in Python.

    java_records.py app.log        prints the number of matching records

Each log line is joined with its continuation lines (stack frames, `Caused by:` blocks): a record
starts at a line beginning with a log4j date (`2026-11-29 00:00:00,003 ...`), the lines before
the first such line form a record of their own. Then each joined record is searched. The Python
peer of `logmill grep --records java Exception` in benches/records.sh.
"""

import re
import sys

START = re.compile(rb"\d{4}-\d\d-\d\d ")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__.strip().split("\n\n")[1])
    n = 0
    record = []
    with open(sys.argv[1], "rb") as f:
        for line in f:
            if START.match(line) and record:
                n += b"Exception" in b"".join(record)
                record = []
            record.append(line)
    if record:
        n += b"Exception" in b"".join(record)
    print(n)


if __name__ == "__main__":
    main()
