#!/usr/bin/env python3
"""Dashboard load benchmark: 64 concurrent connections with `wrk`, side by side
with Spendboard's own static stylesheet, on SQLite and PostgreSQL, and the scale curve.

For each database and each customer count it starts the release builds of the Partner Center
sandbox (its own process) and Spendboard (`serve`, sandbox endpoints configured, so not demo
mode's in-process sandbox) on free loopback ports, times start-up to the first answer, signs
in as the demo reader, times the first partner-wide refresh and counts the Partner Center
requests it made, opens one customer and one subscription page once (so their data is
cached), then runs `wrk -t2 -c64 -d<seconds>s --latency` with the session cookie against each
URL in turn, the stylesheet first, then `/health/live` with the cookie (the session read
alone: the floor of every signed-in request, since static files are served without the
session). It prints requests/s, p50, p99, errors and the ratio to the stylesheet's throughput
(the goal's measure) and to the session read's next to each target, Spendboard's peak resident memory and the
database size, and the machine's load (`uptime`) before and after, since the machine is
shared.

Run from the repository root after `cargo build --release --bins` (needs `wrk`, and for
PostgreSQL `psql` and a server at 127.0.0.1:5432, user postgres, trust auth; a database
`spendboard_bench_load_<pid>` is created and dropped):

    python3 bench/load.py                                  # 10,000 customers, both databases
    python3 bench/load.py --customers 10000,50000,100000   # the scale curve
"""
import argparse
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

from common import CLIENT_ID, TENANT, NoRedirect, free_port, wait_for

READER = "megan@northwindcsp.onmicrosoft.com"
PG = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-qAt"]

# (name, path, minimum share of the stylesheet's throughput, p99 limit in ms)
DEFAULT_VIEW = ("/ (default view)", "/", 1 / 3, 20)
SORTS = ["name", "spend", "budget", "percent", "projected", "crossing", "status", "currency", "age"]


