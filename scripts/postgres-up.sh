#!/usr/bin/env bash
# Ensure a local PostgreSQL cluster is installed, running on 127.0.0.1:$PGPORT,
# tuned for tests/benchmarks, with role + database "userservice".
# Idempotent: a second run only checks and returns within a second or two.
#
# PG_INSTANCE=NAME PGPORT=PORT: a separate, private cluster NAME on that port
# (same role, database and tuning). Tests that restart PostgreSQL (chaos) use
# one, so they never disturb the shared cluster other tests are using.
set -euo pipefail
LOG_TAG=postgres
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

PGPORT="${PGPORT:-5432}"
PG_INSTANCE="${PG_INSTANCE:-}"
if [ -n "$PG_INSTANCE" ]; then
  [[ "$PG_INSTANCE" =~ ^[a-z0-9_]+$ ]] || die "PG_INSTANCE must match [a-z0-9_]+ (got '$PG_INSTANCE')"
  [ "$PGPORT" != 5432 ] || die "PG_INSTANCE=$PG_INSTANCE needs its own PGPORT (5432 is the shared cluster)"
fi
PG_ROLE=userservice
PG_PASSWORD=userservice
PG_DB=userservice
DATABASE_URL="postgres://$PG_ROLE:$PG_PASSWORD@127.0.0.1:$PGPORT/$PG_DB?sslmode=disable"
WAIT_SECS="${PG_WAIT_SECS:-30}"
take_lock "postgres${PG_INSTANCE:+-$PG_INSTANCE}"

# ---------------------------------------------------------------- install
server_installed() {
  command -v pg_ctlcluster >/dev/null 2>&1 && command -v pg_lsclusters >/dev/null 2>&1 &&
    compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null
}
if ! server_installed; then
  log "PostgreSQL server not installed; installing (apt-get update + install)"
  apt_get update >/dev/null 2>&1 || log "apt-get update reported errors; trying install anyway"
  apt_install postgresql postgresql-contrib
  server_installed || die "PostgreSQL server binaries still missing after install"
fi

# --------------------------------------------------------------- cluster
# pg_lsclusters -h: "ver cluster port status owner datadir logfile"
pick_cluster() {
  local ver name port best=""
  while read -r ver name port _ _; do
    [ -n "$ver" ] || continue
    if [ -n "$PG_INSTANCE" ]; then # a private instance: that cluster or none
      [ "$name" = "$PG_INSTANCE" ] && { echo "$ver $name"; return; }
      continue
    fi
    if [ "$port" = "$PGPORT" ]; then echo "$ver $name"; return; fi
    [ -n "$best" ] || best="$ver $name"
  done < <(pg_lsclusters -h 2>/dev/null | sort -k1,1nr)
  [ -z "$best" ] || echo "$best"
}

