#!/usr/bin/env bash
# Brings the local infrastructure (PostgreSQL, Kafka, SMTP sink) up or down; each part is a no-op when already so.
# Usage: deploy/infra.sh up|down|status.
source "$(dirname "$0")/common.sh"
D=$ROOT/deploy

case ${1:-} in
  up)
    started=$SECONDS
    "$D/postgres.sh" start
    "$D/kafka.sh" start
    "$D/smtp.sh" start
    say "infra: up in $((SECONDS - started)) s (data under $LOCAL_DIR, logs under $LOG_DIR)"
    ;;
  down)
    "$D/smtp.sh" stop
    "$D/kafka.sh" stop
    "$D/postgres.sh" stop
    ;;
  status)
    "$D/postgres.sh" status; "$D/kafka.sh" status; "$D/smtp.sh" status ;;
  *) die "usage: $0 up|down|status" ;;
esac
