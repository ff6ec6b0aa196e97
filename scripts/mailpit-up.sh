#!/usr/bin/env bash
# Start mailpit, the SMTP server the notification tests send to: SMTP on
# 127.0.0.1:1025, web/API on 127.0.0.1:8025. The binary is built with
# `go install github.com/axllent/mailpit@<version>` (from the Go module proxy)
# into .cache/bin. Idempotent: if the API already answers it does nothing.
set -euo pipefail
LOG_TAG=mailpit
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

MAILPIT_VERSION="${MAILPIT_VERSION:-v1.33.1}"
SMTP_ADDR=127.0.0.1:1025
API_ADDR=127.0.0.1:8025
MDIR="$CACHE_DIR/mailpit"
BIN="$CACHE_DIR/bin/mailpit"
PIDFILE="$MDIR/mailpit.pid"
mkdir -p "$MDIR" "$CACHE_DIR/bin"
take_lock mailpit

command -v curl >/dev/null 2>&1 || apt_install curl ca-certificates
api_up() { curl -fsS -o /dev/null "http://$API_ADDR/api/v1/info" 2>/dev/null; }

if api_up; then
  log "already running on $SMTP_ADDR (API $API_ADDR)"
  exit 0
fi
# `mailpit version` would ask GitHub for the latest release: the built
# version is noted beside the binary instead.
if [ ! -x "$BIN" ] || [ "$(cat "$BIN.version" 2>/dev/null)" != "$MAILPIT_VERSION" ]; then
  command -v go >/dev/null 2>&1 || die "go is needed to build mailpit"
  log "building mailpit $MAILPIT_VERSION (go install, a minute or two the first time)"
  GOBIN="$CACHE_DIR/bin" GOFLAGS=-buildvcs=false go install "github.com/axllent/mailpit@$MAILPIT_VERSION" >&2
  echo "$MAILPIT_VERSION" >"$BIN.version"
fi
# No --database: mailpit keeps mail in a temporary file deleted on exit.
# setsid + nohup: survives this script; 9>&- so it does not hold the lock.
setsid nohup "$BIN" --smtp "$SMTP_ADDR" --listen "$API_ADDR" --disable-version-check \
  --smtp-auth-accept-any --smtp-auth-allow-insecure >"$MDIR/mailpit.log" 2>&1 </dev/null 9>&- &
echo $! >"$PIDFILE"
for _ in $(seq 1 50); do
  if api_up; then
    log "up on $SMTP_ADDR (API $API_ADDR), pid $(cat "$PIDFILE")"
    exit 0
  fi
  alive "$(cat "$PIDFILE")" || { tail -20 "$MDIR/mailpit.log" >&2; die "mailpit exited"; }
  sleep 0.2
done
tail -20 "$MDIR/mailpit.log" >&2
die "mailpit did not answer on $API_ADDR"
