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
import base64
import http.cookiejar
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

from common import CLIENT_ID, TENANT, NoRedirect, free_port, wait_for

CURRENCIES = ["EUR", "GBP", "JPY", "SEK", "USD"]


def rss_kib(pid, field="VmHWM:"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1])
    return 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--meters", type=int, default=50000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()

    sandbox_port, app_port = free_port(), free_port()
    app = f"http://localhost:{app_port}"
    tmp = tempfile.mkdtemp(prefix="spendboard-bench-")
    sandbox = subprocess.Popen(
        ["target/release/partner-center-sandbox", "--bind", f"127.0.0.1:{sandbox_port}",
         "--customers", "60", "--meters", str(args.meters),
         "--redirect-uri", f"{app}/auth/callback"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    env = dict(os.environ,
               RUST_LOG="warn",
               SPENDBOARD_SERVER__PORT=str(app_port),
               SPENDBOARD_DATABASE__URL=f"sqlite://{tmp}/bench.db?mode=rwc",
               SPENDBOARD_IDENTITY__AUTHORITY=f"http://127.0.0.1:{sandbox_port}/{TENANT}/v2.0",
               SPENDBOARD_IDENTITY__TENANT_ID=TENANT,
               SPENDBOARD_IDENTITY__CLIENT_ID=CLIENT_ID,
               SPENDBOARD_IDENTITY__CLIENT_SECRET="sandbox-demo-secret",
               SPENDBOARD_PARTNER_CENTER__BASE_URL=f"http://127.0.0.1:{sandbox_port}",
               SPENDBOARD_SECURITY__SECRET_KEY=base64.b64encode(os.urandom(48)).decode())
    try:
        wait_for(f"http://127.0.0.1:{sandbox_port}/{TENANT}/v2.0/.well-known/openid-configuration")
        server = subprocess.Popen(["target/release/spendboard", "serve"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for(f"{app}/health")
            run(app, server.pid, args)
        finally:
            server.terminate()
            server.wait()
    finally:
        sandbox.terminate()
        sandbox.wait()


def run(app, pid, args):
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(NoRedirect, urllib.request.HTTPCookieProcessor(jar))

    def get(path):
        try:
            return browser.open(app + path)
        except urllib.error.HTTPError as e:
            return e

    authorize = get("/auth/start").headers["Location"]
    url = urllib.parse.urlsplit(authorize)
    form = dict(urllib.parse.parse_qsl(url.query), login="megan@northwindcsp.onmicrosoft.com")
    post = urllib.request.build_opener(NoRedirect)
    try:
        post.open(urllib.parse.urlunsplit(url._replace(query="")), urllib.parse.urlencode(form).encode())
        sys.exit("the sandbox did not redirect back")
    except urllib.error.HTTPError as e:
        callback = e.headers["Location"]
    get(callback.replace(app, ""))
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
        times = []
        size = 0
        for _ in range(args.repeat):
            t = time.perf_counter()
            response = get(path)
            body = response.read()
            times.append((time.perf_counter() - t) * 1000)
            size = len(body)
            assert response.status == 200, (path, response.status)
        times.sort()
        print(f"  {name:28} {statistics.median(times):7.1f} {times[int(len(times) * 0.95) - 1]:7.1f} {size:9}")
    print(f"Spendboard peak RSS at the end: {rss_kib(pid) / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
