#!/usr/bin/env bash
# Stop the local Kafka broker started by scripts/kafka-up.sh.
# SIGTERM (controlled shutdown), then SIGKILL after KAFKA_STOP_SECS (20 s).
# Harmless when the broker is not running; kafka-up.sh starts it again.
# KAFKA_INSTANCE=NAME KAFKA_PORT=PORT stops that private broker only.
set -euo pipefail
LOG_TAG=kafka
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

# shellcheck source=lib/kafka-instance.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/kafka-instance.sh"
STOP_SECS="${KAFKA_STOP_SECS:-20}"
take_lock "$KAFKA_LOCK"

is_our_broker() { # pid
  [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -q 'kafka\.Kafka'
}

pids=()
if [ -f "$PIDFILE" ]; then
  pid="$(tr -dc '0-9' <"$PIDFILE")"
  if [ -n "$pid" ] && is_our_broker "$pid"; then pids+=("$pid"); fi
fi
# Also a broker of this checkout whose pid file was lost.
while read -r p; do
  [ -n "$p" ] || continue
  [[ " ${pids[*]-} " == *" $p "* ]] || pids+=("$p")
done < <(pgrep -f -- "kafka\.Kafka $SERVER_PROPS\$" || true)
# Failing those, the same broker started by another checkout of this
# project: the shared one on 127.0.0.1:9092, or the private instance of this
# name (its port is the machine's too). "Down" must mean down.
if [ "${#pids[@]}" -eq 0 ]; then
  if [ -z "$KAFKA_INSTANCE" ]; then
    pattern='kafka\.Kafka .*/scripts/kafka/server\.properties$'
  else # the same private instance, started from another checkout: same port
    pattern="kafka\\.Kafka .*/\\.cache/kafka-$KAFKA_INSTANCE/server\\.properties\$"
  fi
  while read -r p; do
    [ -n "$p" ] && pids+=("$p")
  done < <(pgrep -f -- "$pattern" || true)
fi

if [ "${#pids[@]}" -eq 0 ]; then
  log "broker not running"
  rm -f "$PIDFILE"
  exit 0
fi

for pid in "${pids[@]}"; do
  log "stopping broker pid $pid (SIGTERM)"
  kill -TERM "$pid" 2>/dev/null || true
done
deadline=$((SECONDS + STOP_SECS))
for pid in "${pids[@]}"; do
  while alive "$pid"; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "broker pid $pid still alive after ${STOP_SECS}s; SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.2
  done
done
rm -f "$PIDFILE"
log "broker stopped"
