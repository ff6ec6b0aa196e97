#!/usr/bin/env bash
# Stop the streaming replica of scripts/postgres-replica-up.sh. CLEAN=1 also
# drops it (cluster and data) and its replication slot on the primary, so the
# primary keeps no WAL for it.
set -euo pipefail
LOG_TAG=pg-replica
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
exec 9>"${TMPDIR:-/tmp}/userservice-postgres-replica.lock"
flock -w 600 9 || die "timed out waiting for the replica lock"
command -v pg_lsclusters >/dev/null 2>&1 || { log "PostgreSQL not installed; nothing to stop"; exit 0; }
read -r ver status < <(pg_lsclusters -h | awk '$2=="replica" {print $1, $4; exit}'; echo) || true
[ -n "${ver:-}" ] || { log "no replica cluster"; exit 0; }
if [[ "$status" == online* ]]; then  # a hot standby is "online,recovery"
  log "stopping the replica $ver/replica"
  as_root pg_ctlcluster "$ver" replica stop -m fast 9>&-
fi
if [ "${CLEAN:-0}" = 1 ]; then
  log "dropping the replica and its slot"
  as_root pg_dropcluster "$ver" replica
  runuser -u postgres -- psql -X -q -p 5432 -d postgres -Atc \
    "select pg_drop_replication_slot('userservice_replica') from pg_replication_slots where slot_name = 'userservice_replica'" >/dev/null || true
fi
