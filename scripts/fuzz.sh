#!/usr/bin/env bash
# fuzz.sh: run every fuzz target for FUZZTIME each (default 60s), one after
# the other (`go test -fuzz` takes one target at a time), and print a table of
# targets, durations and executions.
#
# A target fails when the fuzzer finds an input that breaks it: Go then writes
# the input to the package's testdata/fuzz/<Target>/, where it stays as a
# regression case of the normal test run once committed (fix the code, keep
# the file). With FUZZ_KEEP=1 the inputs the fuzzer found interesting are also
# copied from the Go build cache into testdata/fuzz/<Target>/ to be committed.
# FUZZFLAGS is passed to go test (e.g. FUZZFLAGS=-parallel=1 on a shared box).
#
# Go 1.26's fuzz coordinator sometimes ends a duration-bounded run with a bare
# "context deadline exceeded" and no input (golang/go#75804, fixed in Go 1.27),
# more often on a loaded machine. Such a run wrote no reproducer; this script
# replays the target's corpus to be sure and reports it as "deadline race"
# rather than a finding. Any written input or other failure fails the run.
set -uo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=go1.27.3 # the project's Go (README, Development)
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-60s}

# package target, one a line: every fuzz target of the module.
TARGETS="
./adapters/csvimport FuzzReader
./ports/httpapi FuzzDecodeRequests
./domain/user FuzzUpdateNeverPanicsAndNoOpIsStable
./domain/user FuzzUpcastAndDecodeEvent
./domain/user FuzzParseID
./adapters/eventcontract FuzzDecode
./ports/messages FuzzDecodeRowMessage
./ports/scim FuzzParseFilter
./ports/scim FuzzPatchAndResource
"

# The list must match the code: a new Fuzz function without a line here
# would never be fuzzed.
declared=$(grep -rhoE '^func (Fuzz[A-Za-z0-9_]+)\(f \*testing\.F\)' --include='*_test.go' . | awk '{print $2}' | sed 's/(.*//' | sort)
listed=$(echo "$TARGETS" | awk 'NF {print $2}' | sort)
if [ "$declared" != "$listed" ]; then
	echo "fuzz.sh: TARGETS does not match the Fuzz functions in the code:" >&2
	diff <(echo "$listed") <(echo "$declared") >&2
	exit 1
fi

cache=$("$GO" env GOCACHE)/fuzz
module=$("$GO" list -m)
failed=0
summary=()
while read -r pkg target; do
	[ -z "$pkg" ] && continue
	corpus="$pkg/testdata/fuzz/$target"
	before=$(ls "$corpus" 2>/dev/null | sort)
	log=$(mktemp)
	start=$(date +%s)
	"$GO" test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" ${FUZZFLAGS:-} "$pkg" >"$log" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	execs=$(grep -oE 'execs: [0-9]+' "$log" | tail -1 | awk '{print $2}')
	after=$(ls "$corpus" 2>/dev/null | sort)
	new_inputs=$(comm -13 <(echo "$before") <(echo "$after") | grep -v '^$' || true)
	status=ok
	if [ $rc -ne 0 ]; then
		if [ -z "$new_inputs" ] && grep -q '^    context deadline exceeded$' "$log" &&
			! grep -qE 'panic|Failing input|^\s+\S+_test\.go:[0-9]+:' "$log" &&
			"$GO" test -count=1 -run "^${target}\$" "$pkg" >/dev/null 2>&1; then
			status="deadline race (golang/go#75804; corpus replays clean)"
		else
			status=FAILED
			failed=1
			cat "$log"
			[ -n "$new_inputs" ] && echo "fuzz.sh: new failing input(s) in $corpus: $new_inputs" >&2
		fi
	fi
	if [ "${FUZZ_KEEP:-}" = "1" ] && [ -d "$cache/${module}/${pkg#./}/$target" ]; then
		mkdir -p "$corpus"
		cp -n "$cache/${module}/${pkg#./}/$target"/* "$corpus"/ 2>/dev/null || true
	fi
	rm -f "$log"
	summary+=("$(printf '%-45s %6ss %12s  %s' "$pkg $target" "$secs" "${execs:-0}" "$status")")
done <<<"$TARGETS"

printf '\n%-45s %7s %12s  %s\n' "target" "time" "execs" "result"
printf '%s\n' "${summary[@]}"
exit $failed
