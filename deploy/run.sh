#!/usr/bin/env bash
# `make run`: the local stack, migrations, topics, and the three services in the foreground.
# Ctrl-C stops the services, and the infrastructure too if this run started it.
# Migrations run as DATABASE_URL's user (the schemas' owner); each service then runs as its own database login
# (deploy/postgres-roles.sql; LOCAL_SERVICE_LOGINS=0 keeps DATABASE_URL for all). SECURE=1: each service also
# talks to Kafka on the broker's SASL_SSL listener as its own principal, under the system's ACLs.
source "$(dirname "$0")/common.sh"

export OFFBOARDING_API_TOKENS=${OFFBOARDING_API_TOKENS:-dev-viewer:viewer,dev-operator:operator}
export OFFBOARDING_ENV=${OFFBOARDING_ENV:-development}
SERVICES=(orchestrator notifier survey billing_bridge)
PORTS=("${ORCHESTRATOR_HTTP_PORT:-8000}" "${NOTIFIER_HTTP_PORT:-8001}" "${SURVEY_HTTP_PORT:-8002}" "${BILLING_HTTP_PORT:-8003}")

# The billing bridge's development secrets (contract 1b) and, for the customers it looks up, the local stand-in
# of the providers' APIs (billing_bridge/tools/standin.py), unless others are given.
STANDIN_PORT=${LOCAL_STANDIN_PORT:-8090}
export BILLING_STRIPE_WEBHOOK_SECRET=${BILLING_STRIPE_WEBHOOK_SECRET:-whsec_dev_offboarding}
export BILLING_PADDLE_WEBHOOK_SECRET=${BILLING_PADDLE_WEBHOOK_SECRET:-pdl_dev_offboarding}
export BILLING_CHARGEBEE_WEBHOOK_CREDENTIALS=${BILLING_CHARGEBEE_WEBHOOK_CREDENTIALS:-dev:dev-offboarding}
export BILLING_RECURLY_WEBHOOK_SECRET=${BILLING_RECURLY_WEBHOOK_SECRET:-recurly_dev_offboarding}
export BILLING_WEBHOOK_SECRET=${BILLING_WEBHOOK_SECRET:-whsec_ZGV2LW9mZmJvYXJkaW5nLXNlY3JldA==}
# Bounces and complaints mailed to the return paths (docs/deliverability.md): the notifier's own SMTP listener.
export NOTIFIER_FEEDBACK_SMTP_PORT=${NOTIFIER_FEEDBACK_SMTP_PORT:-2526}
# Mail is DKIM-signed with a development key made once under .local/dkim/ (`make dns-records` prints its record).
if [[ -z ${NOTIFIER_DKIM_PRIVATE_KEY:-} && -z ${NOTIFIER_DKIM_PRIVATE_KEY_FILE:-} ]]; then
  export NOTIFIER_DKIM_PRIVATE_KEY_FILE="$LOCAL_DIR/dkim/offboarding.pem"
  "$VENV_PYTHON" -m notifier dkim-key --out "$NOTIFIER_DKIM_PRIVATE_KEY_FILE" >/dev/null
fi
for provider in STRIPE PADDLE CHARGEBEE RECURLY; do
  base=BILLING_${provider}_API_BASE key=BILLING_${provider}_API_KEY
  export "$base=${!base:-http://127.0.0.1:$STANDIN_PORT/${provider,,}}" "$key=${!key:-dev-standin-key}"
done

infra_was_up=true
for part in postgres kafka smtp; do
  "$ROOT/deploy/$part.sh" status | grep -q running || infra_was_up=false
done
"$ROOT/deploy/infra.sh" up

for i in "${!SERVICES[@]}"; do
  port_open "${PORTS[$i]}" && die "port ${PORTS[$i]} (the ${SERVICES[$i]}'s HTTP port) is already in use; stop that process or set ${SERVICES[$i]^^}_HTTP_PORT"
done

for service in "${SERVICES[@]}"; do
  "$VENV_PYTHON" -m "$service" migrate >>"$LOG_DIR/$service.log" 2>&1 \
    || { tail -n 20 "$LOG_DIR/$service.log" >&2; die "migrating the $service failed; see $LOG_DIR/$service.log"; }
done
say "migrations applied"