def proc_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def settle(pid, seconds=60):
    """Waits until the server is idle (under 5% of a core for 0.5 s), so that requests a
    previous target left queued do not count against the next one."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        before = cpu_ticks(pid)
        time.sleep(0.5)
        if cpu_ticks(pid) - before <= 2:
            return


class RssSampler:
    """The highest resident memory (VmRSS) of `pid` seen while it runs (every 50 ms)."""

    def __init__(self, pid):
        self.pid, self.peak_kib, self.done = pid, 0, threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.done.wait(0.05):
            self.peak_kib = max(self.peak_kib, proc_kib(self.pid, "VmRSS"))

    def stop(self):
        self.done.set()
        self.thread.join()
        return self.peak_kib / 1024


def uptime():
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


class Browser:
    """A cookie-keeping client that does not follow redirects."""

    def __init__(self, base):
        self.base = base
        self.cookies = {}

    def open(self, path, data=None):
        url = path if path.startswith("http") else self.base + path
        request = urllib.request.Request(url, data=data)
        if self.cookies and url.startswith(self.base):
            request.add_header("Cookie", self.cookie_header())
        try:
            response = urllib.request.build_opener(NoRedirect).open(request, timeout=120)
        except urllib.error.HTTPError as e:
            response = e
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";")[0]
        return response

    def cookie_header(self):
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())


def sign_in(browser):
    authorize = browser.open("/auth/start").headers["Location"]
    url = urllib.parse.urlsplit(authorize)
    form = dict(urllib.parse.parse_qsl(url.query), login=READER)
    try:
        urllib.request.build_opener(NoRedirect).open(
            urllib.parse.urlunsplit(url._replace(query="")), urllib.parse.urlencode(form).encode())
        sys.exit("the sandbox did not redirect back")
    except urllib.error.HTTPError as e:
        callback = e.headers["Location"]
    browser.open(callback)


def wrk(url, cookie, seconds, connections):
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "2s", "--latency",
         "-H", f"Cookie: {cookie}", url],
        capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def percentile(p):
        m = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not m:
            return None
        return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]

    errors = 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        errors += sum(int(x) for x in m.groups())
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if m:
        errors += int(m.group(1))
    return {"rps": rps, "p50": percentile(50), "p99": percentile(99), "errors": errors}


def fmt_ms(v):
    return "-" if v is None else f"{v:.1f}"


def database_for(kind, tmp):
    if kind == "sqlite":
        path = f"{tmp}/bench.db"
        return f"sqlite://{path}?mode=rwc", lambda: sum(
            os.path.getsize(p) for p in (path, path + "-wal") if os.path.exists(p)), lambda: None
    name = f"spendboard_bench_load_{os.getpid()}"
    subprocess.run(PG + ["-c", f"drop database if exists {name}"], check=True)
    subprocess.run(PG + ["-c", f"create database {name}"], check=True)

    def size():
        return int(subprocess.run(PG + ["-c", f"select pg_database_size('{name}')"],
                                  capture_output=True, text=True, check=True).stdout.strip())

    def drop():
        subprocess.run(PG + ["-c", f"drop database if exists {name} with (force)"], check=True)

    return f"postgres://postgres@127.0.0.1:5432/{name}", size, drop


def run_one(kind, customers, args):
    print(f"\n=== {kind}, {customers:,} customers ===", flush=True)
    print(f"load before: {uptime()}")
    sandbox_port, app_port = free_port(), free_port()
    app = f"http://127.0.0.1:{app_port}"
    sandbox_url = f"http://127.0.0.1:{sandbox_port}"
    tmp = tempfile.mkdtemp(prefix="spendboard-load-")
    url, db_size, drop = database_for(kind, tmp)
    sandbox = subprocess.Popen(
        ["target/release/partner-center-sandbox", "--bind", f"127.0.0.1:{sandbox_port}",
         "--customers", str(customers), "--redirect-uri", f"{app}/auth/callback"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    env = dict(os.environ,
               RUST_LOG=os.environ.get("RUST_LOG", "warn"),
               SPENDBOARD_SERVER__PORT=str(app_port),
               SPENDBOARD_SERVER__HOST="127.0.0.1",
               SPENDBOARD_SERVER__PUBLIC_URL=app,
               SPENDBOARD_DATABASE__URL=url,
               SPENDBOARD_IDENTITY__AUTHORITY=f"{sandbox_url}/{TENANT}/v2.0",
               SPENDBOARD_IDENTITY__TENANT_ID=TENANT,
               SPENDBOARD_IDENTITY__CLIENT_ID=CLIENT_ID,
               SPENDBOARD_IDENTITY__CLIENT_SECRET="sandbox-demo-secret",
               SPENDBOARD_PARTNER_CENTER__BASE_URL=sandbox_url,
               SPENDBOARD_SECURITY__SECRET_KEY=base64.b64encode(os.urandom(48)).decode())
    server = None
    log = open(f"{tmp}/spendboard.log", "w")
    try:
        wait_for(f"{sandbox_url}/{TENANT}/v2.0/.well-known/openid-configuration")
        started = time.perf_counter()
        server = subprocess.Popen([args.binary, "serve"], env=env,
                                  stdout=log, stderr=log)
        wait_for(f"{app}/health")
        startup_s = time.perf_counter() - started
        print(f"start-up to first answer (/health): {startup_s:.2f} s")
        return measure(app, sandbox_url, server.pid, customers, startup_s, db_size, args)
    finally:
        if server:
            server.terminate()
            server.wait()
        sandbox.terminate()
        sandbox.wait()
        log.close()
        drop()
        if args.keep_logs:
            print(f"log: {tmp}/spendboard.log")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def measure(app, sandbox_url, pid, customers, startup_s, db_size, args):
    browser = Browser(app)
    sign_in(browser)
    before = json.load(urllib.request.urlopen(f"{sandbox_url}/_sandbox/requests"))["total"]
    started = time.perf_counter()
    browser.open("/")
    while True:
        page = browser.open("/refresh").read().decode()
        if "Data refreshed" in page:
            break
        if "The refresh failed" in page:
            sys.exit("the refresh failed:\n" + re.sub(r"<[^>]+>", " ", page))
        time.sleep(0.05)
    refresh_s = time.perf_counter() - started
    calls = json.load(urllib.request.urlopen(f"{sandbox_url}/_sandbox/requests"))["total"] - before
    print(f"first partner-wide refresh: {refresh_s:.2f} s, {calls} Partner Center requests; "
          f"Spendboard resident {proc_kib(pid, 'VmRSS') / 1024:.0f} MiB, "
          f"peak so far {proc_kib(pid, 'VmHWM') / 1024:.0f} MiB")

    # One customer and one subscription page, opened once so their data is cached.
    dashboard = browser.open("/").read().decode()
    customer = re.search(r'href="(/customers/[0-9a-f-]{36})"', dashboard).group(1)
    page = browser.open(customer)
    body = page.read().decode()
    assert page.status == 200, (customer, page.status)
    subscription = re.search(rf'href="({customer}/subscriptions/[0-9a-f-]{{36}})"', body)
    subscription = subscription.group(1) if subscription else None
    if subscription:
        page = browser.open(subscription)
        page.read()
        assert page.status == 200, (subscription, page.status)

    targets = [DEFAULT_VIEW]
    targets += [(f"sort {s} {d}", f"/?sort={s}&dir={d}", 1 / 10, 100)
                for s in (args.sorts or SORTS) for d in ("asc", "desc")]
    targets += [
        ("page 100, by % used desc", "/?sort=percent&dir=desc&page=100", 1 / 10, 100),
        ("status over budget", "/?status=over", 1 / 10, 100),
        ("search 'gmbh'", "/?q=gmbh", 1 / 10, 100),
        ("customer page (cached)", customer, 1 / 5, None),
    ]
    if subscription:
        targets.append(("subscription page (cached)", subscription, 1 / 5, None))
    cookie = browser.cookie_header()
    for _, path, _, _ in targets:
        check = browser.open(path)
        check.read()
        assert check.status == 200, (path, check.status)

    settle(pid)
    under_load = RssSampler(pid)
    static = wrk(f"{app}/static/style.css", cookie, args.seconds, args.connections)
    # The floor of a signed-in request: `/health/live` answers a constant, but with the
    # cookie the session (and the user's roles) is read from the database first, as every
    # page's is. Static files are served without the session, so from memory alone.
    settle(pid)
    floor = wrk(f"{app}/health/live", cookie, args.seconds, args.connections)
    print(f"{'target':30} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6} "
          f"{'ratio':>6} {'goal':>6}  met  {'vs session read':>15}")
    print(f"{'/static/style.css':30} {static['rps']:8.0f} {fmt_ms(static['p50']):>7} "
          f"{fmt_ms(static['p99']):>7} {static['errors']:6d} {'1':>6}")
    print(f"{'/health/live (session read)':30} {floor['rps']:8.0f} {fmt_ms(floor['p50']):>7} "
          f"{fmt_ms(floor['p99']):>7} {floor['errors']:6d} {floor['rps'] / static['rps']:6.3f}"
          f"{'':>6}  {'':3}  {1:15.3f}")
    results = []
    for name, path, share, p99_limit in targets:
        settle(pid)
        profiler = None
        if args.perf and path == "/":
            profiler = subprocess.Popen(["perf", "record", "-F", "499", "-g", "-p", str(pid),
                                         "-o", args.perf, "--", "sleep", str(args.seconds)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        r = wrk(app + path, cookie, args.seconds, args.connections)
        if profiler:
            profiler.wait()
        ratio = r["rps"] / static["rps"]
        met = (ratio >= share and r["errors"] == 0
               and (p99_limit is None or (r["p99"] is not None and r["p99"] < p99_limit)))
        goal = f"1/{round(1 / share)}" + (f", p99<{p99_limit}" if p99_limit else "")
        print(f"{name:30} {r['rps']:8.0f} {fmt_ms(r['p50']):>7} {fmt_ms(r['p99']):>7} "
              f"{r['errors']:6d} {ratio:6.3f} {goal:>6}  {'yes' if met else 'NO ':3}  "
              f"{r['rps'] / floor['rps']:15.3f}", flush=True)
        results.append((name, r, ratio, met))
    loaded = under_load.stop()
    peak = proc_kib(pid, "VmHWM") / 1024
    print(f"Spendboard resident memory under the load: at most {loaded:.0f} MiB (goal < 100 MiB: "
          f"{'yes' if loaded < 100 else 'NO'}); peak of the whole run, the first refresh "
          f"included: {peak:.0f} MiB; start-up {startup_s:.2f} s (goal < 1 s: "
          f"{'yes' if startup_s < 1 else 'NO'})")
    print(f"database size: {db_size() / 1024 / 1024:.1f} MiB")
    print(f"load after: {uptime()}")
    default = results[0][1]
    return {"customers": customers, "refresh_s": refresh_s, "calls": calls,
            "rps": default["rps"], "p99": default["p99"], "static": static["rps"],
            "rss": peak, "rss_load": loaded, "db_mib": db_size() / 1024 / 1024,
            "all_met": all(m for *_, m in results)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", default="10000",
                        help="comma-separated customer counts (the scale curve)")
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--seconds", type=int, default=8, help="wrk duration per target")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--sorts", help="comma-separated sort columns (default: all)")
    parser.add_argument("--keep-logs", action="store_true")
    parser.add_argument("--perf", help="record a `perf` profile of the default view's run here")
    parser.add_argument("--binary", default="target/release/spendboard",
                        help="the Spendboard binary (e.g. a build of another commit, to compare)")
    args = parser.parse_args()
    if args.sorts:
        args.sorts = args.sorts.split(",")
    curve = []
    for kind in args.databases.split(","):
        for n in (int(c) for c in args.customers.split(",")):
            curve.append((kind, run_one(kind, n, args)))
    print("\n=== summary: / (default view) at each size ===")
    print(f"{'database':10} {'customers':>9} {'refresh s':>9} {'PC calls':>8} {'req/s':>7} "
          f"{'p99 ms':>7} {'static':>7} {'RSS load':>8} {'RSS peak':>8} {'DB MiB':>7} all goals")
    for kind, c in curve:
        print(f"{kind:10} {c['customers']:9,} {c['refresh_s']:9.2f} {c['calls']:8} "
              f"{c['rps']:7.0f} {fmt_ms(c['p99']):>7} {c['static']:7.0f} {c['rss_load']:8.0f} "
              f"{c['rss']:8.0f} "
              f"{c['db_mib']:7.1f} {'yes' if c['all_met'] else 'NO'}")


if __name__ == "__main__":
    main()