read -r PGVER PGCLUSTER < <(pick_cluster; echo) || true
if [ -z "${PGVER:-}" ]; then
  PGVER="$(basename "$(dirname "$(dirname "$(ls -d /usr/lib/postgresql/*/bin/postgres | sort -V | tail -1)")")")"
  PGCLUSTER="${PG_INSTANCE:-main}"
  log "no cluster found; creating $PGVER/$PGCLUSTER on port $PGPORT"
  as_root pg_createcluster --port "$PGPORT" "$PGVER" "$PGCLUSTER" >/dev/null 9>&-
fi
log "using cluster $PGVER/$PGCLUSTER"
PGBIN="/usr/lib/postgresql/$PGVER/bin"

cluster_field() { # $1 = awk column (3=port 4=status)
  pg_lsclusters -h | awk -v v="$PGVER" -v c="$PGCLUSTER" -v f="$1" '$1==v && $2==c {print $f}'
}

need_restart=0
if [ "$(cluster_field 3)" != "$PGPORT" ]; then
  log "setting port $PGPORT (was $(cluster_field 3))"
  as_root pg_conftool "$PGVER" "$PGCLUSTER" set port "$PGPORT"
  need_restart=1
fi

if [ "$(cluster_field 4)" != "online" ]; then
  log "starting cluster $PGVER/$PGCLUSTER"
  # A crashed server can leave a stale postmaster.pid; pg_ctl handles a pid
  # that no longer exists, so a plain start is enough.
  # Retry: after a crash the old postmaster may linger briefly (e.g. as an
  # unreaped zombie), making the socket lock file look in use.
  for attempt in 1 2 3 4 5 6; do
    as_root pg_ctlcluster "$PGVER" "$PGCLUSTER" start 9>&- 2>"$CACHE_DIR/pg-start.err" && break
    [ "$attempt" -lt 6 ] || { cat "$CACHE_DIR/pg-start.err" >&2; die "could not start cluster $PGVER/$PGCLUSTER"; }
    log "start failed (attempt $attempt), retrying in 2s: $(grep -m1 -E 'FATAL|Error' "$CACHE_DIR/pg-start.err" || true)"
    sleep 2
  done
  need_restart=0
fi

# Superuser SQL over the unix socket (peer auth as the postgres OS user).
psql_su() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$PGPORT" -d postgres -At "$@"
  else
    sudo -u postgres psql -X -q -v ON_ERROR_STOP=1 -p "$PGPORT" -d postgres -At "$@"
  fi
}

# Wait until the superuser socket connection works (start can lag a bit).
for _ in $(seq 1 "$WAIT_SECS"); do
  psql_su -c 'select 1' >/dev/null 2>&1 && break
  sleep 1
done
psql_su -c 'select 1' >/dev/null || die "cannot connect as postgres via unix socket on port $PGPORT"

# ---------------------------------------------------------------- tuning
settings_changed=0
# ensure_setting NAME VALUE: ALTER SYSTEM only when the running value differs.
# Values are compared in the unit used here (8kB pages are shown as MB).
ensure_setting() {
  local name="$1" want="$2" cur auto
  cur="$(psql_su -c "select case when unit='8kB' then (setting::bigint*8/1024)||'MB' else setting end from pg_settings where name='$name'")"
  [ "$cur" = "$want" ] && return 0
  # Already written by ALTER SYSTEM (e.g. an earlier run) but not yet applied?
  auto="$(psql_su -c "select setting from pg_file_settings where name='$name' and sourcefile like '%postgresql.auto.conf' order by seqno desc limit 1")"
  if [ "$auto" != "$want" ]; then
    log "ALTER SYSTEM SET $name = '$want' (was $cur)"
    psql_su -c "alter system set $name = '$want'" >/dev/null
  fi
  settings_changed=1
}
ensure_setting max_connections 200
ensure_setting shared_buffers 512MB
ensure_setting fsync on
# Default 'localhost' covers 127.0.0.1; only fix configs without TCP on it.
case ",$(psql_su -c 'show listen_addresses' | tr -d ' ')," in
  *,localhost,*|*,127.0.0.1,*|*,\*,*|*,0.0.0.0,*) ;;
  *) ensure_setting listen_addresses localhost ;;
esac

# --------------------------------------------------------------- pg_hba
HBA_FILE="$(psql_su -c 'show hba_file')"
HBA_RULE="host    all             $PG_ROLE     127.0.0.1/32            scram-sha-256"
HBA_MARK="# userservice: added by scripts/postgres-up.sh"
if ! as_root grep -qF "$HBA_MARK" "$HBA_FILE"; then
  log "adding pg_hba rule for $PG_ROLE on 127.0.0.1 (scram-sha-256) to $HBA_FILE"
  tmp="$(mktemp)"
  # Prepend: pg_hba is first-match, so our rule must precede any reject rule.
  { echo "$HBA_MARK"; echo "$HBA_RULE"; as_root cat "$HBA_FILE"; } >"$tmp"
  as_root cp "$tmp" "$HBA_FILE"
  rm -f "$tmp"
  settings_changed=1
fi

if [ "$settings_changed" = 1 ]; then
  psql_su -c 'select pg_reload_conf()' >/dev/null
  sleep 0.5 # let the postmaster + backends process SIGHUP
fi
# pending_restart may also be set by an earlier run that failed half-way.
if [ -n "$(psql_su -c "select string_agg(name, ',') from pg_settings where pending_restart")" ]; then
  need_restart=1
fi
if [ "$need_restart" = 1 ]; then
  log "restarting cluster to apply: $(psql_su -c "select coalesce(string_agg(name, ','), 'port') from pg_settings where pending_restart")"
  as_root pg_ctlcluster "$PGVER" "$PGCLUSTER" restart -m fast 9>&-
  for _ in $(seq 1 "$WAIT_SECS"); do
    psql_su -c 'select 1' >/dev/null 2>&1 && break
    sleep 1
  done
fi

# ------------------------------------------------------- role + database
if [ "$(psql_su -c "select 1 from pg_roles where rolname = '$PG_ROLE'")" != 1 ]; then
  log "creating role $PG_ROLE"
  psql_su -c "create role $PG_ROLE login createdb password '$PG_PASSWORD'" >/dev/null
fi
# The benchmark checkpoints between the steps it compares (cmd/userbench,
# section 5), so that no step pays for the dirty pages of the one before;
# CHECKPOINT needs pg_checkpoint (PostgreSQL 15+). A development grant only.
if [ "$(psql_su -c "select 1 from pg_roles where rolname = 'pg_checkpoint'")" = 1 ] &&
  [ "$(psql_su -c "select 1 from pg_auth_members m join pg_roles r on r.oid = m.roleid join pg_roles u on u.oid = m.member where r.rolname = 'pg_checkpoint' and u.rolname = '$PG_ROLE'")" != 1 ]; then
  psql_su -c "grant pg_checkpoint to $PG_ROLE" >/dev/null
fi
if [ "$(psql_su -c "select 1 from pg_database where datname = '$PG_DB'")" != 1 ]; then
  log "creating database $PG_DB owned by $PG_ROLE"
  psql_su -c "create database $PG_DB owner $PG_ROLE" >/dev/null
fi

# ------------------------------------------------------------ readiness
tcp_ok() { PGCONNECT_TIMEOUT=3 psql -X -q "$DATABASE_URL" -Atc 'select 1' >/dev/null 2>&1; }
if ! tcp_ok; then
  # Role may pre-exist with another password / attributes: (re)set them.
  psql_su -c "alter role $PG_ROLE login createdb password '$PG_PASSWORD'" >/dev/null
fi
deadline=$((SECONDS + WAIT_SECS))
until tcp_ok; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    PGCONNECT_TIMEOUT=3 psql -X "$DATABASE_URL" -c 'select 1' >&2 || true
    log "last log lines:"; as_root tail -n 20 "/var/log/postgresql/postgresql-$PGVER-$PGCLUSTER.log" >&2 || true
    die "PostgreSQL not reachable as $PG_ROLE over TCP 127.0.0.1:$PGPORT after ${WAIT_SECS}s"
  fi
  sleep 1
done

# ---------------------------------------------------------------- pgbench
if command -v pgbench >/dev/null 2>&1 && pgbench --version >/dev/null 2>&1; then
  log "pgbench: $(command -v pgbench) ($(pgbench --version)); binary $PGBIN/pgbench"
elif [ -x "$PGBIN/pgbench" ]; then
  log "pgbench not on PATH; use $PGBIN/pgbench ($("$PGBIN/pgbench" --version))"
else
  log "WARNING: pgbench not found (expected at $PGBIN/pgbench)"
fi
log "ready: $DATABASE_URL"
