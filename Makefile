# userservice: the two commands a newcomer needs are `make run` and `make test`.
# Both start what they need (PostgreSQL, Apache Kafka) through scripts/.

SHELL := /bin/bash
GO    ?= go
# The Go every target builds and tests with (its standard library passes the vulnerability check), fetched once
# through the module proxy when the machine's go is older. go.mod asks only for go 1.26.8, so the machine's own
# go (GOTOOLCHAIN=local) still builds and vets the module; `make lint` checks that (README, The Go toolchain).
export GOTOOLCHAIN := go1.27.3
export DATABASE_URL ?= postgres://userservice:userservice@127.0.0.1:5432/userservice?sslmode=disable
export KAFKA_BROKERS ?= 127.0.0.1:9092

.PHONY: contract contract-short run test chart-test image kafka-cluster kafka-cluster-down kafka-cluster-test replica replica-down scale scale-short scale-throughput browser screenshots chaos chaos-short services down migrate build lint check-imports fmt fuzz vulncheck

## run: start PostgreSQL and Kafka, apply migrations, run every role in one process (HTTP on 127.0.0.1:8080);
## on a fresh database it creates a demo tenant and prints the admin console's URL and a sign-in token
## Personal data is sealed from the first run: without MASTER_KEYS, a development key made once in .cache/ (scripts/dev-master-key.sh)
run: services
	MASTER_KEYS="$${MASTER_KEYS:-$$(scripts/dev-master-key.sh)}" $(GO) run ./cmd/userservice --roles all --demo-on-empty-database=true --log-format=auto

## test: start PostgreSQL and Kafka, lint, run the whole suite with the race detector
## (tests that stop a broker start private ones of their own: see README, Development)
test: services browser lint
	$(GO) test -race -count=1 -timeout 15m ./...
	$(MAKE) --no-print-directory chart-test
	$(MAKE) --no-print-directory chaos-short
	$(MAKE) --no-print-directory scale-short
	$(MAKE) --no-print-directory contract-short

## contract: schemathesis (PyPI, pinned, in a venv scripts/contract.sh makes) against a live server built from
## this checkout: every operation of openapi.yaml, all checks, and the stateful phase along the document's links
contract: services
	@GO=$(GO) bash scripts/contract.sh

## contract-short: the same with a few examples per operation (about a minute; part of `make test`: installs its venv
## from PyPI on first use, fails the build on any failure, and under CI=true fails rather than skips when it cannot install)
contract-short: services
	@GO=$(GO) CONTRACT_SHORT=1 bash scripts/contract.sh

## chart-test: render the Helm chart (deploy/userservice) with Helm v4 as a library and decode every
## object strictly into the Kubernetes API types; a module of its own (deploy/charttest), so the
## service's module takes no Kubernetes dependency
chart-test:
	cd deploy/charttest && $(GO) vet ./... && $(GO) test -count=1 ./...

## chaos: the fault suite in full: every fault (kill -9 of each role, PostgreSQL restart, Kafka stop,
## connection stall and drop) under a mixed workload, CHAOS_ROUNDS times, on a private PostgreSQL
## (port 5433) and Kafka broker (19092); prints the figures. CHAOS_FAULTS=kill-api,pg-restart picks some.
CHAOS_ROUNDS ?= 1
chaos:
	CHAOS_FAULTS=$${CHAOS_FAULTS:-all} CHAOS_ROUNDS=$(CHAOS_ROUNDS) CHAOS_WORKERS=$${CHAOS_WORKERS:-4} \
	CHAOS_IMPORT_ROWS=$${CHAOS_IMPORT_ROWS:-2000} \
	$(GO) test -tags chaos -count=1 -p 1 -v -run TestChaos -timeout 90m ./cmd/userservice/chaos/

## chaos-short: the short form make test runs (three faults, a small workload)
chaos-short:
	$(GO) test -tags chaos -count=1 -p 1 -v -run TestChaos -timeout 10m ./cmd/userservice/chaos/

## services: install (when missing) and start PostgreSQL, Kafka and mailpit; idempotent
services:
	@bash scripts/services-up.sh >/dev/null && bash scripts/mailpit-up.sh

## browser: install (when missing) Debian's chromium and axe-core (npm ci) for the admin console's browser tests
browser:
	@bash scripts/chromium-up.sh >/dev/null

## screenshots: refresh docs/console/*.png (the browser test writes them at 1280x800 and 390 px wide)
screenshots: services browser
	CONSOLE_SCREENSHOTS=$(CURDIR)/docs/console $(GO) test -count=1 -run TestConsoleInABrowser -v ./cmd/userservice/

## down: stop Kafka and PostgreSQL
down:
	@bash scripts/down.sh

## migrate: apply the embedded SQL migrations
migrate: services
	$(GO) run ./cmd/usersctl migrate

build:
	$(GO) build -o bin/ ./cmd/...

