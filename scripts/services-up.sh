#!/usr/bin/env bash
# Bring up everything the tests need: PostgreSQL + Kafka (in parallel;
# SERVICES_SEQUENTIAL=1 runs them one after the other). Prints the
# connection settings on stdout at the end, e.g. for `eval "$(...)"`-style use:
#   DATABASE_URL=postgres://userservice:userservice@127.0.0.1:5432/userservice?sslmode=disable
#   KAFKA_BROKERS=127.0.0.1:9092
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PGPORT="${PGPORT:-5432}"
start=$SECONDS

if [ "${SERVICES_SEQUENTIAL:-0}" = 1 ]; then
  "$here/postgres-up.sh"
  "$here/kafka-up.sh"
else
  # apt-get calls inside both scripts are serialised with flock (lib/common.sh).
  "$here/postgres-up.sh" & pg=$!
  "$here/kafka-up.sh" & kf=$!
  rc=0
  wait "$pg" || { echo "[services] postgres-up.sh failed" >&2; rc=1; }
  wait "$kf" || { echo "[services] kafka-up.sh failed" >&2; rc=1; }
  [ "$rc" = 0 ] || exit "$rc"
fi

echo "[services] up in $((SECONDS - start))s" >&2
echo "DATABASE_URL=postgres://userservice:userservice@127.0.0.1:$PGPORT/userservice?sslmode=disable"
echo "KAFKA_BROKERS=127.0.0.1:9092"
