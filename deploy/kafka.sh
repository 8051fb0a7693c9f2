#!/usr/bin/env bash
# Local Apache Kafka from its official jars: one KRaft node (broker + controller) on 127.0.0.1.
# Usage: deploy/kafka.sh start|stop|status. Data and logs live under .local/kafka.
source "$(dirname "$0")/common.sh"

KAFKA_DIR=$LOCAL_DIR/kafka
LIBS=$KAFKA_DIR/libs
CONFIG=$KAFKA_DIR/server.properties
PIDFILE=$KAFKA_DIR/kafka.pid
LOG=$LOG_DIR/kafka.log

resolve_jars() {
  [[ -f $LIBS/.resolved ]] && return
  command -v mvn >/dev/null || die "Maven (mvn) is not installed; it resolves the Kafka jars (apt-get install maven)"
  say "kafka: resolving broker jars with Maven (first run only)"
  mvn -q -B -f "$ROOT/deploy/kafka/pom.xml" -Dkafka.libs="$LIBS" package >"$LOG_DIR/kafka-maven.log" 2>&1 \
    || die "Maven could not resolve the Kafka jars; see $LOG_DIR/kafka-maven.log"
  touch "$LIBS/.resolved"
}

write_config() {
  mkdir -p "$KAFKA_DIR/data"
  # Auto-create is off: topics are created by the services' own code with their partition counts.
  cat >"$CONFIG" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT,CONTROLLER://$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
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

# The JVM flags both the storage tool and the broker run with: a modest heap for a 2-core dev machine.
JAVA_OPTS=(-Xms128m -Xmx"$KAFKA_HEAP" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true
  -Dlog4j2.configurationFile="$ROOT/deploy/kafka/log4j2.properties" -Dkafka.logs.dir="$LOG_DIR" -cp "$LIBS/*")

start() {
  if pid_alive "$PIDFILE"; then say "kafka: already running (pid $(cat "$PIDFILE"))"; return; fi
  command -v java >/dev/null || die "Java is not installed; the local Kafka broker needs Java 17+ (apt-get install openjdk-17-jre-headless)"
  require_free_port "$KAFKA_PORT" "Kafka" LOCAL_KAFKA_PORT
  require_free_port "$KAFKA_CONTROLLER_PORT" "the Kafka controller" LOCAL_KAFKA_CONTROLLER_PORT
  resolve_jars
  write_config
  if [[ ! -f $KAFKA_DIR/data/meta.properties ]]; then
    local cluster_id
    cluster_id=$(python3 -c 'import base64, uuid; print(base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("="))')
    # "--cluster-id=": a base64 id may begin with "-", which would read as an option.
    java "${JAVA_OPTS[@]}" kafka.tools.StorageTool format --standalone --cluster-id="$cluster_id" -c "$CONFIG" -g \
      >>"$LOG" 2>&1 || { tail -n 5 "$LOG" >&2; die "formatting Kafka storage failed; the lines above are the end of $LOG"; }
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
  say "kafka: ready on $KAFKA_HOST:$KAFKA_PORT"
}

kafka_ready() {
  pid_alive "$PIDFILE" || { tail -n 20 "$LOG" >&2; rm -f "$PIDFILE"; die "Kafka exited during start-up; the lines above are the end of $LOG"; }
  port_open "$KAFKA_PORT"
}

case ${1:-} in
  start) start ;;
  stop) stop_pidfile "$PIDFILE" kafka ;;
  status) pid_alive "$PIDFILE" && echo "kafka: running (pid $(cat "$PIDFILE"))" || echo "kafka: stopped" ;;
  *) die "usage: $0 start|stop|status" ;;
esac
