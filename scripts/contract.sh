#!/usr/bin/env bash
# contract.sh: schemathesis (PyPI, pinned, in a venv this script makes under
# .cache/) against a live userservice: every operation of openapi.yaml with
# generated requests, all checks (status codes, content types, headers and
# bodies against the document, no 5xx, ...), and the stateful phase that
# chains operations through the document's `links` (create a user, then get,
# patch, deactivate ... it by the id in the answer).
#
#   make contract                      the full run (CONTRACT_MAX_EXAMPLES, default 100 per operation)
#   CONTRACT_SHORT=1 make contract     the short form `make test` runs (a few examples, ~1 min)
#
# The server is built from this checkout and started on a free port against
# DATABASE_URL (the api role only; no rate limit, so generated bursts are not
# answered 429), with a fresh tenant and an admin token from usersctl. It is
# stopped at the end. Exit status: schemathesis's (non-zero on any failure).
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=go1.27.3 # the project's Go (README, Development)
GO=${GO:-go}
SCHEMATHESIS_VERSION=4.32.5
VENV=.cache/contract-venv
: "${DATABASE_URL:=postgres://userservice:userservice@127.0.0.1:5432/userservice?sslmode=disable}"
export DATABASE_URL

if ! "$VENV/bin/st" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
	python3 -m venv "$VENV"
	"$VENV/bin/pip" install -q "schemathesis==$SCHEMATHESIS_VERSION"
fi

bin=$(mktemp -d)
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
	rm -rf "$bin"
}
trap cleanup EXIT
"$GO" build -o "$bin/" ./cmd/userservice ./cmd/usersctl
"$bin/usersctl" migrate >/dev/null
tenant=$("$bin/usersctl" tenant create --name "contract-$(date +%s)" --seats 100000)
token=$("$bin/usersctl" token create --tenant "$tenant" --role admin 2>/dev/null)

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
HTTP_ADDR="127.0.0.1:$port" API_RATE_LIMIT=-1 AUTH_FAILURE_RATE=-1 KAFKA_BROKERS= LOG_LEVEL=error \
	"$bin/userservice" --roles api >"$bin/server.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
	curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null && break
	sleep 0.2
done

args=(--checks all --header "Authorization: Bearer $token" --url "http://127.0.0.1:$port"
	--phases examples,coverage,fuzzing,stateful --workers 2 --seed 19)
if [ "${CONTRACT_SHORT:-}" = "1" ]; then
	args+=(--max-examples 5 --max-time 60)
else
	args+=(--max-examples "${CONTRACT_MAX_EXAMPLES:-100}")
fi
rc=0
"$VENV/bin/st" run ports/httpapi/openapi.yaml "${args[@]}" || rc=$?
if [ $rc -ne 0 ]; then
	echo "contract: schemathesis found failures (server log: last lines below)" >&2
	tail -20 "$bin/server.log" >&2
fi
exit $rc
