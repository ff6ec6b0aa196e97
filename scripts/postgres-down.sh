#!/usr/bin/env bash
# Stop the local PostgreSQL cluster listening on $PGPORT (default 5432).
# Harmless when PostgreSQL is not installed or already stopped.
# PG_INSTANCE=NAME PGPORT=PORT stops that private cluster (see postgres-up.sh).
set -euo pipefail
LOG_TAG=postgres
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
PGPORT="${PGPORT:-5432}"
take_lock "postgres${PG_INSTANCE:+-$PG_INSTANCE}"

if ! command -v pg_lsclusters >/dev/null 2>&1; then
  log "PostgreSQL not installed; nothing to stop"; exit 0
fi
found=0
while read -r ver name port status _; do
  [ "$port" = "$PGPORT" ] || continue
  found=1
  if [ "$status" = online ]; then
    log "stopping cluster $ver/$name (port $port)"
    as_root pg_ctlcluster "$ver" "$name" stop -m fast
  else
    log "cluster $ver/$name already $status"
  fi
done < <(pg_lsclusters -h 2>/dev/null)
[ "$found" = 1 ] || log "no cluster on port $PGPORT"
