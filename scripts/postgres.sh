#!/usr/bin/env bash
# A throwaway PostgreSQL server for trying the postgres sink and for `make bench`.
#
#   scripts/postgres.sh start   initdb into $PG_DIR (default .build/postgres) and start a server on
#                               127.0.0.1 at a free port (trust auth, loopback only), wait until it
#                               answers, print its URL (postgresql://postgres@127.0.0.1:PORT/postgres)
#   scripts/postgres.sh stop    stop it and remove its data
#
# Debian's `postgresql` package provides the binaries (make setup installs it). PostgreSQL
# refuses to run as root, so as root the server runs as the package's `postgres` user.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${PG_DIR:-.build/postgres}
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)

bin() {
  local found
  found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -n "$found" ] || { echo "PostgreSQL is not installed: apt-get install -y postgresql (or make setup)" >&2; exit 1; }
  echo "$found"
}

as_server() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  if [ -f "$DIR/address" ] && [ -f "$DIR/data/postmaster.pid" ] && kill -0 "$(head -1 "$DIR/data/postmaster.pid")" 2>/dev/null; then
    cat "$DIR/address"; return
  fi
  local b port
  b=$(bin)
  rm -rf "$DIR/data"
  mkdir -p "$DIR/data" "$DIR/run"
  [ "$(id -u)" = 0 ] && chown -R postgres "$DIR" && chmod 755 "$DIR"
  as_server "$b/initdb" -D "$DIR/data" -U postgres --auth=trust -E UTF8 --no-locale > "$DIR/initdb.log" 2>&1
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  as_server "$b/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$DIR/run -c fsync=on" start > /dev/null
  echo "postgresql://postgres@127.0.0.1:$port/postgres" | tee "$DIR/address"
}

stop() {
  [ -d "$DIR/data" ] || return 0
  as_server "$(bin)/pg_ctl" -D "$DIR/data" -m fast -w stop > /dev/null 2>&1 || true
  rm -rf "$DIR/data" "$DIR/address"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
