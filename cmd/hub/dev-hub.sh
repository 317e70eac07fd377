#!/usr/bin/env bash
# Starts a local PostgreSQL cluster in a data dir this script owns and the
# hub on loopback, for development and manual end-to-end runs:
#
#   cmd/hub/dev-hub.sh                 # data in .data/hub, hub on 127.0.0.1:8090
#   HUB_DEV_DIR=/tmp/h HUB_LISTEN=127.0.0.1:9000 cmd/hub/dev-hub.sh
#
# It seeds a demo province and commune (000.17.22.H56) and a demo admin of
# the staff web UI (quantri), and prints a one-time enrolment code for the
# commune. Ctrl-C stops the hub, then PostgreSQL. As root, initdb and
# postgres run as the postgres user (initdb refuses root).
set -euo pipefail

cd "$(dirname "$0")/../.."
DIR="${HUB_DEV_DIR:-$PWD/.data/hub}"
PGPORT="${HUB_PG_PORT:-55432}"
LISTEN="${HUB_LISTEN:-127.0.0.1:8090}"
export HUB_ADMIN_TOKEN="${HUB_ADMIN_TOKEN:-dev-admin-token}"

PG_BIN="${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}"
if [[ ! -x "$PG_BIN/initdb" ]]; then
  echo "dev-hub: PostgreSQL binaries not found (apt-get install postgresql, or set PG_BIN)" >&2
  exit 1
fi

as_pg() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

mkdir -p "$DIR"
# As root the cluster lives under the postgres user; keep it out of
# root-only parents by checking it can be reached.
if [[ $(id -u) -eq 0 ]]; then
  chown postgres: "$DIR"
  if ! runuser -u postgres -- test -x "$DIR"; then
    echo "dev-hub: postgres cannot reach $DIR (a parent is root-only); set HUB_DEV_DIR, e.g. /tmp/motcua-hub" >&2
    exit 1
  fi
fi
PGDATA="$DIR/pgdata"
if [[ ! -f "$PGDATA/PG_VERSION" ]]; then
  echo "dev-hub: initdb $PGDATA"
  as_pg "$PG_BIN/initdb" -D "$PGDATA" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
fi
as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$DIR/postgres.log" -w \
  -o "-p $PGPORT -k $DIR -c listen_addresses=127.0.0.1" start >/dev/null
stop_pg() { as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null || true; }
trap stop_pg EXIT

"$PG_BIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'motcua_hub'" | grep -q 1 ||
  "$PG_BIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U postgres motcua_hub

export HUB_DATABASE_URL="postgres://postgres@127.0.0.1:$PGPORT/motcua_hub?sslmode=disable"
export HUB_BLOB_DIR="$DIR/blobs"
BIN="$DIR/hub"
go build -o "$BIN" ./cmd/hub
"$BIN" migrate
"$BIN" agency --code H56 --name "UBND tỉnh Thanh Hóa" --kind province --level 1
"$BIN" agency --code 000.17.22.H56 --name "UBND xã Quảng Hưng" --kind commune --level 2 --parent H56
# A demo admin of the staff web UI (once: a second run finds the username taken).
STAFF_PASSWORD="${HUB_DEV_STAFF_PASSWORD:-quan tri thu nghiem}"
printf '%s\n' "$STAFF_PASSWORD" | "$BIN" staff --username quantri --name "Quản trị thử nghiệm" --role admin >/dev/null 2>&1 || true
echo "dev-hub: enrolment code for 000.17.22.H56: $("$BIN" enrol-code --commune 000.17.22.H56 2>/dev/null)"
echo "dev-hub: staff UI: http://$LISTEN/  (quantri / $STAFF_PASSWORD)"
echo "dev-hub: admin token: $HUB_ADMIN_TOKEN   health: http://$LISTEN/v1/health"
"$BIN" serve --listen "$LISTEN" &
HUB_PID=$!
trap 'kill -TERM $HUB_PID 2>/dev/null; wait $HUB_PID 2>/dev/null; stop_pg' EXIT
wait $HUB_PID
