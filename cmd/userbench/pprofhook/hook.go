//go:build userbenchpprof

// The userbench profiling hook. scripts/bench.sh compiles this file into the
// userservice and usersctl binaries it benchmarks (go build -tags
// userbenchpprof -overlay), never into a release build: with USERBENCH_PPROF_ADDR set, the process
// serves net/http/pprof there, so the benchmark can take CPU profiles and
// execution traces of the real process without the service carrying a
// profiling endpoint.
package main

import (
	"net/http"
	"net/http/pprof"
	"os"
)

// init is the only way in for a file added by overlay; it starts nothing
// unless the benchmark asked for it.
func init() {
	addr := os.Getenv("USERBENCH_PPROF_ADDR")
	if addr == "" {
		return
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	go func() { _ = http.ListenAndServe(addr, mux) }()
}
