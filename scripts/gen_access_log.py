#!/usr/bin/env python3
"""Generate a large, deterministic Apache access log (combined format) seeded from a real one.

    gen_access_log.py --sample apache_logs --bytes 1000000000 --seed 42 [-o access1g.log]

The output is exactly --bytes bytes of ASCII lines (the last line's request is padded with a
query string to land on the size) and depends only on the sample, --bytes and --seed: the same
arguments give the same bytes on any machine and any Python 3 (only `random.random()` of the
seeded Mersenne Twister is used, whose stream Python keeps stable).

What it looks like:
- clients: ~200k addresses with Zipf-like popularity (rank r drawn with weight 1/r); the
  sample's own addresses take the top ranks in their sample order of frequency, ~3% of the
  synthetic ones are IPv6. Each client keeps one user agent, drawn from the sample's.
- requests: ~60% replay the sample's requests at their sample frequency, ~40% come from a pool
  of synthetic paths (images, blog posts, API calls, searches, static assets, scanners) drawn
  Zipf-like.
- status: 15 codes (200, 206, 301, 302, 304, 400, 401, 403, 404, 405, 416, 429, 500, 502, 503)
  with frequencies close to a real site's; bytes "-" for 304s and HEAD requests, the sample's
  size for its own requests, plausible sizes otherwise.
- referers from the sample (about half are "-"); timestamps rise from the sample's first one.
- about one line in 100k is malformed: cut short, an unterminated quote (as one sample line
  has), a TLS handshake logged as an escaped request, or junk.

Standard library only; writes in large batches, ~1 GB in well under a minute or two.
"""

import argparse
import bisect
import collections
import random
import re
import sys

LINE_RE = re.compile(
    r'^(\S+) (\S+) (\S+) \[([^\]]+)\] "([^"]*)" (\d{3}) (\S+) "([^"]*)" "([^"]*)"?$'
)

CLIENTS = 200_000
IPV6_SHARE = 0.03
SAMPLE_REQUEST_SHARE = 0.60
SYNTHETIC_REQUESTS = 100_000
MALFORMED_RATE = 1e-5
# The sample starts on 17/May/2015:10:05:03 +0000; ~4M lines spread over about four days.
START_EPOCH = 1431857103
SECOND_STEP_PROBABILITY = 0.08
# Every written line leaves at least this much room for the final, padded line.
FINAL_ROOM = 400

STATUSES = [
    # (code, weight per 10,000 lines)
    ("200", 8790),
    ("304", 440),
    ("404", 230),
    ("301", 160),
    ("302", 140),
    ("206", 50),
    ("403", 40),
    ("400", 30),
    ("500", 30),
    ("401", 20),
    ("503", 20),
    ("502", 15),
    ("429", 15),
    ("405", 10),
    ("416", 10),
]

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def cumulative(weights):
    """Running totals of `weights`, for `bisect` sampling."""
    out, total = [], 0.0
    for w in weights:
        total += w
        out.append(total)
    return out


def zipf_cumulative(n, s=1.0):
    """Cumulative weights 1/r^s for ranks 1..n."""
    return cumulative(1.0 / (r**s) for r in range(1, n + 1))


def timestamp(epoch):
    """Apache's `%d/%b/%Y:%H:%M:%S +0000`, computed by hand (no locale, no time zone)."""
    days, secs = divmod(epoch, 86400)
    # Civil-from-days (Howard Hinnant's algorithm), valid for any day count here.
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    year = yoe + era * 400 + (1 if month <= 2 else 0)
    h, rem = divmod(secs, 3600)
    m, s = divmod(rem, 60)
    return "%02d/%s/%04d:%02d:%02d:%02d +0000" % (day, MONTHS[month - 1], year, h, m, s)


def read_sample(path):
    """The sample's parsed lines: (client, request, status, bytes, referer, agent)."""
    rows = []
    with open(path, encoding="ascii", errors="replace", newline="\n") as f:
        for line in f:
            m = LINE_RE.match(line.rstrip("\n"))
            if m:
                rows.append((m.group(1), m.group(5), m.group(6), m.group(7), m.group(8), m.group(9)))
    if not rows:
        sys.exit("gen_access_log: no combined-format lines in %s" % path)
    return rows


