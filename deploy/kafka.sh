#!/usr/bin/env bash
# Local Apache Kafka from its official jars: one KRaft node (broker + controller) on 127.0.0.1.
# Usage: deploy/kafka.sh start|stop|status|apply-acls|acls ARGS... Data and logs live under .local/kafka.
#
# Two client listeners: PLAINTEXT on $KAFKA_PORT (what `make run` and most tests use; loopback only, its
# anonymous user is a super user, as an administrator's would be) and SASL_SSL on $KAFKA_SASL_PORT, as a
# production cluster would be (`make run SECURE=1` runs the services there): TLS with a CA made here
# (.local/kafka/tls/ca.pem), SCRAM-SHA-512 users $SCRAM_USERS (password "dev-<user>-password"), and the
# StandardAuthorizer denying whatever no ACL allows. Each start applies the system's ACLs
# (shared/messaging/acls.py: each principal exactly its topics and groups).
source "$(dirname "$0")/common.sh"

KAFKA_DIR=$LOCAL_DIR/kafka
LIBS=$KAFKA_DIR/libs
CONFIG=$KAFKA_DIR/server.properties
PIDFILE=$KAFKA_DIR/kafka.pid
LOG=$LOG_DIR/kafka.log
TLS_DIR=$KAFKA_DIR/tls
SCRAM_USERS=(orchestrator notifier survey billing billing-bridge)

resolve_jars() {
  # Resolved again when the pom changes (a new version, a new tool).
  local wanted; wanted=$(sha256sum "$ROOT/deploy/kafka/pom.xml" | cut -d' ' -f1)
  [[ -f $LIBS/.resolved && $(cat "$LIBS/.resolved") == "$wanted" ]] && return
  command -v mvn >/dev/null || die "Maven (mvn) is not installed; it resolves the Kafka jars (apt-get install maven)"
  say "kafka: resolving broker jars with Maven (first run only)"
  mvn -q -B -f "$ROOT/deploy/kafka/pom.xml" -Dkafka.libs="$LIBS" package >"$LOG_DIR/kafka-maven.log" 2>&1 \
    || die "Maven could not resolve the Kafka jars; see $LOG_DIR/kafka-maven.log"
  echo "$wanted" >"$LIBS/.resolved"
}

write_config() {
  mkdir -p "$KAFKA_DIR/data"
  # Auto-create is off: topics are created by the services' own code with their partition counts.
  cat >"$CONFIG" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT,CONTROLLER://$KAFKA_HOST:$KAFKA_CONTROLLER_PORT,SASL_SSL://$KAFKA_HOST:$KAFKA_SASL_PORT
advertised.listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT,SASL_SSL://$KAFKA_HOST:$KAFKA_SASL_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL
sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
ssl.keystore.type=PEM
ssl.keystore.location=$TLS_DIR/broker.pem
ssl.client.auth=none
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:ANONYMOUS
allow.everyone.if.no.acl.found=false
log.dirs=$KAFKA_DIR/data
auto.create.topics.enable=false
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
log.retention.hours=168
PROPS
}

# A CA and a broker certificate for 127.0.0.1/localhost, made once; clients trust tls/ca.pem.
make_tls() {
  [[ -f $TLS_DIR/broker.pem ]] && return
  command -v openssl >/dev/null || die "openssl is not installed; the local broker's TLS listener needs it (apt-get install openssl)"
  mkdir -p "$TLS_DIR"
  (
    cd "$TLS_DIR"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=offboarding local CA" \
      -keyout ca.key -out ca.pem
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout broker.key -out broker.csr
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >broker.ext
    openssl x509 -req -in broker.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 3650 -extfile broker.ext -out broker.crt
    cat broker.key broker.crt >broker.pem
  ) >>"$LOG" 2>&1 || die "making the local broker's TLS certificate failed; see $LOG"
}

scram_options() {
  for user in "${SCRAM_USERS[@]}"; do printf -- "--add-scram\nSCRAM-SHA-512=[name=%s,password=dev-%s-password]\n" "$user" "$user"; done
}

# The JVM flags both the storage tool and the broker run with: a modest heap for a 2-core dev machine.
JAVA_OPTS=(-Xms128m -Xmx"$KAFKA_HEAP" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true
  -Dlog4j2.configurationFile="$ROOT/deploy/kafka/log4j2.properties" -Dkafka.logs.dir="$LOG_DIR" -cp "$LIBS/*")

