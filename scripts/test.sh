#!/usr/bin/env bash
# Runs every test: unit tests, the sandbox's tests, the store tests on SQLite and PostgreSQL,
# and the app's integration tests on SQLite and then on PostgreSQL.
# Needs PostgreSQL at 127.0.0.1:5432 (user postgres, trust auth) or SPENDBOARD_TEST_POSTGRES_URL.
set -euo pipefail
cd "$(dirname "$0")/.."

postgres_url="${SPENDBOARD_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
if command -v pg_isready >/dev/null && ! pg_isready -q -d "$postgres_url"; then
  echo "PostgreSQL is not reachable at $postgres_url." >&2
  echo "Start it (e.g. 'pg_ctlcluster --skip-systemctl-redirect \$(ls /etc/postgresql) main start') or set SPENDBOARD_TEST_POSTGRES_URL." >&2
  exit 1
fi

echo "== unit, sandbox, store (SQLite + PostgreSQL) and app tests on SQLite"
cargo test --workspace --locked
echo "== app tests on PostgreSQL"
SPENDBOARD_TEST_DATABASE=postgres cargo test --locked -p spendboard --test api -- --skip store::