def make_clients(rng, sample_rows):
    """CLIENTS distinct addresses, most popular first: the sample's, then synthetic ones."""
    freq = collections.Counter(r[0] for r in sample_rows)
    clients = sorted(freq, key=lambda a: (-freq[a], a))
    seen = set(clients)
    rnd = rng.random
    while len(clients) < CLIENTS:
        if rnd() < IPV6_SHARE:
            prefix = ("2a01", "2a02", "2001", "2600", "2604", "2a03", "2406")[int(rnd() * 7)]
            groups = [prefix] + ["%x" % int(rnd() * 65536) for _ in range(3)]
            if rnd() < 0.5:
                addr = ":".join(groups) + "::" + "%x" % int(rnd() * 65536)
            else:
                groups += ["%x" % int(rnd() * 65536) for _ in range(4)]
                addr = ":".join(groups)
        else:
            first = 1 + int(rnd() * 222)
            if first in (10, 127):
                continue
            addr = "%d.%d.%d.%d" % (first, int(rnd() * 256), int(rnd() * 256), 1 + int(rnd() * 254))
        if addr not in seen:
            seen.add(addr)
            clients.append(addr)
    return clients


def make_synthetic_requests(rng, sample_rows):
    """A pool of synthetic requests, each with a typical response size."""
    words = sorted(
        {
            w
            for r in sample_rows
            for w in re.split(r"[^a-z0-9]+", r[1].split(" ")[1 if " " in r[1] else 0].lower())
            if 3 <= len(w) <= 12 and not w.isdigit()
        }
    )
    rnd = rng.random

    def word():
        return words[int(rnd() * len(words))]

    pool = []
    while len(pool) < SYNTHETIC_REQUESTS:
        kind = rnd()
        proto = "HTTP/1.0" if rnd() < 0.05 else "HTTP/1.1"
        if kind < 0.25:
            ext = ("jpg", "png", "gif", "webp")[int(rnd() * 4)]
            path = "/images/%s-%d.%s" % (word(), int(rnd() * 5000), ext)
            size = 2000 + int(rnd() * rnd() * 400000)
        elif kind < 0.45:
            path = "/blog/%d/%02d/%s-%s.html" % (
                2008 + int(rnd() * 8),
                1 + int(rnd() * 12),
                word(),
                word(),
            )
            size = 8000 + int(rnd() * 40000)
        elif kind < 0.60:
            path = "/articles/%s?page=%d" % (word(), 1 + int(rnd() * 20))
            size = 5000 + int(rnd() * 30000)
        elif kind < 0.75:
            path = "/api/v1/%s/%d" % (word(), int(rnd() * 100000))
            size = 100 + int(rnd() * 4000)
        elif kind < 0.85:
            path = "/search?q=%s+%s" % (word(), word())
            size = 3000 + int(rnd() * 20000)
        elif kind < 0.95:
            path = "/static/%s/%s.%08x.%s" % (
                ("js", "css")[int(rnd() * 2)],
                word(),
                int(rnd() * 2**32),
                ("js", "css", "map")[int(rnd() * 3)],
            )
            size = 1000 + int(rnd() * 200000)
        else:
            path = (
                "/wp-login.php",
                "/xmlrpc.php",
                "/.env",
                "/admin/config.php",
                "/phpmyadmin/index.php",
                "/cgi-bin/test.cgi",
            )[int(rnd() * 6)] + ("?id=%d" % int(rnd() * 1000) if rnd() < 0.5 else "")
            size = 200 + int(rnd() * 800)
        method = "GET"
        m = rnd()
        if m < 0.03:
            method = "HEAD"
        elif m < 0.06:
            method = "POST"
        pool.append(("%s %s %s" % (method, path, proto), method == "HEAD", size))
    return pool


