#!/usr/bin/env python3
"""Rate card benchmark: Spendboard (release build) reading the sandbox's Azure rate card of
50,000 meters for each currency its customers use, then searching it.

Starts the sandbox (`--meters N`) and Spendboard (SQLite) on free loopback ports, signs in as
the demo reader, opens the price explorer (which starts reading the rate cards), and times
until every currency's card is stored; reports Spendboard's peak RSS before and after, then
the latency of explorer searches and of a CSV export over repeated requests. Run from the
repository root after `cargo build --release --workspace --bins`:

    python3 bench/rate_card.py [--meters 50000] [--repeat 30]
"""
import argparse
import time

from common import rss_kib, serve, signed_in, timed

CURRENCIES = ["EUR", "GBP", "JPY", "SEK", "USD"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--meters", type=int, default=50000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()

    serve(["--customers", "60", "--meters", str(args.meters)], lambda app, pid: run(app, pid, args))


def run(app, pid, args):
    get = signed_in(app)
    get("/")
    while "Data refreshed" not in get("/refresh").read().decode():
        time.sleep(0.2)

    before = rss_kib(pid)
    started = time.perf_counter()
    get("/prices")
    for currency in CURRENCIES:
        while b'id="rate-card-date"' not in get(f"/prices?currency={currency}").read():
            time.sleep(0.1)
    load_s = time.perf_counter() - started
    after = rss_kib(pid)
    print(f"meters per rate card: {args.meters}, currencies: {len(CURRENCIES)}")
    print(f"all rate cards read and stored: {load_s:.2f} s ({load_s / len(CURRENCIES):.2f} s per card)")
    print(f"Spendboard peak RSS: {before / 1024:.0f} MiB before, {after / 1024:.0f} MiB after")

    cases = {
        "first page, no filter": "/prices?currency=EUR",
        "words 'd4s v5 west'": "/prices?currency=EUR&q=d4s+v5+west",
        "words 'data stored'": "/prices?currency=EUR&q=data+stored",
        "category + region": "/prices?currency=EUR&category=Storage&region=EU+North",
        "page 200": "/prices?currency=EUR&page=200",
        "only changed prices": "/prices?currency=EUR&changed=1",
        "CSV export, one category": "/prices.csv?currency=EUR&category=SQL+Database",
    }
    print(f"explorer latency over {args.repeat} requests each (ms):")
    print(f"  {'case':28} {'median':>7} {'p95':>7} {'bytes':>9}")
    for name, path in cases.items():
        median, p95, size = timed(get, path, args.repeat)
        print(f"  {name:28} {median:7.1f} {p95:7.1f} {size:9}")
    print(f"Spendboard peak RSS at the end: {rss_kib(pid) / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
