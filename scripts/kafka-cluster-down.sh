#!/usr/bin/env bash
# Stop the three-broker cluster of scripts/kafka-cluster-up.sh (each node:
# SIGTERM, then SIGKILL after KAFKA_STOP_SECS). The data stays in
# .cache/kafka-cluster-N; CLEAN=1 removes it too.
set -euo pipefail
LOG_TAG=kafka-cluster
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
PORTS=(25092 25094 25096)
for i in 0 1 2; do
  KAFKA_INSTANCE="cluster-$((i + 1))" KAFKA_PORT="${PORTS[i]}" bash "$ROOT/scripts/kafka-down.sh" &
done
wait
if [ "${CLEAN:-0}" = 1 ]; then
  rm -rf "$CACHE_DIR"/kafka-cluster-{1,2,3} "$CACHE_DIR"/kafka-cluster-*.properties "$CACHE_DIR"/kafka-cluster-*.log
  log "data removed"
fi
