"""Writes a small application log with Python's logging and exc_info tracebacks (chained with
`raise ... from` and raised while handling another exception). Regenerate: see README.md."""
import json
import logging
import sys

logging.basicConfig(
    stream=sys.stdout,
    level=logging.INFO,
    format="%(asctime)s %(levelname)s %(name)s: %(message)s",
)
log = logging.getLogger("shop.orders")


def parse(i):
    return int("x%d" % i)


def load(i):
    try:
        return {"a": 1}["k%d" % i]
    except KeyError as e:
        raise RuntimeError("no config for %d" % i) from e


def handle(i):
    try:
        parse(i)
    except ValueError:
        {}["missing"]


for i in range(40):
    log.info("order %d received", i)
    if i % 7 == 3:
        try:
            load(i)
        except RuntimeError:
            log.error("order %d rejected", i, exc_info=True)
    elif i % 11 == 5:
        try:
            handle(i)
        except KeyError:
            log.exception("cleanup of %d incomplete", i)
    elif i % 13 == 8:
        try:
            parse(i)
        except ValueError:
            log.warning("bad quantity in order %d", i, exc_info=True)
    elif i % 5 == 1:
        log.warning("order %d slow", i)
        log.info("order %d details: %s", i, json.dumps({"items": i}, indent=2))
