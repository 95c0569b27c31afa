#!/usr/bin/env python3
"""Turn a hyperfine --export-json file (plus measured peak RSS) into a markdown table.

    bench_table.py RESULTS.json [RSS.tsv] [--baseline NAME]

RSS.tsv holds `name<TAB>kilobytes` lines (from `/usr/bin/time -f %M`, one run per command).
Columns: median wall seconds, min-max, runs, the median relative to the baseline (the first
command unless --baseline names another; "2.50x" means 2.5 times the baseline's time), mean
CPU seconds (user + system, all threads; steadier than wall time on a loaded machine) and peak
RSS.
"""

import json
import sys


def main():
    args = sys.argv[1:]
    baseline = None
    if "--baseline" in args:
        i = args.index("--baseline")
        baseline = args[i + 1]
        del args[i : i + 2]
    if not 1 <= len(args) <= 2:
        sys.exit(__doc__.strip().split("\n\n")[1])
    with open(args[0]) as f:
        results = json.load(f)["results"]
    rss = {}
    if len(args) == 2:
        with open(args[1]) as f:
            for line in f:
                name, _, kb = line.rstrip("\n").rpartition("\t")
                if name:
                    rss[name] = kb
    base = next((r for r in results if r["command"] == baseline), results[0])
    out = [
        "| command | median (s) | min-max (s) | runs | vs %s | CPU (s) | peak RSS (MiB) |"
        % base["command"].replace("|", "\\|"),
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        kb = rss.get(r["command"], "")
        mib = "%.1f" % (int(kb) / 1024) if kb.isdigit() else "n/a"
        out.append(
            "| `%s` | %.3f | %.3f-%.3f | %d | %.2fx | %.2f | %s |"
            % (
                r["command"].replace("|", "\\|"),
                r["median"],
                r["min"],
                r["max"],
                len(r["times"]),
                r["median"] / base["median"],
                r["user"] + r["system"],
                mib,
            )
        )
    print("\n".join(out))


if __name__ == "__main__":
    main()
