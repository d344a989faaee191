#!/usr/bin/env bash
# Every check and the whole test suite, on SQLite and on PostgreSQL side by side, browser tests included.
# Needs: a PostgreSQL server reachable at $HELI_TEST_POSTGRES_URL, Redis at $HELI_TEST_REDIS_BASE
# and Chromium at $HELI_CHROMIUM (default /usr/bin/chromium). Fails, rather than skips, when any
# is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

export HELI_SECRET_KEY="${HELI_SECRET_KEY:-test-only-secret-key}"
export HELI_FIELD_KEY="${HELI_FIELD_KEY:-0123456789abcdef0123456789abcdef}"
export HELI_DIGEST_KEY="${HELI_DIGEST_KEY:-fedcba9876543210fedcba9876543210}"
export HELI_AUDIT_KEY="${HELI_AUDIT_KEY:-00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff}"
export HELI_CHROMIUM="${HELI_CHROMIUM:-/usr/bin/chromium}"
PG_URL="${HELI_TEST_POSTGRES_URL:-postgres://heli:heli@127.0.0.1:5432/heli}"
# The application's role on PostgreSQL (owns nothing; tests/test_db_roles.py): its tests fail
# rather than skip here when it is missing.
export HELI_TEST_APP_DATABASE_URL="${HELI_TEST_APP_DATABASE_URL:-postgres://heli_app:heli_app@127.0.0.1:5432/heli}"
# A streaming replica of that server (tests/test_replica.py; .ci/run makes it on port 5433): its
# test fails rather than skips here when it is missing.
export HELI_TEST_REPLICA_URL="${HELI_TEST_REPLICA_URL:-postgres://heli:heli@127.0.0.1:5433/heli}"

if [ ! -x "$HELI_CHROMIUM" ]; then
  echo "Chromium not found at $HELI_CHROMIUM (install Debian's chromium): browser tests cannot run." >&2
  exit 1
fi
if ! python -c "import psycopg, sys; psycopg.connect(sys.argv[1], connect_timeout=5).close()" "$PG_URL"; then
  echo "PostgreSQL is not reachable at $PG_URL (set HELI_TEST_POSTGRES_URL): cannot run the suite on it." >&2
  exit 1
fi
# Redis for the tasks' rq backend (tests/test_tasks_rq.py, which empties its database): each
# run below gets a database of its own through HELI_TEST_REDIS_URL, so that it fails rather than
# skips when Redis is missing.
REDIS_BASE="${HELI_TEST_REDIS_BASE:-redis://127.0.0.1:6379}"
if ! python -c "import redis, sys; redis.Redis.from_url(sys.argv[1], socket_timeout=5).ping()" "$REDIS_BASE/15"; then
  echo "Redis is not reachable at $REDIS_BASE (install Debian's redis-server): cannot run the rq tests." >&2
  exit 1
fi

mkdir -p var
echo "== ruff"
ruff check .
ruff format --check .
echo "== import layers"
lint-imports
echo "== migrations"
HELI_DATABASE_URL="sqlite:///:memory:" heli makemigrations --check --dry-run
echo "== deploy checks (production profile)"
# As production starts: no debug, a long random secret key, HTTPS only. Any warning fails.
HELI_DEBUG=0 HELI_SECURE_COOKIES=1 HELI_ALLOWED_HOSTS=heli.example.org \
  HELI_SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
  HELI_DATABASE_URL="sqlite:///:memory:" heli check --deploy --fail-level WARNING

# The two databases' runs go side by side (each test run is mostly one process waiting on its
# database or its browser, so two halve the wall time on two cores); each writes its own log,
# printed when both are done, and the script fails when either does.
echo "== tests on SQLite and on PostgreSQL, side by side (var/test-*.log)"
HELI_DATABASE_URL="sqlite:///$(pwd)/var/test.sqlite3" HELI_TEST_DB_NAME=test-sqlite.sqlite3 \
  HELI_TEST_REDIS_URL="$REDIS_BASE/14" pytest "$@" >var/test-sqlite.log 2>&1 &
sqlite_run=$!
HELI_DATABASE_URL="$PG_URL" HELI_REQUIRE_APP_ROLE=1 HELI_REQUIRE_REPLICA=1 \
  HELI_TEST_REDIS_URL="$REDIS_BASE/15" pytest "$@" >var/test-postgres.log 2>&1 &
postgres_run=$!
sqlite_status=0
postgres_status=0
wait "$sqlite_run" || sqlite_status=$?
wait "$postgres_run" || postgres_status=$?
echo "== tests on SQLite (exit $sqlite_status)"
cat var/test-sqlite.log
echo "== tests on PostgreSQL (exit $postgres_status)"
cat var/test-postgres.log
[ "$sqlite_status" = 0 ] && [ "$postgres_status" = 0 ]
