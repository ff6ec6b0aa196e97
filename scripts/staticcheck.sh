#!/usr/bin/env bash
# staticcheck.sh: staticcheck (honnef.co/go/tools, pinned) over the whole
# module, tests included, part of `make lint`. Any finding fails. A finding
# that must stay says why where it is: //lint:ignore CHECK reason.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=go1.27.3 # the project's Go (README, Development)
GO=${GO:-go}
STATICCHECK_VERSION=v0.8.2

# Keyed by the Go that builds it: staticcheck type-checks with the go/types
# it was built with, which must know the project's Go version.
bindir="${XDG_CACHE_HOME:-$HOME/.cache}/userservice/bin/staticcheck-$STATICCHECK_VERSION-$("$GO" env GOVERSION)"
if [ ! -x "$bindir/staticcheck" ]; then
	GOBIN="$bindir" "$GO" install "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION"
fi
"$bindir/staticcheck" ./...
echo "staticcheck: no findings"
