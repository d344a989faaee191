#!/usr/bin/env bash
# Every check and the whole test suite, on SQLite and then on PostgreSQL, browser tests included.
# Needs: a PostgreSQL server reachable at $HELI_TEST_POSTGRES_URL, Redis at $HELI_TEST_REDIS_URL
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

if [ ! -x "$HELI_CHROMIUM" ]; then
  echo "Chromium not found at $HELI_CHROMIUM (install Debian's chromium): browser tests cannot run." >&2
  exit 1
fi
if ! python -c "import psycopg, sys; psycopg.connect(sys.argv[1], connect_timeout=5).close()" "$PG_URL"; then
  echo "PostgreSQL is not reachable at $PG_URL (set HELI_TEST_POSTGRES_URL): cannot run the suite on it." >&2
  exit 1
fi
# Redis for the tasks' rq backend (tests/test_tasks_rq.py): set here so that it fails rather
# than skips when Redis is missing.
export HELI_TEST_REDIS_URL="${HELI_TEST_REDIS_URL:-redis://127.0.0.1:6379/15}"
if ! python -c "import redis, sys; redis.Redis.from_url(sys.argv[1], socket_timeout=5).ping()" "$HELI_TEST_REDIS_URL"; then
  echo "Redis is not reachable at $HELI_TEST_REDIS_URL (install Debian's redis-server): cannot run the rq tests." >&2
  exit 1
fi

mkdir -p var
echo "== ruff"
ruff check .
ruff format --check .
echo "== migrations"
HELI_DATABASE_URL="sqlite:///:memory:" heli makemigrations --check --dry-run
echo "== deploy checks (production profile)"
# As production starts: no debug, a long random secret key, HTTPS only. Any warning fails.
HELI_DEBUG=0 HELI_SECURE_COOKIES=1 HELI_ALLOWED_HOSTS=heli.example.org \
  HELI_SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
  HELI_DATABASE_URL="sqlite:///:memory:" heli check --deploy --fail-level WARNING

echo "== tests on SQLite"
HELI_DATABASE_URL="sqlite:///$(pwd)/var/test.sqlite3" pytest "$@"

echo "== tests on PostgreSQL"
HELI_DATABASE_URL="$PG_URL" HELI_REQUIRE_APP_ROLE=1 pytest "$@"
