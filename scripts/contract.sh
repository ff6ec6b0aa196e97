#!/usr/bin/env bash
# contract.sh: schemathesis (PyPI, pinned, in a venv this script makes under
# .cache/) against a live userservice: every operation of openapi.yaml with
# generated requests, all checks (status codes, content types, headers and
# bodies against the document, no 5xx, ...), and the stateful phase that
# chains operations through the document's `links` (create a user, then get,
# patch, deactivate ... it by the id in the answer).
#
#   make contract                      the full run (CONTRACT_MAX_EXAMPLES, default 100 per operation)
#   make contract-short                the short form `make test` runs (a few examples, ~1 min)
#
# scripts/contract/: requirements.txt (schemathesis and its dependencies,
# pinned), schemathesis.toml (which checks, and why), hooks.py (what the
# document cannot say by itself: the If-Match format, and which refusals
# depend on the server's state). docs/contract.md lists what the full run
# still reports, with the reasons.
#
# When the venv cannot be made (no python3 venv module, PyPI unreachable),
# the run fails under CI=true and is skipped, saying so, elsewhere.
# The server is built from this checkout and started on a free port against
# a database of its own on DATABASE_URL's server (the api and importer roles;
# no rate limit, so generated bursts are not answered 429), with a fresh
# tenant and an admin token from usersctl. It is stopped at the end. Exit status: schemathesis's (non-zero on any failure).
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=go1.27.3 # the project's Go (README, Development)
GO=${GO:-go}
VENV=.cache/contract-venv
REQUIREMENTS=scripts/contract/requirements.txt
: "${DATABASE_URL:=postgres://userservice:userservice@127.0.0.1:5432/userservice?sslmode=disable}"
export DATABASE_URL

# The venv is remade when requirements.txt changes (its copy is the stamp).
if ! cmp -s "$REQUIREMENTS" "$VENV/requirements.txt" || ! "$VENV/bin/st" --version >/dev/null 2>&1; then
	rm -rf "$VENV"
	if ! { python3 -m venv "$VENV" && "$VENV/bin/pip" install -q --disable-pip-version-check -r "$REQUIREMENTS"; }; then
		rm -rf "$VENV"
		if [ "${CI:-}" = "true" ]; then
			echo "contract: FAILED to install schemathesis into $VENV (python3 -m venv, then pip from PyPI)" >&2
			exit 1
		fi
		echo "contract: SKIPPED: could not install schemathesis into $VENV (python3 -m venv, then pip from PyPI); CI=true fails here" >&2
		exit 0
	fi
	cp "$REQUIREMENTS" "$VENV/requirements.txt"
fi

# A database of the run's own on DATABASE_URL's server: the import queue is
# the database's, so an importer of another checkout on the same database
# would take this run's jobs (and seal their personal data with its own
# keys). Dropped at the end.
db="contract_$(date +%s)_$$"
run_url=$(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' "$DATABASE_URL" "$db")
bin=$(mktemp -d)
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
	psql -q "$DATABASE_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
	rm -rf "$bin"
}
trap cleanup EXIT
"$GO" build -o "$bin/" ./cmd/userservice ./cmd/usersctl
psql -q "$DATABASE_URL" -c "CREATE DATABASE $db" >/dev/null
export DATABASE_URL="$run_url"
# Personal data sealed as in production, with a key of the run's own.
MASTER_KEYS="contract=$(head -c 32 /dev/urandom | base64 -w0)"
export MASTER_KEYS
"$bin/usersctl" migrate >/dev/null
tenant=$("$bin/usersctl" tenant create --name "contract-$(date +%s)" --seats 100000)
token=$("$bin/usersctl" token create --tenant "$tenant" --role admin 2>/dev/null)

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
HTTP_ADDR="127.0.0.1:$port" API_RATE_LIMIT=-1 AUTH_FAILURE_RATE=-1 KAFKA_BROKERS= LOG_LEVEL=error \
	"$bin/userservice" --roles api,importer >"$bin/server.log" 2>&1 &
pid=$!
up=""
for _ in $(seq 100); do
	curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null && up=1 && break
	sleep 0.2
done
if [ -z "$up" ]; then
	echo "contract: the server did not come up on 127.0.0.1:$port; its log:" >&2
	tail -20 "$bin/server.log" >&2
	exit 1
fi

# The token's id, which hooks.py keeps the run from revoking.
CONTRACT_OWN_TOKEN_ID=$(curl -fsS -H "Authorization: Bearer $token" "http://127.0.0.1:$port/v1/tokens" |
	python3 -c 'import json, sys; print(json.load(sys.stdin)["tokens"][0]["id"])')
# A reader token hooks.py revokes instead of the run's own (see there).
CONTRACT_DECOY_TOKEN_ID=$(curl -fsS -X POST -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
	-d '{"role": "reader"}' "http://127.0.0.1:$port/v1/tokens" |
	python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')
export CONTRACT_OWN_TOKEN_ID CONTRACT_DECOY_TOKEN_ID

args=(--header "Authorization: Bearer $token" --url "http://127.0.0.1:$port"
	--phases examples,coverage,fuzzing,stateful --seed 19)
if [ "${CONTRACT_SHORT:-}" = "1" ]; then
	args+=(--max-examples 5)
else
	args+=(--max-examples "${CONTRACT_MAX_EXAMPLES:-100}")
fi
rc=0
"$VENV/bin/st" --config-file scripts/contract/schemathesis.toml run ports/httpapi/openapi.yaml "${args[@]}" || rc=$?
if [ $rc -ne 0 ]; then
	echo "contract: schemathesis found failures (server log: last lines below)" >&2
	tail -20 "$bin/server.log" >&2
fi
exit $rc
