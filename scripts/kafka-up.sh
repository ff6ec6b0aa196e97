#!/usr/bin/env bash
# Start a single-node Apache Kafka 4.x broker (KRaft, broker+controller) on
# 127.0.0.1:9092 from jars fetched with Maven into .cache/kafka/libs.
# Idempotent: if a broker already answers on 127.0.0.1:9092 it does nothing.
#
# KAFKA_INSTANCE=NAME KAFKA_PORT=PORT starts a separate, private broker on
# 127.0.0.1:PORT (controller PORT+1) with its own data in .cache/kafka-NAME:
# tests that stop and start a broker (disruptive, chaos) use one, so they
# never disturb the shared broker other tests are using.
set -euo pipefail
LOG_TAG=kafka
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

KAFKA_HOST=127.0.0.1
# shellcheck source=lib/kafka-instance.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/kafka-instance.sh"
KAFKA_BROKERS="$KAFKA_HOST:$KAFKA_PORT"
KAFKA_VERSION="${KAFKA_VERSION:-}"            # empty = the version in the POM
KAFKA_WAIT_SECS="${KAFKA_WAIT_SECS:-180}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms512m -Xmx1g}"
# Fixed id: the data dir is only ever formatted by this script.
CLUSTER_ID="${KAFKA_CLUSTER_ID:-dXNlcnNlcnZpY2UtbG9jYQ}"

CONF_DIR="$ROOT/scripts/kafka"
POM="$CONF_DIR/pom.xml"
LOG4J_CONF="$CONF_DIR/log4j2.properties"
LIBS="$CACHE_DIR/kafka/libs" # the jars are shared by every instance
DATA="$KDIR/data"
SERVER_LOG="$KDIR/server.log"
# Every collector pause with its wall-clock time, to line up with a latency
# tail (userbench section 4). The collector settings stay G1's defaults: on
# this 2-core machine Kafka's own (kafka-run-class.sh: MaxGCPauseMillis=20,
# IHOP 35) made young pauses shorter (median 10 against 26 ms) but three
# times as frequent, 2 to 4 times the pause time in a latency window (426
# to 796 against 90 to 223 ms in 30 s), and the p99 no better.
GC_LOG="$KDIR/gc.log"
STDOUT_LOG="$KDIR/stdout.log"
mkdir -p "$KDIR" "$CACHE_DIR/kafka"
take_lock "$KAFKA_LOCK"
write_instance_props

# ------------------------------------------------------------- helpers
ensure_kcat() {
  command -v kcat >/dev/null 2>&1 && return 0
  apt_install kcat
  command -v kcat >/dev/null 2>&1 || die "kcat still missing after apt-get install"
}

# Something accepts TCP connections on 127.0.0.1:9092 (Kafka or not).
port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/$KAFKA_HOST/$KAFKA_PORT" 2>/dev/null; }

# True when a broker answers a metadata request with at least one broker.
# The cheap TCP probe first: kcat waits its full timeout on a closed port.
broker_answers() {
  local out
  port_open || return 1
  out="$(timeout 10 kcat -b "$KAFKA_BROKERS" -L -m 3 2>/dev/null)" || return 1
  grep -qE '^ *[1-9][0-9]* brokers?:' <<<"$out"
}

# Pid from the pid file if that process is alive and really our broker.
live_pid() {
  local pid
  [ -f "$PIDFILE" ] || return 1
  pid="$(tr -dc '0-9' <"$PIDFILE")"
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'kafka\.Kafka' || return 1
  echo "$pid"
}

# A broker of ours whose pid file is gone (e.g. deleted .cache/kafka/kafka.pid).
orphan_pid() {
  pgrep -f -- "kafka\.Kafka $SERVER_PROPS\$" | head -n1
}

show_logs() {
  if [ -s "$SERVER_LOG" ]; then
    log "last 40 lines of $SERVER_LOG:"; tail -n 40 "$SERVER_LOG" >&2
  fi
  if [ -s "$STDOUT_LOG" ]; then
    log "last 20 lines of $STDOUT_LOG:"; tail -n 20 "$STDOUT_LOG" >&2
  fi
}

wait_ready() { # $1 = pid being waited for (may be empty)
  local pid="${1:-}" deadline=$((SECONDS + KAFKA_WAIT_SECS))
  log "waiting (max ${KAFKA_WAIT_SECS}s) for the broker to answer metadata on $KAFKA_BROKERS"
  until broker_answers; do
    if [ -n "$pid" ] && ! alive "$pid"; then
      show_logs; rm -f "$PIDFILE"
      die "broker process $pid exited during startup"
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      show_logs
      die "broker did not answer on $KAFKA_BROKERS within ${KAFKA_WAIT_SECS}s"
    fi
    sleep 0.5
  done
}

# ------------------------------------------------------------ 0. ready?
ensure_kcat
if broker_answers; then
  log "already running: a broker answers on $KAFKA_BROKERS"
  exit 0
fi

