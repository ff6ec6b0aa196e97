#!/usr/bin/env bash
# Start a three-broker Apache Kafka cluster (KRaft, each node broker and
# controller, a static quorum of the three) on loopback, beside the single
# broker on 127.0.0.1:9092 that make run and the tests keep using:
#   brokers     127.0.0.1:25092, 127.0.0.1:25094, 127.0.0.1:25096
#   controllers 127.0.0.1:25093, 127.0.0.1:25095, 127.0.0.1:25097
# Topics default to replication factor 3 with min.insync.replicas=2, so with
# producers on acks=all (the relay's franz-go producer's default) a write
# survives the loss of one broker and is refused, not lost, past that.
# Each node is a private instance of scripts/kafka-up.sh (KAFKA_INSTANCE
# cluster-N, data in .cache/kafka-cluster-N). Idempotent. Prints
# KAFKA_BROKERS=... for the roles. Stop: scripts/kafka-cluster-down.sh;
# kill one node: KAFKA_INSTANCE=cluster-2 KAFKA_PORT=25094 scripts/kafka-down.sh.
set -euo pipefail
LOG_TAG=kafka-cluster
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

# Below Linux's ephemeral range (32768-60999): a port in it can be taken by
# any outgoing connection of a busy test run, and the broker then fails to
# bind (CI, 2026-12-07: 39093 was taken while the suite ran).
PORTS=(25092 25094 25096)
# A smaller heap than the single broker's: three JVMs share the machine.
export KAFKA_HEAP_OPTS="${KAFKA_CLUSTER_HEAP_OPTS:--Xms256m -Xmx512m}"
export KAFKA_CLUSTER_ID="${KAFKA_CLUSTER_ID:-dXNlcnNlcnZpY2UtY2x1cw}"
voters=""
for i in 0 1 2; do voters+="${voters:+,}$((i + 1))@127.0.0.1:$((PORTS[i] + 1))"; done
brokers=""
for p in "${PORTS[@]}"; do brokers+="${brokers:+,}127.0.0.1:$p"; done

mkdir -p "$CACHE_DIR"
pids=()
for i in 0 1 2; do
  node=$((i + 1))
  extra="$CACHE_DIR/kafka-cluster-$node.extra.properties"
  cat >"$extra" <<PROPS
node.id=$node
controller.quorum.voters=$voters
default.replication.factor=3
min.insync.replicas=2
offsets.topic.replication.factor=3
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
share.coordinator.state.topic.replication.factor=3
share.coordinator.state.topic.min.isr=2
PROPS
  # In parallel: a node alone has no quorum (two of three voters), so each
  # one's wait for an answering broker ends only once two are up.
  KAFKA_INSTANCE="cluster-$node" KAFKA_PORT="${PORTS[i]}" KAFKA_EXTRA_PROPS="$extra" \
    bash "$ROOT/scripts/kafka-up.sh" 2>"$CACHE_DIR/kafka-cluster-$node.up.log" &
  pids+=($!)
done
failed=0
for i in 0 1 2; do
  if ! wait "${pids[i]}"; then
    failed=1
    log "node $((i + 1)) failed to start:"; cat "$CACHE_DIR/kafka-cluster-$((i + 1)).up.log" >&2
  fi
done
[ "$failed" = 0 ] || die "the cluster did not start"

# Every broker must be registered before the cluster is called ready: a topic
# created against two of them would get fewer replicas than asked.
deadline=$((SECONDS + 120))
until [ "$(timeout 10 kcat -b "$brokers" -L -m 3 2>/dev/null | grep -cE '^ +broker [0-9]+ at ')" = 3 ]; do
  [ "$SECONDS" -lt "$deadline" ] || die "fewer than three brokers registered within 120s"
  sleep 0.5
done
log "ready: three brokers, replication factor 3, min.insync.replicas=2"
echo "KAFKA_BROKERS=$brokers"
