#!/usr/bin/env bash
# The dependency rule: cmd -> ports, adapters -> app -> domain. domain imports
# nothing of this module outside domain/; app imports nothing from adapters,
# ports or cmd; ports and adapters do not import each other (nor cmd): a port
# reaches storage only through the app's interfaces, and cmd wires the two.
# Tests may cross (a port's integration test uses the PostgreSQL helpers).
# Fails listing every offending import.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=go1.27.3 # the project's Go (README, Development)
mod=$(go list -m)
bad=0
check() { # check PACKAGES FORBIDDEN-REGEX
	while read -r pkg imports; do
		for imp in $imports; do
			if [[ $imp =~ $2 ]]; then
				echo "dependency rule broken: $pkg imports $imp" >&2
				bad=1
			fi
		done
	done < <(go list -f '{{.ImportPath}} {{join .Imports " "}}' "$1")
}
check "./domain/..." "^${mod}/(app|adapters|ports|cmd|migrations)(/|$)"
check "./app/..." "^${mod}/(adapters|ports|cmd|migrations)(/|$)"
check "./ports/..." "^${mod}/(adapters|cmd)(/|$)"
check "./adapters/..." "^${mod}/(ports|cmd)(/|$)"
exit $bad
