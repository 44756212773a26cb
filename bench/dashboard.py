#!/usr/bin/env python3
"""Dashboard benchmark: Spendboard (release build) against the sandbox with 10,000 customers.

Starts both on free loopback ports, signs in as the demo reader, times the first partner-wide
refresh, then times dashboard pages (first page, a deep page, a search, each sort) over
repeated requests and reports median and 95th percentile latencies, plus Spendboard's peak
RSS. Run from the repository root after `cargo build --release --bins`:

    python3 bench/dashboard.py [--customers 10000] [--repeat 50]
"""
import argparse
import re
import sys
import time

from common import rss_kib, serve, signed_in, timed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()

    serve(["--customers", str(args.customers)], lambda app, pid: run(app, pid, args))


def run(app, pid, args):
    get = signed_in(app)

    started = time.perf_counter()
    get("/")
    while True:
        page = get("/refresh").read().decode()
        if "Data refreshed" in page:
            break
        if "The refresh failed" in page:
            sys.exit("the refresh failed:\n" + re.sub(r"<[^>]+>", " ", page))
        time.sleep(0.2)
    refresh_s = time.perf_counter() - started
    print(f"customers: {args.customers}")
    print(f"first partner-wide refresh (customer list + usage records + store): {refresh_s:.2f} s")

    cases = {
        "first page, by name": "/",
        "page 100, by spend desc": "/?sort=spend&dir=desc&page=100",
        "search 'gmbh'": "/?q=gmbh",
        "status over budget, by % used": "/?status=over&sort=percent&dir=desc",
        "by data age": "/?sort=age",
    }
    print(f"dashboard latency over {args.repeat} requests each (ms):")
    print(f"  {'case':34} {'median':>7} {'p95':>7}")
    for name, path in cases.items():
        median, p95, _ = timed(get, path, args.repeat, lambda body: b"matching customers" in body)
        print(f"  {name:34} {median:7.1f} {p95:7.1f}")
    print(f"Spendboard peak RSS: {rss_kib(pid) / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
