#!/usr/bin/env bash
# Start (or stop) a throwaway PostgreSQL server on 127.0.0.1 for the end-to-end Postgres tests.
# Prints the connection URL on start. Installs Debian's postgresql package if no server is found.
set -euo pipefail
DATA=${TAP_ATS_PGDATA:-/tmp/tap-ats-pgdata}
PORT=${TAP_ATS_PGPORT:-55432}
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bindir" ] && ! command -v initdb >/dev/null; then
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi
PATH="${bindir:+$bindir:}$PATH"
as_owner() {  # PostgreSQL refuses to run as root
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "PATH=$PATH $*"; else sh -c "$*"; fi
}
case "${1:-start}" in
  start)
    if [ ! -f "$DATA/PG_VERSION" ]; then
      mkdir -p "$DATA"
      [ "$(id -u)" = 0 ] && chown postgres "$DATA"
      as_owner "initdb -D $DATA -U tap --auth=trust >/dev/null"
    fi
    if ! as_owner "pg_ctl -D $DATA status >/dev/null"; then
      as_owner "pg_ctl -D $DATA -l $DATA/server.log -w -o '-p $PORT -k /tmp -c listen_addresses=127.0.0.1' start >/dev/null"
    fi
    echo "postgresql://tap@127.0.0.1:$PORT/postgres"
    ;;
  stop)
    as_owner "pg_ctl -D $DATA -m fast stop >/dev/null" || true
    ;;
esac
