#!/usr/bin/env python3
"""Dashboard benchmark: Spendboard (release build) against the sandbox with 10,000 customers.

Starts both on free loopback ports, signs in as the demo reader, times the first partner-wide
refresh, then times dashboard pages (first page, a deep page, a search, each sort) over
repeated requests and reports median and 95th percentile latencies, plus Spendboard's peak
RSS. Run from the repository root after `cargo build --release --bins`:

    python3 bench/dashboard.py [--customers 10000] [--repeat 50]
"""
import argparse
import base64
import http.cookiejar
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

from common import CLIENT_ID, TENANT, NoRedirect, free_port, wait_for

def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()

    sandbox_port, app_port = free_port(), free_port()
    app = f"http://localhost:{app_port}"
    tmp = tempfile.mkdtemp(prefix="spendboard-bench-")
    sandbox = subprocess.Popen(
        ["target/release/partner-center-sandbox", "--bind", f"127.0.0.1:{sandbox_port}",
         "--customers", str(args.customers), "--redirect-uri", f"{app}/auth/callback"],
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
        times = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            response = get(path)
            body = response.read()
            times.append((time.perf_counter() - t) * 1000)
            assert response.status == 200 and b"matching customers" in body, (path, response.status)
        times.sort()
        print(f"  {name:34} {statistics.median(times):7.1f} {times[int(len(times) * 0.95) - 1]:7.1f}")
    print(f"Spendboard peak RSS: {rss_kib(pid) / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
