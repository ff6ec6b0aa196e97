# shellcheck shell=bash
# Shared helpers for scripts/*.sh (sourced, not executed).

# Repository root, derived from this file's location (scripts/lib/common.sh).
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE_DIR="$ROOT/.cache"

# The project's Go (README, The Go toolchain): go.mod asks only for 1.26.8, so
# every script that runs go names the toolchain it wants.
export GOTOOLCHAIN=go1.27.3

: "${LOG_TAG:=services}"

log() { printf '[%s] %s\n' "$LOG_TAG" "$*" >&2; }
die() { printf '[%s] ERROR: %s\n' "$LOG_TAG" "$*" >&2; exit 1; }

# Run a command as root (directly when already root, else via sudo).
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# apt-get, serialised through a lock so parallel scripts don't collide on
# the dpkg/apt locks. Output goes to stderr-quiet mode; errors are shown.
APT_LOCK="${TMPDIR:-/tmp}/userservice-apt.lock"
apt_get() {
  as_root env DEBIAN_FRONTEND=noninteractive flock -w 600 "$APT_LOCK" \
    apt-get -o DPkg::Lock::Timeout=300 -y -q "$@"
}

# Install Debian packages; runs 'apt-get update' first when the install
# fails (stale / missing package lists) and retries once.
apt_install() {
  log "apt-get install $*"
  if ! apt_get install --no-install-recommends "$@" >/dev/null 2>"$CACHE_DIR/apt.err"; then
    log "install failed, running apt-get update and retrying"
    apt_get update >/dev/null 2>&1 || true
    apt_get install --no-install-recommends "$@" >/dev/null 2>"$CACHE_DIR/apt.err" \
      || { cat "$CACHE_DIR/apt.err" >&2; die "apt-get install $* failed"; }
  fi
}

# alive PID: process exists and is not a zombie (a container's pid 1 may
# never reap a daemon that was re-parented to it).
alive() {
  local st
  st="$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" || return 1
  [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

mkdir -p "$CACHE_DIR"

# take_lock NAME: serialise concurrent runs of the same script on fd 9.
# Daemons started while holding it must be launched with 9>&- so they do not
# inherit (and keep holding) the lock.
take_lock() {
  exec 9>"$CACHE_DIR/$1.lock"
  flock -w 300 9 || die "timed out waiting for $CACHE_DIR/$1.lock"
}
