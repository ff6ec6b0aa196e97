// Package chaos holds the fault-injection suite of the user service (build
// tag chaos; `make chaos` runs it in full, `make test` in a short form). It
// runs the real userservice binary, one process per role, against a private
// PostgreSQL cluster and a private Kafka broker, drives a mixed workload
// (API commands, a CSV import, the relay, the directory subscriber, the
// notifier) and, during it, kills processes, restarts PostgreSQL, stops
// Kafka and stalls or cuts connections; then it checks that nothing was
// lost, duplicated or half-applied. The package has no code outside tests.
//
// The scale-out suite (scaleout*_test.go; `make scale`, `make test` in a
// short form) runs the same checks on every role replicated, on the
// three-broker Kafka cluster and the PostgreSQL read replica, killing one
// replica of a role at a time; TestScaleThroughput (`make scale-throughput`)
// measures commands and import rows per second with one and two replicas.
package chaos
