#!/usr/bin/env bash
# Ensure a PostgreSQL streaming replica of the shared cluster (127.0.0.1:5432,
# scripts/postgres-up.sh) runs on 127.0.0.1:$REPLICA_PORT (default 5434): a
# Debian cluster named "replica" whose data directory is a pg_basebackup of
# the primary over loopback, a hot standby following it through a physical
# replication slot. The roles read lists and searches from it with
# DATABASE_READ_URL (README, "Running at scale").
# Idempotent: a running, streaming replica is left alone; one that is not
# streaming (its slot lost, its data from another primary) is rebuilt.
# REPLICA_REBUILD=1 rebuilds it anyway. Prints DATABASE_READ_URL=... on stdout.
# Stop: scripts/postgres-replica-down.sh.
set -euo pipefail
LOG_TAG=pg-replica
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

PRIMARY_PORT=5432
REPLICA_PORT="${REPLICA_PORT:-5434}"
REPLICA_NAME=replica
SLOT=userservice_replica
REPL_ROLE=userservice_replication
REPL_PASSWORD=userservice_replication
PG_ROLE=userservice
READ_URL="postgres://userservice:userservice@127.0.0.1:$REPLICA_PORT/userservice?sslmode=disable"
WAIT_SECS="${PG_WAIT_SECS:-60}"
# The replica is one per machine (the primary is): a lock outside the checkout.
exec 9>"${TMPDIR:-/tmp}/userservice-postgres-replica.lock"
flock -w 600 9 || die "timed out waiting for the replica lock"

PGPORT=$PRIMARY_PORT "$here/postgres-up.sh" >/dev/null 9>&-

psql_su() { # $1 = port, rest = psql args
  local port="$1"; shift
  runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$port" -d postgres -At "$@"
}
[ "$(id -u)" -eq 0 ] || die "run as root (it creates a cluster and edits pg_hba.conf)"

# ------------------------------------------------ the primary's side
if [ "$(psql_su $PRIMARY_PORT -c "select 1 from pg_roles where rolname = '$REPL_ROLE'")" != 1 ]; then
  log "creating replication role $REPL_ROLE on the primary"
  psql_su $PRIMARY_PORT -c "create role $REPL_ROLE login replication password '$REPL_PASSWORD'" >/dev/null
fi
# The tests pause and resume the replay to show which server a read hit;
# granted on the primary, the grant reaches the replica with everything else.
# A function's grant is per database: every one (template1 for those created later).
for db in $(psql_su $PRIMARY_PORT -c "select datname from pg_database where datallowconn"); do
  psql_su $PRIMARY_PORT -d "$db" -c "grant execute on function pg_wal_replay_pause(), pg_wal_replay_resume() to $PG_ROLE" >/dev/null
done
HBA_FILE="$(psql_su $PRIMARY_PORT -c 'show hba_file')"
HBA_MARK="# userservice: replication, added by scripts/postgres-replica-up.sh"
reload=0
if ! grep -qF "$HBA_MARK" "$HBA_FILE"; then
  log "allowing replication connections of $REPL_ROLE from 127.0.0.1 in $HBA_FILE"
  tmp="$(mktemp)"
  { echo "$HBA_MARK"; echo "host    replication     $REPL_ROLE   127.0.0.1/32            scram-sha-256"; cat "$HBA_FILE"; } >"$tmp"
  cp "$tmp" "$HBA_FILE"; rm -f "$tmp"
  reload=1
fi
# A slot keeps the WAL the replica has not received, but never more than
# this: a replica left stopped must not fill the primary's disk (past it the
# slot is invalidated and this script rebuilds the replica).
if [ "$(psql_su $PRIMARY_PORT -c 'show max_slot_wal_keep_size')" != 2GB ]; then
  psql_su $PRIMARY_PORT -c "alter system set max_slot_wal_keep_size = '2GB'" >/dev/null
  reload=1
fi
[ "$reload" = 0 ] || { psql_su $PRIMARY_PORT -c 'select pg_reload_conf()' >/dev/null; sleep 0.5; }

# ---------------------------------------------------------- the replica
PGVER="$(pg_lsclusters -h | awk -v p=$PRIMARY_PORT '$3==p {print $1; exit}')"
[ -n "$PGVER" ] || die "no primary cluster on port $PRIMARY_PORT"
PGBIN="/usr/lib/postgresql/$PGVER/bin"
DATA="/var/lib/postgresql/$PGVER/$REPLICA_NAME"
# "online,recovery" for a running standby, "down" for a stopped one.
status() { pg_lsclusters -h | awk -v v="$PGVER" -v c=$REPLICA_NAME '$1==v && $2==c {print $4}'; }
online() { [[ "$(status)" == online* ]]; }
streaming() {
  [ "$(psql_su "$REPLICA_PORT" -c 'select pg_is_in_recovery()' 2>/dev/null)" = t ] &&
    [ "$(psql_su $PRIMARY_PORT -c "select count(*) from pg_stat_replication where application_name = '$REPLICA_NAME' and state = 'streaming'")" = 1 ]
}
wait_streaming() {
  for _ in $(seq 1 "$1"); do streaming && return 0; sleep 1; done
  return 1
}

