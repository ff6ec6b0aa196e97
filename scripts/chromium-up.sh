#!/usr/bin/env bash
# Ensure Debian's chromium is installed, for the admin console's browser tests
# (cmd/userservice/console_browser_test.go drives it headless with chromedp).
# Idempotent: when a chromium binary is already there it returns at once.
# Prints the binary's path on stdout.
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
echo "$bin"
