#!/usr/bin/env bash
# Local SMTP sink (aiosmtpd) on 127.0.0.1:$LOCAL_SMTP_PORT, writing every message to the Maildir .local/mail.
# Usage: deploy/smtp.sh start|stop|status.
source "$(dirname "$0")/common.sh"

PIDFILE=$LOCAL_DIR/smtp-sink.pid
LOG=$LOG_DIR/smtp-sink.log

start() {
  if pid_alive "$PIDFILE"; then say "smtp sink: already running (pid $(cat "$PIDFILE"))"; return; fi
  [[ -x $VENV_PYTHON ]] || die "the project's virtualenv is missing; run 'make sync' first"
  require_free_port "$SMTP_PORT" "the SMTP sink" LOCAL_SMTP_PORT
  nohup setsid "$VENV_PYTHON" "$ROOT/deploy/smtp_sink.py" --port "$SMTP_PORT" --maildir "$MAIL_DIR" \
    >>"$LOG" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
  wait_for "smtp sink" 20 port_open "$SMTP_PORT" \
    || { tail -n 20 "$LOG" >&2; die "the SMTP sink did not start; the lines above are the end of $LOG"; }
  say "smtp sink: ready on 127.0.0.1:$SMTP_PORT, mail in $MAIL_DIR"
}

case ${1:-} in
  start) start ;;
  stop) stop_pidfile "$PIDFILE" "smtp sink" ;;
  status) pid_alive "$PIDFILE" && echo "smtp sink: running (pid $(cat "$PIDFILE"))" || echo "smtp sink: stopped" ;;
  *) die "usage: $0 start|stop|status" ;;
esac
