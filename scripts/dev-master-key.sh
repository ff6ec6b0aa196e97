#!/usr/bin/env bash
# Prints the MASTER_KEYS value `make run` uses when none is set: one master key
# made on first use and kept in .cache/dev-master-key (mode 600, not in git), so
# the service seals personal data from the first run and reads it back on the
# next. It is a development key: whoever deletes the file loses every sealed
# personal field of that database (docs/personal-data.md, "A lost master key").
# Production sets MASTER_KEYS from a secret store instead.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
key_file="$CACHE_DIR/dev-master-key"
if [ ! -s "$key_file" ]; then
  mkdir -p "$CACHE_DIR"
  (umask 077 && printf 'dev=%s\n' "$(head -c 32 /dev/urandom | base64 -w0)" > "$key_file.tmp" && mv "$key_file.tmp" "$key_file")
  echo "[run] made a development master key in $key_file (losing it loses the personal data it seals)" >&2
fi
cat "$key_file"
