#!/usr/bin/env bash
# Runs every test: unit tests, the sandbox's tests, the store tests on SQLite and PostgreSQL,
# the app's integration tests on SQLite and then on PostgreSQL, and then the browser tests
# (e2e/: Playwright driving Debian's Chromium, with axe-core).
# Needs PostgreSQL at 127.0.0.1:5432 (user postgres, trust auth) or SPENDBOARD_TEST_POSTGRES_URL,
# Python 3 (the alert tests start aiosmtpd, installed here with pip when missing),
# and for the browser tests Node.js; it installs Debian's Chromium (as root) when missing and
# runs `npm ci` in e2e/ itself.
# SPENDBOARD_SKIP_E2E=1 leaves the browser tests out (they are never skipped silently).
set -euo pipefail
cd "$(dirname "$0")/.."

postgres_url="${SPENDBOARD_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
# On our machines PostgreSQL is a local service: start it if it is stopped.
if [ -z "${SPENDBOARD_TEST_POSTGRES_URL:-}" ] && command -v pg_ctlcluster >/dev/null &&
  ! pg_isready -q -d "$postgres_url"; then
  echo "PostgreSQL is not running; starting it"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  for _ in $(seq 1 30); do pg_isready -q -d "$postgres_url" && break; sleep 1; done
fi
if command -v pg_isready >/dev/null && ! pg_isready -q -d "$postgres_url"; then
  echo "PostgreSQL is not reachable at $postgres_url." >&2
  echo "Start it (e.g. 'pg_ctlcluster --skip-systemctl-redirect \$(ls /etc/postgresql) main start') or set SPENDBOARD_TEST_POSTGRES_URL." >&2
  exit 1
fi

# Each app test leaves its database behind for inspection; drop those of earlier runs.
if command -v psql >/dev/null; then
  psql -q -At -d "$postgres_url" -c "select datname from pg_database where datname like 'spendboard\_test\_%'" 2>/dev/null |
    while read -r db; do psql -q -d "$postgres_url" -c "drop database if exists \"$db\" with (force)" >/dev/null 2>&1 || true; done
fi
rm -f "${TMPDIR:-/tmp}"/spendboard-test-*.db*

# The alert tests send mail to a real SMTP server they start (tests/support/smtp_capture.py).
if ! python3 -c "import aiosmtpd" 2>/dev/null; then
  echo "Installing aiosmtpd (the SMTP server of the alert tests)"
  python3 -m pip install --quiet "aiosmtpd==1.4.6"
fi

echo "== unit, sandbox, store (SQLite + PostgreSQL) and app tests on SQLite"
cargo test --workspace --locked
echo "== app tests on PostgreSQL"
SPENDBOARD_TEST_DATABASE=postgres cargo test --locked -p spendboard --test api -- --skip store::

if [ "${SPENDBOARD_SKIP_E2E:-}" = "1" ]; then
  echo "== browser tests SKIPPED (SPENDBOARD_SKIP_E2E=1)"
  exit 0
fi
echo "== browser tests (e2e/: Playwright in Chromium, axe-core)"
chromium="${SPENDBOARD_E2E_CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$chromium" ]; then
  # Debian's Chromium, never a downloaded browser. Installing needs root (as on our machines
  # and in CI); elsewhere the message says what to do.
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "Installing Debian's Chromium for the browser tests"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null
  else
    echo "Chromium is missing at $chromium. Install Debian's package: 'apt-get update && apt-get install -y chromium fonts-liberation'" >&2
    echo "(no browser is downloaded; or set SPENDBOARD_E2E_CHROMIUM, or SPENDBOARD_SKIP_E2E=1 to leave the browser tests out)." >&2
    exit 1
  fi
fi
if ! command -v node >/dev/null; then
  echo "Node.js (20 or later) is missing: the browser tests run with 'node --test'." >&2
  exit 1
fi
# playwright-core and axe-core exactly as e2e/package-lock.json pins them.
(cd e2e && npm ci --no-audit --no-fund --loglevel=error)
# The tests start target/debug/partner-center-sandbox and target/debug/spendboard themselves.
cargo build --locked --bins
(cd e2e && node --test --test-concurrency=1 --test-reporter=spec tests/)
