#!/usr/bin/env bash
# Run the benchmarks of issue 7 and write BENCHMARKS.md:
#   bash scripts/bench.sh quick   # `make bench-quick`, a few minutes
#   bash scripts/bench.sh full    # `make bench`, ~30 minutes (3 and 6, the imports, are about 12 of them)
# Starts PostgreSQL and Kafka (scripts/services-up.sh), builds the real
# userservice and usersctl binaries with a pprof hook compiled in through
# `go build -overlay` (cmd/userbench/pprofhook/hook.go; no source file of
# the service changes) and cmd/userbench, then runs userbench, which creates its own database,
# starts the service as separate processes, and compares every figure with a
# baseline (pgbench, raw Kafka producers) measured in the same run.
# Section 7 measures the cost of encrypting personal data: create-user and an
# import with MASTER_KEYS set and empty, alternating, in this same run.
# Extra arguments go to userbench, e.g. `-sections relay` or `-sections encryption`.
set -euo pipefail
LOG_TAG=bench
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

profile="${1:-quick}"
shift || true
case "$profile" in
  quick) target="make bench-quick" ;;
  full) target="make bench" ;;
  *) die "usage: $0 quick|full [userbench flags]" ;;
esac
cd "$ROOT"
GO="${GO:-go}"

log "starting PostgreSQL and Kafka"
bash scripts/services-up.sh >/dev/null

BIN="$CACHE_DIR/bench/bin"
mkdir -p "$BIN"
overlay="$BIN/overlay.json"
hook="$ROOT/cmd/userbench/pprofhook/hook.go"
printf '{"Replace":{"%s":"%s","%s":"%s"}}\n' \
  "$ROOT/cmd/userservice/zz_userbench_pprof.go" "$hook" "$ROOT/cmd/usersctl/zz_userbench_pprof.go" "$hook" >"$overlay"
log "building userservice and usersctl (with the pprof hook) and userbench"
"$GO" build -tags userbenchpprof -overlay "$overlay" -o "$BIN/userservice" ./cmd/userservice
"$GO" build -tags userbenchpprof -overlay "$overlay" -o "$BIN/usersctl" ./cmd/usersctl
"$GO" build -o "$BIN/userbench" ./cmd/userbench

pgbench_bin="$(command -v pgbench || true)"
if [ -z "$pgbench_bin" ]; then
  pgbench_bin="$(ls /usr/lib/postgresql/*/bin/pgbench 2>/dev/null | sort -V | tail -n1 || true)"
fi
[ -n "$pgbench_bin" ] || die "pgbench not found (it comes with the postgresql package that scripts/postgres-up.sh installs)"

log "running the $profile profile"
# ENCRYPT=1 runs with personal data encrypted (README "Personal data") and
# writes BENCHMARKS-encrypted.md, to compare with a plain run's BENCHMARKS.md.
out="$ROOT/BENCHMARKS.md"
encrypt=()
if [ "${ENCRYPT:-0}" = 1 ]; then
  out="$ROOT/BENCHMARKS-encrypted.md" encrypt=(-encrypt)
  target="ENCRYPT=1 $target"
fi
exec "$BIN/userbench" -profile "$profile" -service-bin "$BIN/userservice" -usersctl-bin "$BIN/usersctl" -pgbench "$pgbench_bin" \
  -go "$GO" -repo "$ROOT" -out "$out" -command "$target" "${encrypt[@]}" "$@"