# A broker of ours may be alive but still starting (or recovering logs).
if pid="$(live_pid)" || pid="$(orphan_pid)" && [ -n "$pid" ]; then
  echo "$pid" >"$PIDFILE"
  log "broker process $pid is alive but not answering yet"
  wait_ready "$pid"
  log "ready: KAFKA_BROKERS=$KAFKA_BROKERS"
  exit 0
fi
if [ -f "$PIDFILE" ]; then
  log "removing stale pid file ($(cat "$PIDFILE" 2>/dev/null || true))"
  rm -f "$PIDFILE"
fi
if port_open; then
  die "port $KAFKA_PORT is in use by something that does not answer Kafka metadata requests"
fi

# ----------------------------------------------------------- 1. tooling
command -v java >/dev/null 2>&1 || apt_install openjdk-17-jre-headless
command -v mvn >/dev/null 2>&1 || apt_install maven

# ---------------------------------------------------------- 2. the jars
# The marker records which POM (and version override) the jars came from,
# so an edit of the POM triggers a re-fetch.
want_stamp="$(sha256sum "$POM" | cut -c1-16)${KAFKA_VERSION:+-$KAFKA_VERSION}"
# Every instance shares the jars: fetch them under a lock of their own.
exec 8>"$CACHE_DIR/kafka-jars.lock"
flock -w 600 8 || die "timed out waiting for $CACHE_DIR/kafka-jars.lock"
if [ "$(cat "$LIBS/.stamp" 2>/dev/null || true)" != "$want_stamp" ] ||
   ! compgen -G "$LIBS/kafka_2.13-*.jar" >/dev/null; then
  fetch() { # $1 = kafka version override (empty = POM default)
    rm -rf "$LIBS.tmp"
    mvn -q -B -f "$POM" dependency:copy-dependencies \
      -DoutputDirectory="$LIBS.tmp" ${1:+-Dkafka.version="$1"} >"$KDIR/mvn.log" 2>&1
  }
  log "fetching Kafka broker jars with Maven (${KAFKA_VERSION:-POM default}) into $LIBS"
  if ! fetch "$KAFKA_VERSION"; then
    if [ -z "$KAFKA_VERSION" ]; then
      log "POM version did not resolve; falling back to the newest Kafka 4.x"
      fetch '[4.0.0,5.0.0)' || { tail -n 30 "$KDIR/mvn.log" >&2; die "maven fetch failed"; }
    else
      tail -n 30 "$KDIR/mvn.log" >&2; die "maven fetch of Kafka $KAFKA_VERSION failed"
    fi
  fi
  rm -rf "$LIBS"
  mv "$LIBS.tmp" "$LIBS"
  echo "$want_stamp" >"$LIBS/.stamp"
fi
exec 8>&-
KAFKA_JAR="$(ls "$LIBS"/kafka_2.13-*.jar | head -n1)"
KVER="$(basename "$KAFKA_JAR" .jar)"; KVER="${KVER#kafka_2.13-}"
log "Kafka $KVER ($(ls "$LIBS"/*.jar | wc -l) jars)"

JAVA_CMD=(java -cp "$LIBS/*"
  -Dlog4j2.configurationFile="$LOG4J_CONF" -Dkafka.logs.dir="$KDIR")

# ----------------------------------------------------- 3. format storage
cd "$ROOT" # server.properties uses repo-relative paths
if [ ! -f "$DATA/meta.properties" ]; then
  log "formatting storage in $DATA (cluster id $CLUSTER_ID)"
  mkdir -p "$DATA"
  "${JAVA_CMD[@]}" -Xmx256m kafka.tools.StorageTool format \
    -t "$CLUSTER_ID" -c "$SERVER_PROPS" --ignore-formatted >"$KDIR/format.log" 2>&1 ||
    { cat "$KDIR/format.log" >&2; die "kafka storage format failed"; }
fi
# Leftover lock file from a killed broker: the OS lock died with the process
# (checked above that no broker of ours is alive), so the file is harmless,
# but remove it to leave no doubt.
rm -f "$DATA/.lock"

# ------------------------------------------------------------- 4. start
log "starting broker (log: $SERVER_LOG)"
: >"$STDOUT_LOG"
# setsid + nohup: survives this script and its terminal/session. The inner
# shell writes its own pid, then exec's java under that same pid.
# shellcheck disable=SC2086
setsid nohup bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$PIDFILE" \
  "${JAVA_CMD[@]}" $KAFKA_HEAP_OPTS -XX:+UseG1GC -Djava.awt.headless=true \
  "-Xlog:gc*:file=$GC_LOG:time,uptime,tags:filecount=4,filesize=20M" \
  kafka.Kafka "$SERVER_PROPS" >"$STDOUT_LOG" 2>&1 </dev/null 8>&- 9>&- &
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -s "$PIDFILE" ] && break; sleep 0.1; done
pid="$(cat "$PIDFILE" 2>/dev/null || true)"
[ -n "$pid" ] || die "broker did not start (no pid written)"
log "broker pid $pid"

wait_ready "$pid"
log "ready: KAFKA_BROKERS=$KAFKA_BROKERS (Kafka $KVER)"