def generate(sample_path, total_bytes, seed, out):
    rng = random.Random(seed)
    rnd = rng.random
    sample_rows = read_sample(sample_path)

    clients = make_clients(rng, sample_rows)
    client_cw = zipf_cumulative(len(clients))
    client_total = client_cw[-1]
    agents = [r[5] for r in sample_rows]
    client_agent = [agents[int(rnd() * len(agents))] for _ in clients]
    referers = [r[4] for r in sample_rows]
    n_referers = len(referers)

    # Sample requests at their sample frequency, with the sample's response size (or "-").
    sample_requests = []
    for r in sample_rows:
        request, size = r[1], r[3]
        head = request.startswith("HEAD ")
        sample_requests.append((request, head, None if size == "-" else int(size)))
    n_sample_requests = len(sample_requests)
    synthetic = make_synthetic_requests(rng, sample_rows)
    synthetic_cw = zipf_cumulative(len(synthetic), 0.9)
    synthetic_total = synthetic_cw[-1]

    status_codes = [c for c, _ in STATUSES]
    status_cw = cumulative(w for _, w in STATUSES)
    status_total = status_cw[-1]

    bisect_right = bisect.bisect_right
    epoch = START_EPOCH
    stamp = timestamp(epoch)

    def line():
        """One well-formed line (advances the clock)."""
        nonlocal epoch, stamp
        if rnd() < SECOND_STEP_PROBABILITY:
            epoch += 1
            stamp = timestamp(epoch)
        ci = bisect_right(client_cw, rnd() * client_total)
        if rnd() < SAMPLE_REQUEST_SHARE:
            request, head, size = sample_requests[int(rnd() * n_sample_requests)]
        else:
            request, head, size = synthetic[bisect_right(synthetic_cw, rnd() * synthetic_total)]
        status = status_codes[bisect_right(status_cw, rnd() * status_total)]
        if head or status == "304" or size is None:
            nbytes = "-"
        elif status == "200":
            nbytes = str(size)
        elif status == "206":
            nbytes = str(1 + int(size * rnd()))
        elif status in ("301", "302"):
            nbytes = str(180 + int(rnd() * 150))
        else:
            nbytes = str(200 + int(rnd() * 1000))
        return '%s - - [%s] "%s" %s %s "%s" "%s"\n' % (
            clients[ci],
            stamp,
            request,
            status,
            nbytes,
            referers[int(rnd() * n_referers)],
            client_agent[ci],
        )

    def malformed():
        """A broken line of one of four kinds."""
        kind = int(rnd() * 4)
        good = line().rstrip("\n")
        if kind == 0:  # cut short, as by a crashed writer
            return good[: 10 + int(rnd() * (len(good) - 20))] + "\n"
        if kind == 1:  # unterminated user-agent quote
            return good[:-1] + "\n"
        if kind == 2:  # a TLS handshake sent to the HTTP port, escaped as Apache logs it
            hello = "".join("\\x%02x" % int(rnd() * 256) for _ in range(8 + int(rnd() * 24)))
            return '%s - - [%s] "%s" 400 226 "-" "-"\n' % (good.split(" ", 1)[0], stamp, hello)
        junk = "".join(chr(33 + int(rnd() * 94)) for _ in range(20 + int(rnd() * 100)))
        return junk + "\n"

    written = 0
    batch = []
    batch_bytes = 0
    flush_at = 8 << 20
    while True:
        text = malformed() if rnd() < MALFORMED_RATE else line()
        if written + batch_bytes + len(text) + FINAL_ROOM > total_bytes:
            break
        batch.append(text)
        batch_bytes += len(text)
        if batch_bytes >= flush_at:
            out.write("".join(batch).encode("ascii"))
            written += batch_bytes
            batch = []
            batch_bytes = 0
    out.write("".join(batch).encode("ascii"))
    written += batch_bytes

    # The last line: a short well-formed record whose path is padded with a query string to
    # end exactly at `total_bytes`.
    remaining = total_bytes - written
    head = '%s - - [%s] "GET /last' % (clients[0], stamp)
    tail = ' HTTP/1.1" 200 %d "-" "%s"\n' % (1000 + int(rnd() * 9000), "logmill-gen/1.0")
    pad = remaining - len(head) - len(tail)
    assert pad >= 0, "final line does not fit"
    query = "" if pad == 0 else "?" + "x" * (pad - 1)
    last = head + query + tail
    assert len(last) == remaining
    out.write(last.encode("ascii"))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sample", required=True, help="a real combined-format access log")
    p.add_argument("--bytes", type=int, required=True, help="exact size of the output")
    p.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    p.add_argument("-o", "--output", help="output file (default: stdout)")
    args = p.parse_args()
    if args.bytes < 1000:
        p.error("--bytes must be at least 1000")
    if args.output:
        with open(args.output, "wb", buffering=1 << 20) as out:
            generate(args.sample, args.bytes, args.seed, out)
    else:
        try:
            generate(args.sample, args.bytes, args.seed, sys.stdout.buffer)
            sys.stdout.buffer.flush()
        except BrokenPipeError:
            # `gen_access_log.py ... | head`: the reader is done, which is not an error.
            sys.stderr.close()


if __name__ == "__main__":
    main()
