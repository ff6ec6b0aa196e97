# shellcheck shell=bash
# Which Kafka broker scripts/kafka-{up,down}.sh act on (sourced after common.sh).
#
# Default: the shared broker on 127.0.0.1:9092, data in .cache/kafka, config
# scripts/kafka/server.properties. KAFKA_INSTANCE=NAME (letters, digits, -)
# with KAFKA_PORT=PORT: a private broker on 127.0.0.1:PORT, controller on
# PORT+1, data and generated config in .cache/kafka-NAME.
# KAFKA_ADVERTISED_PORT (private instances only, default KAFKA_PORT): the port
# the broker tells clients to connect to after bootstrap, e.g. a test's TCP
# proxy in front of it that can stall or cut the connections.

KAFKA_INSTANCE="${KAFKA_INSTANCE:-}"
TEMPLATE_PROPS="$ROOT/scripts/kafka/server.properties"
if [ -z "$KAFKA_INSTANCE" ]; then
  KAFKA_PORT=9092
  KDIR="$CACHE_DIR/kafka"
  SERVER_PROPS="$TEMPLATE_PROPS"
  KAFKA_LOCK=kafka
else
  [[ "$KAFKA_INSTANCE" =~ ^[a-z0-9-]+$ ]] || die "KAFKA_INSTANCE must match [a-z0-9-]+ (got '$KAFKA_INSTANCE')"
  [[ "${KAFKA_PORT:-}" =~ ^[0-9]+$ ]] || die "KAFKA_INSTANCE=$KAFKA_INSTANCE needs KAFKA_PORT"
  [ "$KAFKA_PORT" != 9092 ] || die "port 9092 belongs to the shared broker"
  KDIR="$CACHE_DIR/kafka-$KAFKA_INSTANCE"
  SERVER_PROPS="$KDIR/server.properties"
  KAFKA_LOCK="kafka-$KAFKA_INSTANCE"
fi
KAFKA_CONTROLLER_PORT=$((KAFKA_PORT + 1))
PIDFILE="$KDIR/kafka.pid"

# write_instance_props derives a private instance's config from the shared
# template: its own ports and data directory, nothing else differs.
write_instance_props() {
  [ -n "$KAFKA_INSTANCE" ] || return 0
  mkdir -p "$KDIR"
  sed -e "s/127\.0\.0\.1:9093/127.0.0.1:$KAFKA_CONTROLLER_PORT/g" \
      -e "s/127\.0\.0\.1:9092/127.0.0.1:$KAFKA_PORT/g" \
      -e "s|^advertised\.listeners=.*|advertised.listeners=PLAINTEXT://127.0.0.1:${KAFKA_ADVERTISED_PORT:-$KAFKA_PORT}|" \
      -e "s|^log\.dirs=.*|log.dirs=$KDIR/data|" \
      "$TEMPLATE_PROPS" >"$SERVER_PROPS.tmp"
  # KAFKA_EXTRA_PROPS=file: settings appended (a later key wins), e.g. a
  # cluster member's node id and voters (scripts/kafka-cluster-up.sh).
  if [ -n "${KAFKA_EXTRA_PROPS:-}" ]; then cat "$KAFKA_EXTRA_PROPS" >>"$SERVER_PROPS.tmp"; fi
  mv "$SERVER_PROPS.tmp" "$SERVER_PROPS"
}
