#!/usr/bin/env bash
# complexity.sh: the complexity budget, part of `make lint`. No function
# outside tests may have a cyclomatic complexity above 12 (gocyclo, pinned),
# except those listed in scripts/complexity-budget.txt, the offenders of the
# day the budget began: each may stay at most as complex as listed, and only
# shrink. A new function above 12, or a listed one that grew, fails. When one
# is simplified, lower (or drop) its line: the script says which.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=go1.27.3 # the project's Go (README, Development)
GO=${GO:-go}
GOCYCLO_VERSION=v0.6.0
MAX=12
BUDGET=scripts/complexity-budget.txt

bindir="${XDG_CACHE_HOME:-$HOME/.cache}/userservice/bin/gocyclo-$GOCYCLO_VERSION-$("$GO" env GOVERSION)"
if [ ! -x "$bindir/gocyclo" ]; then
	GOBIN="$bindir" "$GO" install "github.com/fzipp/gocyclo/cmd/gocyclo@$GOCYCLO_VERSION"
fi

# "complexity package function file", one a line (line numbers drift; names do not).
# gocyclo exits 1 when it lists any function: that is not a failure here.
current=$({ git ls-files '*.go' | grep -v '_test\.go$' | xargs "$bindir/gocyclo" -over "$MAX" || true; } |
	awk '{f=$4; sub(/:[0-9]+:[0-9]+$/, "", f); print $1, $2, $3, f}' | sort -k2)
if [ "${1:-}" = "--write" ]; then
	{
		echo "# Functions above cyclomatic complexity $MAX when the budget began: each may only shrink (scripts/complexity.sh)."
		echo "# complexity package function file"
		echo "$current"
	} >"$BUDGET"
	exit 0
fi
bad=0
while read -r n pkg fn file; do
	[ -z "$n" ] && continue
	allowed=$(awk -v p="$pkg" -v f="$fn" -v fl="$file" '$2 == p && $3 == f && $4 == fl {print $1}' "$BUDGET")
	if [ -z "$allowed" ]; then
		echo "complexity: $fn ($file) is $n, above $MAX: split it" >&2
		bad=1
	elif [ "$n" -gt "$allowed" ]; then
		echo "complexity: $fn ($file) grew to $n; its budget is $allowed: split it" >&2
		bad=1
	elif [ "$n" -lt "$allowed" ]; then
		echo "complexity: $fn ($file) is down to $n: lower its line in $BUDGET to $n"
	fi
done <<<"$current"
# A listed function now at 12 or below (or gone) keeps a stale line: say so.
while read -r n pkg fn file; do
	if ! awk -v p="$pkg" -v f="$fn" -v fl="$file" '$2 == p && $3 == f && $4 == fl {found = 1} END {exit !found}' <<<"$current"; then
		echo "complexity: $fn ($file) is no longer above $MAX: remove its line from $BUDGET"
	fi
done < <(grep -v '^#' "$BUDGET")
listed=$(grep -vc '^#' "$BUDGET" || true)
over=$(grep -c . <<<"$current" || true)
[ $bad -eq 0 ] && echo "complexity: ok ($over functions above $MAX, all within the budget of $listed)"
exit $bad