start() {
  if pid_alive "$PIDFILE"; then add_scram_users_once; apply_acls; say "kafka: already running (pid $(cat "$PIDFILE"))"; return; fi
  command -v java >/dev/null || die "Java is not installed; the local Kafka broker needs Java 17+ (apt-get install openjdk-17-jre-headless)"
  require_free_port "$KAFKA_PORT" "Kafka" LOCAL_KAFKA_PORT
  require_free_port "$KAFKA_CONTROLLER_PORT" "the Kafka controller" LOCAL_KAFKA_CONTROLLER_PORT
  require_free_port "$KAFKA_SASL_PORT" "Kafka's SASL_SSL listener" LOCAL_KAFKA_SASL_PORT
  resolve_jars
  make_tls
  write_config
  if [[ ! -f $KAFKA_DIR/data/meta.properties ]]; then
    local cluster_id
    cluster_id=$(python3 -c 'import base64, uuid; print(base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("="))')
    local scram; mapfile -t scram < <(scram_options)
    # "--cluster-id=": a base64 id may begin with "-", which would read as an option.
    java "${JAVA_OPTS[@]}" kafka.tools.StorageTool format --standalone --cluster-id="$cluster_id" -c "$CONFIG" -g \
      "${scram[@]}" >>"$LOG" 2>&1 \
      || { tail -n 5 "$LOG" >&2; die "formatting Kafka storage failed; the lines above are the end of $LOG"; }
    echo "${SCRAM_USERS[*]}" >"$KAFKA_DIR/data/.scram-users"
  fi
  # setsid: the broker outlives the shell that started it and ignores its Ctrl-C.
  nohup setsid java "${JAVA_OPTS[@]}" kafka.Kafka "$CONFIG" >>"$LOG" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
  if ! wait_for "kafka" 90 kafka_ready; then
    tail -n 20 "$LOG" >&2 || true
    pid_alive "$PIDFILE" && kill "$(cat "$PIDFILE")" 2>/dev/null
    rm -f "$PIDFILE"
    die "Kafka did not start within 90 s; the lines above are the end of $LOG"
  fi
  add_scram_users_once
  apply_acls
  say "kafka: ready on $KAFKA_HOST:$KAFKA_PORT (SASL_SSL with SCRAM on $KAFKA_SASL_PORT)"
}

# Storage formatted before a SCRAM user existed gets it once, through the admin API (the marker lists the users).
add_scram_users_once() {
  [[ -f $KAFKA_DIR/data/.scram-users && $(cat "$KAFKA_DIR/data/.scram-users") == "${SCRAM_USERS[*]}" ]] && return
  for user in "${SCRAM_USERS[@]}"; do
    java "${JAVA_OPTS[@]}" kafka.admin.ConfigCommand --bootstrap-server "$KAFKA_HOST:$KAFKA_PORT" --alter \
      --add-config "SCRAM-SHA-512=[password=dev-$user-password]" --entity-type users --entity-name "$user" \
      >>"$LOG" 2>&1 || die "adding the SCRAM user $user failed; see $LOG"
  done
  echo "${SCRAM_USERS[*]}" >"$KAFKA_DIR/data/.scram-users"
}

# The ACLs of every principal (shared/messaging/acls.py), through the admin API as the super user; existing
# ones stay. Needs the project's virtualenv (`make` creates it before starting the broker).
# Applied again whenever acls.py changes, also to a broker that is already running.
apply_acls() {
  [[ -x $VENV_PYTHON ]] || { say "kafka: no .venv yet, ACLs not applied (run make infra-up)"; return; }
  local wanted; wanted=$(sha256sum "$ROOT/shared/shared/messaging/acls.py" | cut -d' ' -f1)
  [[ -f $KAFKA_DIR/data/.acls && $(cat "$KAFKA_DIR/data/.acls") == "$wanted" ]] && return
  "$VENV_PYTHON" -m shared.messaging.acls apply --bootstrap-server "$KAFKA_HOST:$KAFKA_PORT" >>"$LOG" 2>&1 \
    || die "applying the ACLs failed; see $LOG"
  echo "$wanted" >"$KAFKA_DIR/data/.acls"
}

# kafka-acls against the local broker (as its super user), e.g.
#   deploy/kafka.sh acls --add --allow-principal User:orchestrator --operation Write --topic offboarding.notifier.commands
acls() {
  resolve_jars
  java "${JAVA_OPTS[@]}" org.apache.kafka.tools.AclCommand --bootstrap-server "$KAFKA_HOST:$KAFKA_PORT" "$@"
}

kafka_ready() {
  pid_alive "$PIDFILE" || { tail -n 20 "$LOG" >&2; rm -f "$PIDFILE"; die "Kafka exited during start-up; the lines above are the end of $LOG"; }
  port_open "$KAFKA_PORT"
}

case ${1:-} in
  start) start ;;
  stop) stop_pidfile "$PIDFILE" kafka ;;
  status) pid_alive "$PIDFILE" && echo "kafka: running (pid $(cat "$PIDFILE"))" || echo "kafka: stopped" ;;
  acls) shift; acls "$@" ;;
  apply-acls) apply_acls ;;
  *) die "usage: $0 start|stop|status|apply-acls|acls ARGS..." ;;
esac