pids=()
if [ "${TRACES:-}" = 1 ]; then
  # Traces to the local sink (deploy/trace_sink.py): `make traces` prints them. Any OTEL_* already set wins.
  port_open 4318 && die "port 4318 (the trace sink's) is already in use"
  "$VENV_PYTHON" "$ROOT/deploy/trace_sink.py" serve --port 4318 >>"$LOG_DIR/traces.log" 2>&1 &
  pids+=($!)
  export OTEL_EXPORTER_OTLP_ENDPOINT=${OTEL_EXPORTER_OTLP_ENDPOINT:-http://127.0.0.1:4318}
  export OTEL_BSP_SCHEDULE_DELAY=${OTEL_BSP_SCHEDULE_DELAY:-1000}
  wait_for "the trace sink" 10 port_open 4318 || die "the trace sink did not start; see $LOG_DIR/traces.log"
  say "traces: spans go to .local/traces/spans.jsonl; \`make traces\` prints the newest"
fi
port_open "$STANDIN_PORT" && die "port $STANDIN_PORT (the providers' API stand-in) is already in use; set LOCAL_STANDIN_PORT"
"$VENV_PYTHON" -m billing_bridge standin --port "$STANDIN_PORT" >>"$LOG_DIR/provider-standin.log" 2>&1 &
pids+=($!)
stopping=false
cleanup() {
  trap - INT TERM EXIT
  stopping=true
  say "stopping the services"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait "${pids[@]}" 2>/dev/null || true
  $infra_was_up || "$ROOT/deploy/infra.sh" down
}
trap cleanup INT TERM EXIT

# The environment a service runs with besides the shared one: its database login, and in secured mode its Kafka
# principal.
service_env() {
  local service=$1
  if [[ ${LOCAL_SERVICE_LOGINS:-1} == 1 ]]; then
    # postgresql+asyncpg://postgres@host/db -> postgresql+asyncpg://<service>:dev-<service>-password@host/db
    local rest=${DATABASE_URL#*://}
    echo "DATABASE_URL=${DATABASE_URL%%://*}://$service:dev-$service-password@${rest#*@}"
  fi
  if [[ ${SECURE:-} == 1 ]]; then
    local user=${service//_/-}  # the billing bridge's principal is billing-bridge
    printf '%s\n' "KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$KAFKA_SASL_PORT" KAFKA_SECURITY_PROTOCOL=SASL_SSL \
      KAFKA_SASL_MECHANISM=SCRAM-SHA-512 "KAFKA_SASL_USERNAME=$user" "KAFKA_SASL_PASSWORD=dev-$user-password" \
      "KAFKA_SSL_CAFILE=$LOCAL_DIR/kafka/tls/ca.pem"
  fi
}

for service in "${SERVICES[@]}"; do
  mapfile -t own_env < <(service_env "$service")
  # JSON logs go to .local/logs/<service>.log and, prefixed with the service name, to this terminal: as
  # readable lines when it is a terminal (deploy/pretty_logs.py), as JSON otherwise.
  if [ -t 1 ]; then
    env "${own_env[@]}" "$VENV_PYTHON" -m "$service" > >(tee -a "$LOG_DIR/$service.log" | "$VENV_PYTHON" "$ROOT/deploy/pretty_logs.py" "$service") 2>&1 &
  else
    env "${own_env[@]}" "$VENV_PYTHON" -m "$service" > >(tee -a "$LOG_DIR/$service.log" | sed -u "s/^/[$service] /") 2>&1 &
  fi
  pids+=($!)
done

for i in "${!SERVICES[@]}"; do
  wait_for "${SERVICES[$i]}" 60 port_open "${PORTS[$i]}" || die "the ${SERVICES[$i]} did not start; see $LOG_DIR/${SERVICES[$i]}.log"
done
say ""
say "running: orchestrator http://127.0.0.1:${PORTS[0]}/docs  notifier :${PORTS[1]}  survey :${PORTS[2]}  billing bridge :${PORTS[3]}"
say "webhooks: make publish-sample ARGS=\"--via stripe\" (paddle, chargebee, recurly, http); provider APIs stood in for on :$STANDIN_PORT"
say "mail lands in $MAIL_DIR; bounces and complaints to 127.0.0.1:$NOTIFIER_FEEDBACK_SMTP_PORT; API tokens: $OFFBOARDING_API_TOKENS; Ctrl-C stops"
[[ ${SECURE:-} == 1 ]] && say "secured: each service on Kafka's SASL_SSL listener (127.0.0.1:$KAFKA_SASL_PORT) as its own principal; publish as billing with: make publish-sample SECURE=1"
wait -n "${pids[@]}" || true
$stopping || say "a service exited; see $LOG_DIR/"
