#!/usr/bin/env bash
# Ensure Debian's chromium is installed, for the admin console's browser tests
# (cmd/userservice/console_browser_test.go drives it headless with chromedp),
# and axe-core (the accessibility check those tests run in the page), pinned
# in scripts/browser/package-lock.json and installed with `npm ci`.
# Idempotent: when both are there it returns at once.
# Prints the chromium binary's path on stdout.
set -euo pipefail
LOG_TAG=chromium
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
take_lock chromium

find_chromium() { command -v chromium || command -v chromium-browser || true; }

bin="$(find_chromium)"
if [ -z "$bin" ]; then
  log "chromium not installed; installing (apt-get install chromium)"
  apt_install chromium fonts-dejavu-core
  bin="$(find_chromium)"
  [ -n "$bin" ] || die "chromium still missing after install"
fi
axe="$ROOT/scripts/browser/node_modules/axe-core/axe.min.js"
want="$(sed -n 's/.*"axe-core": "\(.*\)".*/\1/p' "$ROOT/scripts/browser/package.json")"
have="$(sed -n 's/.*"version": "\(.*\)".*/\1/p' "$ROOT/scripts/browser/node_modules/axe-core/package.json" 2>/dev/null | head -1 || true)"
if [ ! -f "$axe" ] || [ "$want" != "$have" ]; then
  command -v npm >/dev/null 2>&1 || apt_install npm
  log "npm ci (axe-core $want)"
  (cd "$ROOT/scripts/browser" && npm ci --ignore-scripts --no-audit --no-fund >/dev/null) || die "npm ci in scripts/browser failed"
fi
echo "$bin"
