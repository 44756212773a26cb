"""What the benchmark scripts share: the sandbox's demo app registration, a client that does
not follow redirects, free loopback ports, and waiting for a server to answer."""
import socket
import sys
import time
import urllib.request

# The sandbox's demo tenant and app registration (sandbox/README.md).
TENANT = "6f1c2a3b-4d5e-4f60-8a71-92b3c4d5e6f7"
CLIENT_ID = "3c9d5e7f-1a2b-4c3d-9e8f-7a6b5c4d3e2f"


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
