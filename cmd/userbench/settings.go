package main

import (
	"fmt"
	"time"
)

// settings are one benchmark profile's sizes and durations. Every loop of
// the benchmark is bounded by them.
type settings struct {
	Name string
	// Warmup runs before each measured level, unrecorded; Duration is the
	// measured window of each level (HTTP and pgbench alike).
	Warmup, Duration time.Duration
	// Rounds splits each level's measured time into that many alternating
	// HTTP / pgbench windows, so drift of a shared, noisy machine hits both
	// sides alike.
	Rounds int
	// Clients are the concurrency levels of the command path.
	Clients []int
	// MaxConns is the service's DATABASE_MAX_CONNS: the largest client
	// count, so the pool never caps a level that pgbench runs with as many
	// connections.
	MaxConns int
	// DefaultPoolLevel, when non-zero, adds a reference run at that client
	// count with pgx's default pool size.
	DefaultPoolLevel int
	// ChangeClients, ChangeUsersPerClient and ChangeDuration shape the
	// change-detection run; each client patches only its own users, so
	// there are no version conflicts.
	ChangeClients        int
	ChangeUsersPerClient int
	ChangeDuration       time.Duration
	// Backlog is the number of outbox events the relay drains.
	Backlog int
	// CatchUpBacklogs are the backlogs the catch-up row drains, small first.
	CatchUpBacklogs []int
	// LoadLatency and IdleLatency are the commit-to-consume windows;
	// IdleInterval is the pace of the idle probe; ProbeRate caps the HTTP
	// probes under load (the rest of the load is written straight to the
	// outbox).
	LoadLatency, IdleLatency time.Duration
	IdleInterval             time.Duration
	ProbeRate                float64
	// ReplayEvents is the size of the history `usersctl replay` rebuilds.
	ReplayEvents int
	// ImportRows are the sizes of the generated CSV files section 3 imports
	// (the last one also feeds section 6); ImportCap bounds each import and
	// each CopyFrom baseline: one still running then is reported with the
	// rate it reached.
	ImportRows []int
	ImportCap  time.Duration
	// EncryptClients, EncryptWindow and EncryptRounds shape the encryption
	// section's create-user load: per client count, EncryptRounds rounds of
	// one EncryptWindow per side (off and on, alternating). It imports
	// EncryptImportRows new users EncryptImportRounds times per side.
	EncryptClients      []int
	EncryptWindow       time.Duration
	EncryptRounds       int
	EncryptImportRows   int
	EncryptImportRounds int
	// ProfileSeconds is the length of each CPU profile taken of the service.
	ProfileSeconds int
	// SampleEvery is the pg_stat_activity sampling interval.
	SampleEvery time.Duration
}

func profileSettings(name string) (settings, error) {
	base := settings{
		Name: name, Clients: []int{1, 8, 32}, MaxConns: 32,
		ChangeClients: 8, IdleInterval: 200 * time.Millisecond, ProbeRate: 200,
		SampleEvery: 20 * time.Millisecond, EncryptClients: []int{1, 8}, EncryptImportRounds: 2,
	}
	switch name {
	case "quick":
		base.Warmup, base.Duration, base.Rounds = 2*time.Second, 6*time.Second, 1
		base.ChangeUsersPerClient, base.ChangeDuration = 50, 6*time.Second
		base.Backlog = 20000
		base.CatchUpBacklogs = []int{20_000, 100_000}
		base.LoadLatency, base.IdleLatency = 8*time.Second, 8*time.Second
		base.ProfileSeconds = 5
		base.ReplayEvents = 100_000
		base.ImportRows, base.ImportCap = []int{2_000, 10_000}, 3*time.Minute
		base.EncryptWindow, base.EncryptRounds, base.EncryptImportRows = 3*time.Second, 2, 10_000
	case "smoke":
		// Tiny sizes, to check that a section runs (figures meaningless).
		base.Warmup, base.Duration, base.Rounds = time.Second, 2*time.Second, 1
		base.Clients = []int{1, 8}
		base.ChangeUsersPerClient, base.ChangeDuration = 10, 2*time.Second
		base.Backlog = 2000
		base.CatchUpBacklogs = []int{1_000, 5_000}
		base.LoadLatency, base.IdleLatency = 2*time.Second, 2*time.Second
		base.ProfileSeconds = 2
		base.ReplayEvents = 10_000
		base.ImportRows, base.ImportCap = []int{200, 1_000}, time.Minute
		base.EncryptWindow, base.EncryptRounds, base.EncryptImportRows, base.EncryptImportRounds = time.Second, 2, 1_000, 1
	case "full":
		base.Warmup, base.Duration, base.Rounds = 5*time.Second, 30*time.Second, 3
		base.DefaultPoolLevel = 32
		base.ChangeUsersPerClient, base.ChangeDuration = 100, 20*time.Second
		base.Backlog = 50000
		base.CatchUpBacklogs = []int{20_000, 1_000_000}
		base.LoadLatency, base.IdleLatency = 30*time.Second, 30*time.Second
		base.ProfileSeconds = 20
		base.ReplayEvents = 1_000_000
		base.ImportRows, base.ImportCap = []int{100_000, 1_000_000}, 3*time.Minute
		// About 3.5 minutes: 2 × 4 rounds of 8 s per side, 2 × 2 imports of 100k rows.
		base.EncryptWindow, base.EncryptRounds, base.EncryptImportRows = 8*time.Second, 4, 100_000
	default:
		return settings{}, fmt.Errorf("unknown profile %q: want smoke, quick or full", name)
	}
	return base, nil
}