rebuild() {
  log "building the replica $PGVER/$REPLICA_NAME on port $REPLICA_PORT (pg_basebackup of 127.0.0.1:$PRIMARY_PORT)"
  if [ -n "$(status)" ]; then
    ! online || pg_ctlcluster "$PGVER" $REPLICA_NAME stop -m immediate 9>&- || true
  else
    pg_createcluster --port "$REPLICA_PORT" "$PGVER" $REPLICA_NAME >/dev/null 9>&-
  fi
  psql_su $PRIMARY_PORT -c "select pg_drop_replication_slot('$SLOT') from pg_replication_slots where slot_name = '$SLOT'" >/dev/null
  rm -rf "$DATA"
  # -R writes standby.signal and primary_conninfo; -C -S creates the slot;
  # -X stream copies the WAL written during the backup as it goes.
  runuser -u postgres -- env PGPASSWORD=$REPL_PASSWORD PGAPPNAME=$REPLICA_NAME "$PGBIN/pg_basebackup" \
    -h 127.0.0.1 -p $PRIMARY_PORT -U $REPL_ROLE -D "$DATA" -X stream -R -C -S $SLOT -c fast \
    || die "pg_basebackup failed"
  # postgresql.auto.conf came with the backup: keep the primary's
  # max_connections (a hot standby needs at least as many) but not its
  # shared_buffers (the replica serves a few list reads).
  sed -i '/^shared_buffers/d' "$DATA/postgresql.auto.conf"
  grep -q application_name "$DATA/postgresql.auto.conf" ||
    sed -i "s/^primary_conninfo = '/primary_conninfo = 'application_name=$REPLICA_NAME /" "$DATA/postgresql.auto.conf"
  local conf="/etc/postgresql/$PGVER/$REPLICA_NAME"
  pg_conftool "$PGVER" $REPLICA_NAME set shared_buffers 128MB
  pg_conftool "$PGVER" $REPLICA_NAME set hot_standby on
  # Replies every second, so the primary's replay_lag stays current.
  pg_conftool "$PGVER" $REPLICA_NAME set wal_receiver_status_interval 1s
  if ! grep -qF "# userservice:" "$conf/pg_hba.conf"; then
    tmp="$(mktemp)"
    { echo "# userservice: added by scripts/postgres-replica-up.sh"
      echo "host    all             $PG_ROLE     127.0.0.1/32            scram-sha-256"; cat "$conf/pg_hba.conf"; } >"$tmp"
    cp "$tmp" "$conf/pg_hba.conf"; chown postgres:postgres "$conf/pg_hba.conf"; rm -f "$tmp"
  fi
  pg_ctlcluster "$PGVER" $REPLICA_NAME start 9>&- || { tail -n 20 "/var/log/postgresql/postgresql-$PGVER-$REPLICA_NAME.log" >&2; die "the replica did not start"; }
}

if [ "${REPLICA_REBUILD:-0}" = 1 ] || [ -z "$(status)" ] || [ ! -f "$DATA/standby.signal" ]; then
  rebuild
elif ! online; then
  log "starting the replica $PGVER/$REPLICA_NAME"
  pg_ctlcluster "$PGVER" $REPLICA_NAME start 9>&- || rebuild
fi
if ! wait_streaming 20; then
  log "the replica is not streaming from the primary (slot invalidated? another primary's data?): rebuilding"
  rebuild
  wait_streaming "$WAIT_SECS" || { tail -n 20 "/var/log/postgresql/postgresql-$PGVER-$REPLICA_NAME.log" >&2; die "the rebuilt replica is not streaming"; }
fi
PGCONNECT_TIMEOUT=3 psql -X -q "$READ_URL" -Atc 'select 1' >/dev/null || die "replica not reachable as $PG_ROLE at $READ_URL"
log "ready: streaming from 127.0.0.1:$PRIMARY_PORT, lag $(psql_su $PRIMARY_PORT -c "select coalesce(replay_lag::text, '0') from pg_stat_replication where application_name = '$REPLICA_NAME'")"
echo "DATABASE_READ_URL=$READ_URL"
