#!/usr/bin/env bash
# vulncheck.sh: govulncheck over the whole module, part of `make lint`.
#
# The vulnerability database: vuln.go.dev when it answers; otherwise an offline
# copy built from the golang.org/x/vulndb module (its data/osv files, indexed by
# the vulndb project's own cmd/indexdb), fetched through the Go module proxy at
# the pinned VULNDB_VERSION. That copy is as new as VULNDB_VERSION: bump it (and
# rerun the check) when you bump dependencies.
#
# Any finding that our code reaches fails the check. Nothing is accepted: the
# standard-library findings go1.26.8 had are fixed in the Go the project builds
# with (go1.27.3). Should one ever have to be lived with for a while, list its
# ID with the reason, one a line, in scripts/vulncheck-accepted.txt (absent
# today, so nothing is accepted); the script then says when it is fixed.
# With no database at all it prints "skipped: vulnerability DB unreachable" and
# passes, except under CI=true, where it fails: CI must not pass unchecked.
# VULNCHECK=0 skips it on a developer machine (refused under CI=true).
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=go1.27.3 # the project's Go (README, Development)

GOVULNCHECK_VERSION=v1.9.0
VULNDB_VERSION=v0.0.0-20261105234957-e22db6528018 # golang.org/x/vulndb, 2026-11-05
ACCEPTED=scripts/vulncheck-accepted.txt
GO=${GO:-go}

skip() {
	echo "vulncheck: skipped: vulnerability DB unreachable ($1)"
	if [ "${CI:-}" = "true" ]; then
		echo "vulncheck: CI=true: failing instead of passing unchecked" >&2
		exit 1
	fi
	exit 0
}

# offline_db builds (once per VULNDB_VERSION, shared by every checkout on the
# machine) the v1 database govulncheck reads with -db file://.
offline_db() {
	local cache="${XDG_CACHE_HOME:-$HOME/.cache}/userservice/vulndb/$VULNDB_VERSION"
	if [ ! -f "$cache/index/modules.json" ]; then
		local tmp dir
		tmp=$(mktemp -d)
		dir=$(cd "$tmp" && GOFLAGS=-mod=mod "$GO" mod download -json "golang.org/x/vulndb@$VULNDB_VERSION" |
			sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p') || true
		rmdir "$tmp"
		if [ -z "$dir" ] || [ ! -d "$dir/data/osv" ]; then
			return 1
		fi
		echo "vulncheck: indexing golang.org/x/vulndb@$VULNDB_VERSION into $cache (once)" >&2
		rm -rf "$cache.tmp"
		"$GO" run "golang.org/x/vulndb/cmd/indexdb@$VULNDB_VERSION" -vulns "$dir/data/osv" -out "$cache.tmp" >&2 || return 1
		mkdir -p "$(dirname "$cache")"
		rm -rf "$cache" && mv "$cache.tmp" "$cache"
	fi
	echo "$cache"
}

if [ "${VULNCHECK:-}" = "0" ]; then
	# A developer in a hurry may skip the check locally (it takes minutes on
	# a loaded machine); CI may not.
	[ "${CI:-}" = "true" ] && { echo "vulncheck: VULNCHECK=0 is not honoured under CI=true" >&2; exit 1; }
	echo "vulncheck: skipped (VULNCHECK=0)"
	exit 0
fi

db_args=()
if curl -fsS -m 5 -o /dev/null https://vuln.go.dev/index/db.json.gz 2>/dev/null; then
	echo "vulncheck: database vuln.go.dev (online)"
else
	db=$(offline_db) || skip "vuln.go.dev does not answer and golang.org/x/vulndb@$VULNDB_VERSION could not be fetched"
	echo "vulncheck: vuln.go.dev does not answer; database golang.org/x/vulndb@$VULNDB_VERSION (offline copy)"
	db_args=(-db "file://$db")
fi

# Installed, not `go run`: go run reports every non-zero exit as 1, and
# govulncheck's 3 ("found some") must be told apart from a failure.
# Keyed by the Go that builds it as well: govulncheck type-checks the standard
# library of the Go it runs with, with the go/types it was built with.
bindir="${XDG_CACHE_HOME:-$HOME/.cache}/userservice/bin/govulncheck-$GOVULNCHECK_VERSION-$("$GO" env GOVERSION)"
if [ ! -x "$bindir/govulncheck" ]; then
	GOBIN="$bindir" "$GO" install "golang.org/x/vuln/cmd/govulncheck@$GOVULNCHECK_VERSION"
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
rc=0
"$bindir/govulncheck" "${db_args[@]}" ./... >"$out" 2>&1 || rc=$?
case $rc in
0)
	echo "vulncheck: no vulnerability reached by our code"
	exit 0
	;;
3) ;; # vulnerabilities found: compare with the accepted list
*)
	cat "$out"
	echo "vulncheck: govulncheck failed (exit $rc)" >&2
	exit 1
	;;
esac

found=$(grep -oE '^Vulnerability #[0-9]+: GO-[0-9]+-[0-9]+' "$out" | awk '{print $3}' | sort -u)
accepted=$( [ -f "$ACCEPTED" ] && grep -oE '^GO-[0-9]+-[0-9]+' "$ACCEPTED" | sort -u || true)
new=$(comm -23 <(echo "$found") <(echo "$accepted"))
gone=$(comm -13 <(echo "$found") <(echo "$accepted"))
if [ -n "$new" ]; then
	cat "$out"
	echo "vulncheck: FAILED: our code reaches vulnerabilities not in $ACCEPTED:" $new >&2
	echo "vulncheck: upgrade the module (go get MODULE@FIXED-VERSION) or the Go toolchain (GOTOOLCHAIN in the Makefile and scripts)" >&2
	exit 1
fi
echo "vulncheck: ok; reached but accepted in $ACCEPTED:" $found
if [ -n "$gone" ]; then
	echo "vulncheck: accepted but no longer found (remove from $ACCEPTED):" $gone
fi
