# Shared settings and helpers for the local-infrastructure scripts; sourced, not run.
# Every path and port can be overridden from the environment.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LOCAL_DIR=${OFFBOARDING_LOCAL_DIR:-$ROOT/.local}
KAFKA_HOST=127.0.0.1
KAFKA_PORT=${LOCAL_KAFKA_PORT:-9092}
KAFKA_CONTROLLER_PORT=${LOCAL_KAFKA_CONTROLLER_PORT:-9093}
KAFKA_SASL_PORT=${LOCAL_KAFKA_SASL_PORT:-9094}
KAFKA_HEAP=${LOCAL_KAFKA_HEAP:-512m}
PG_PORT=${LOCAL_PG_PORT:-5432}
PG_DATABASE=${LOCAL_PG_DATABASE:-offboarding}
SMTP_PORT=${LOCAL_SMTP_PORT:-1025}
MAIL_DIR=${LOCAL_MAIL_DIR:-$LOCAL_DIR/mail}
VENV_PYTHON=$ROOT/.venv/bin/python
LOG_DIR=$LOCAL_DIR/logs

mkdir -p "$LOCAL_DIR" "$LOG_DIR"

say() { printf '%s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# port_open PORT: true when something accepts TCP connections on 127.0.0.1:PORT.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# pid_alive PIDFILE: true when the pid in PIDFILE names a running process.
pid_alive() { [[ -s $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# who_listens PORT: a short description of the process holding PORT, for error messages.
who_listens() {
  if command -v ss >/dev/null; then
    ss -ltnpH "sport = :$1" 2>/dev/null | sed -n 's/.*users:((\("[^"]*",pid=[0-9]*\).*/\1/p' | head -1
  fi
}

# require_free_port PORT WHAT VAR: fail with a clear message when PORT is taken by something else.
require_free_port() {
  if port_open "$1"; then
    local holder; holder=$(who_listens "$1")
    die "port $1 (needed by $2) is already in use${holder:+ by $holder}; stop that process or set $3 to another port"
  fi
}

# wait_for DESCRIPTION SECONDS COMMAND...: poll COMMAND every 0.25 s until it succeeds or time runs out.
wait_for() {
  local what=$1 seconds=$2; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.25
  done
}

# stop_pidfile PIDFILE NAME: TERM the process, wait up to 30 s, then KILL; remove the pidfile.
stop_pidfile() {
  local pidfile=$1 name=$2
  if pid_alive "$pidfile"; then
    local pid; pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + 30))
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    say "$name stopped"
  fi
  rm -f "$pidfile"
}