## lint: gofmt, go vet, the dependency rule (domain and app import no adapter, port or cmd; ports and adapters
## not each other), the OpenAPI document validated (kin-openapi, examples included), staticcheck, the complexity
## budget (gocyclo above 12 only for the functions in scripts/complexity-budget.txt, which may only shrink) and govulncheck
lint: check-imports
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	GOTOOLCHAIN=local $(GO) vet ./...   # the machine's own go (1.26.8): go.mod's go line holds
	$(GO) vet -tags chaos,scalethroughput ./cmd/userservice/chaos/   # the chaos suite and the scale-throughput measurement
	$(GO) vet -tags scale ./cmd/userservice/scale/
	$(GO) vet -tags rebuildrate,importbench ./adapters/projection/ ./ports/messages/
	$(GO) test -count=1 -run '^TestOpenAPIDocumentIsValid$$' ./ports/httpapi/
	@GO=$(GO) bash scripts/staticcheck.sh
	@GO=$(GO) bash scripts/complexity.sh
	@GO=$(GO) bash scripts/vulncheck.sh

## vulncheck: govulncheck (pinned) against vuln.go.dev, or an offline copy of golang.org/x/vulndb when that is unreachable
vulncheck:
	@GO=$(GO) bash scripts/vulncheck.sh

## fuzz: every fuzz target for FUZZTIME each (default 60s), e.g. make fuzz FUZZTIME=10s; FUZZ_KEEP=1 keeps the corpus in testdata/fuzz
FUZZTIME ?= 60s
fuzz:
	@GO=$(GO) FUZZTIME=$(FUZZTIME) bash scripts/fuzz.sh

check-imports:
	@bash scripts/check-imports.sh

fmt:
	gofmt -w $$(git ls-files '*.go')

.PHONY: bench bench-quick

## bench: start the services, build the real service and run every benchmark against its baseline (~30 min); writes BENCHMARKS.md
bench:
	@bash scripts/bench.sh full

## bench-quick: the same benchmarks, shorter (~7 min), for development; also writes BENCHMARKS.md
bench-quick:
	@bash scripts/bench.sh quick

## image: the container image FROM scratch with the static binaries (buildah from Debian's packages,
## no base image pulled): IMAGE=localhost/userservice:dev; IMAGE_ARCHIVE=bin/userservice.oci.tar also
## writes an OCI archive. Deploy it with the chart in deploy/userservice (README, Running at scale)
image:
	@GO=$(GO) bash scripts/image.sh

## kafka-cluster: a three-broker KRaft Kafka cluster on 127.0.0.1:25092,25094,25096 (replication factor 3,
## min.insync.replicas=2) beside the single broker on 9092; kafka-cluster-down stops it (CLEAN=1: and its data)
kafka-cluster:
	@bash scripts/kafka-cluster-up.sh
kafka-cluster-down:
	@bash scripts/kafka-cluster-down.sh

## kafka-cluster-test: start the cluster, check three in-sync replicas, acks=all writes kept with one
## broker stopped and refused with two (about 40 s; not part of make test: three JVMs on 2 cores); then the
## relay under load while each broker in turn stops and comes back (partition leaders move): every event
## arrives, each user's in version order
kafka-cluster-test:
	$(GO) test -tags scale -count=1 -v -run TestThreeBrokerCluster -timeout 5m ./cmd/userservice/scale/
	$(GO) test -tags scale -count=1 -v -run TestLeaderChangesUnderLoad -timeout 10m ./adapters/relay/

## replica: a PostgreSQL streaming replica of the shared cluster on 127.0.0.1:5434 (pg_basebackup over
## loopback, a physical slot); prints DATABASE_READ_URL for the api's list reads (README, Running at scale)
replica:
	@bash scripts/postgres-replica-up.sh
replica-down:
	@bash scripts/postgres-replica-down.sh

## scale: the scale-out suite (cmd/userservice/chaos/scaleout*_test.go): every role replicated as processes
## of the real binary (2 api behind a balancer, 2 importer, 2 relays with standby takeover, 2 directory
## consumers in one group, 2 notifiers, 2 hris-sync) on the three-broker cluster and the read replica,
## under API writes, a CSV import, list reads and the HRIS sync, killing -9 one broker, one api, one
## importer, the active relay and one directory consumer in turn, every invariant checked after each;
## prints the figures, the relay's takeover time and the replica's lag. SCALE_FAULTS=kill-relay picks some.
scale:
	SCALE_FAULTS=$${SCALE_FAULTS:-all} SCALE_WORKERS=$${SCALE_WORKERS:-4} SCALE_IMPORT_ROWS=$${SCALE_IMPORT_ROWS:-2000} \
	$(GO) test -tags chaos -count=1 -p 1 -v -run TestScaleOut -timeout 60m ./cmd/userservice/chaos/

## scale-short: the short form make test runs (the fleet, one fault: the active relay killed)
scale-short:
	$(GO) test -tags chaos -count=1 -p 1 -v -run TestScaleOut -timeout 10m ./cmd/userservice/chaos/

## scale-throughput: commands/s through 1 and 2 api processes, import rows/s with 1 and 2 importers, with
## the CPU each side used and the load average (docs/scaling.md); a measurement, not part of make test
scale-throughput:
	$(GO) test -tags chaos,scalethroughput -count=1 -p 1 -v -run TestScaleThroughput -timeout 20m ./cmd/userservice/chaos/
