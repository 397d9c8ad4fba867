#!/usr/bin/env bash
# The whole suite: lint, types of the plain-Python core, migrations check, then pytest on SQLite and on
# PostgreSQL side by side.
# PostgreSQL: the server on 127.0.0.1:5432 when it answers, else a throwaway cluster started here.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export TOUSU_DATA_DIR="${TOUSU_DATA_DIR:-$(mktemp -d /tmp/tousu-test.XXXXXX)}"

$BIN/ruff check . || exit 1
$BIN/mypy || exit 1
$BIN/tousu makemigrations --check --dry-run >/dev/null || { echo "models changed without a migration"; exit 1; }

pg_url=""
cleanup=()
trap 'for c in "${cleanup[@]}"; do eval "$c"; done' EXIT
if $BIN/python -c "import psycopg; psycopg.connect('postgresql://postgres@127.0.0.1:5432/test', connect_timeout=3).close()" 2>/dev/null; then
  pg_url="postgres://postgres@127.0.0.1:5432/test"
else
  pgdir=$(mktemp -d /tmp/tousu-pg.XXXXXX)
  chown postgres "$pgdir"
  port=55432
  runuser -u postgres -- /usr/lib/postgresql/15/bin/initdb -D "$pgdir/data" -A trust -U postgres >/dev/null
  runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D "$pgdir/data" -l "$pgdir/log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $pgdir -c fsync=off" start >/dev/null
  cleanup+=("runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D $pgdir/data -m immediate stop >/dev/null; rm -rf $pgdir")
  pg_url="postgres://postgres@127.0.0.1:$port/postgres"
fi

logs=$(mktemp -d /tmp/tousu-testlogs.XXXXXX)
echo "== pytest on SQLite and on PostgreSQL ($pg_url), in parallel"
(TOUSU_DATA_DIR="$TOUSU_DATA_DIR/sqlite" $BIN/pytest "$@" >"$logs/sqlite.log" 2>&1; echo $? >"$logs/sqlite.rc") &
# Once, in the SQLite half: what no database can change. The rules (risk, timeline) are plain Python with no
# Django imports, and `tousu serve`'s signal handling and static files do not depend on the database.
once_only=(--ignore=src/tousu/risk --ignore=src/tousu/timeline --ignore=src/tousu/core/tests/test_serve.py
           --ignore=src/tousu/core/tests/test_static_files.py)
(TOUSU_DATA_DIR="$TOUSU_DATA_DIR/pg" DATABASE_URL="$pg_url" $BIN/pytest "${once_only[@]}" "$@" >"$logs/pg.log" 2>&1
 echo $? >"$logs/pg.rc") &
wait
echo "== SQLite"; cat "$logs/sqlite.log"
echo "== PostgreSQL"; cat "$logs/pg.log"
sqlite_rc=$(cat "$logs/sqlite.rc"); pg_rc=$(cat "$logs/pg.rc")
echo "SQLite: exit $sqlite_rc; PostgreSQL: exit $pg_rc"
[ "$sqlite_rc" = 0 ] && [ "$pg_rc" = 0 ]
