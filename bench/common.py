"""What the benchmark scripts share: the sandbox's demo app registration, a client that does
not follow redirects, free loopback ports, waiting for a server to answer, starting the
sandbox and Spendboard (release builds) side by side, signing in, and peak memory."""
import base64
import http.cookiejar
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

# The sandbox's demo tenant and app registration (sandbox/README.md).
TENANT = "6f1c2a3b-4d5e-4f60-8a71-92b3c4d5e6f7"
CLIENT_ID = "3c9d5e7f-1a2b-4c3d-9e8f-7a6b5c4d3e2f"
# The sandbox's demo reader.
READER = "megan@northwindcsp.onmicrosoft.com"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(url):
    try:
        urllib.request.urlopen(url, timeout=2)
        return True
    except Exception:
        return False


def wait_for(url, seconds=120):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if answers(url):
            return
        time.sleep(0.05)
    sys.exit(f"{url} did not answer within {seconds} s")


def serve(sandbox_args, run):
    """Starts the sandbox (`target/release/partner-center-sandbox` with `sandbox_args` added)
    and Spendboard (`target/release/spendboard serve`, on a fresh SQLite database) on free
    loopback ports, waits until both answer, calls `run(app, pid)` with Spendboard's address
    (`http://localhost:{port}`) and process id, then stops both."""
    sandbox_port, app_port = free_port(), free_port()
    app = f"http://localhost:{app_port}"
    tmp = tempfile.mkdtemp(prefix="spendboard-bench-")
    sandbox = subprocess.Popen(
        ["target/release/partner-center-sandbox", "--bind", f"127.0.0.1:{sandbox_port}",
         *sandbox_args, "--redirect-uri", f"{app}/auth/callback"],
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
            run(app, server.pid)
        finally:
            server.terminate()
            server.wait()
    finally:
        sandbox.terminate()
        sandbox.wait()


def signed_in(app, login=READER):
    """Signs in to Spendboard at `app` as `login` through the sandbox's sign-in page; returns
    `get(path)`, a GET with the session's cookies that follows no redirects and returns the
    response (an error status too)."""
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(NoRedirect, urllib.request.HTTPCookieProcessor(jar))

    def get(path):
        try:
            return browser.open(app + path)
        except urllib.error.HTTPError as e:
            return e

    authorize = get("/auth/start").headers["Location"]
    url = urllib.parse.urlsplit(authorize)
    form = dict(urllib.parse.parse_qsl(url.query), login=login)
    post = urllib.request.build_opener(NoRedirect)
    try:
        post.open(urllib.parse.urlunsplit(url._replace(query="")), urllib.parse.urlencode(form).encode())
        sys.exit("the sandbox did not redirect back")
    except urllib.error.HTTPError as e:
        callback = e.headers["Location"]
    get(callback.replace(app, ""))
    return get


def rss_kib(pid, field="VmHWM:"):
    """A memory figure of process `pid` in KiB from /proc (`VmHWM:`, the peak RSS, by
    default); 0 when absent."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1])
    return 0


def timed(get, path, repeat, check=lambda body: True):
    """GETs `path` `repeat` times with `get` (see `signed_in`), asserting a 200 whose body
    passes `check`; returns the median and 95th percentile latencies in ms and the size of
    the last body in bytes."""
    times = []
    size = 0
    for _ in range(repeat):
        t = time.perf_counter()
        response = get(path)
        body = response.read()
        times.append((time.perf_counter() - t) * 1000)
        size = len(body)
        assert response.status == 200 and check(body), (path, response.status)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], size
