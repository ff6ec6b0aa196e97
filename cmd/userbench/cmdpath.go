package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// commandLevel is one client count of the command path, both sides.
type commandLevel struct {
	HTTP    loadResult
	PG      pgbenchResult
	HTTPW   waitProfile   // pg_stat_activity during the HTTP window
	PGW     waitProfile   // and during pgbench's
	CPU     time.Duration // the service process's CPU time in the HTTP window
	HTTPCPU cpuUse        // the machine's CPU budget in the HTTP window
	PGCPU   cpuUse        // and in pgbench's
	PGError string
	profile *cpuProfile
}

// CPUPerCommand is the service's CPU time per command.
func (l commandLevel) CPUPerCommand() time.Duration {
	if l.HTTP.OK == 0 {
		return 0
	}
	return l.CPU / time.Duration(l.HTTP.OK)
}

// commandVariant is the command path with one way of assigning tenants.
type commandVariant struct {
	Name   string
	Levels []commandLevel
}

// commandPathResult is section 1.
type commandPathResult struct {
	MaxConns    int
	Shared      commandVariant // every client in one tenant: one seat counter row
	PerClient   commandVariant // a tenant per client: no shared row
	NoNotify    commandVariant // reference: PerClient without the outbox NOTIFY trigger
	NoNotifyWhy string         // why the reference was not run, if it was not
	DefaultPool *loadResult    // reference: the largest level per client with pgx's default pool
	NoGroup     *loadResult    // reference: the largest level in one tenant with group commit off
	Profile     *cpuProfile
	Err         error
}

// sides are the tenants and scripts of one variant.
type sides struct {
	clients []*apiClient // the service's, by client number
	script  string
	vars    map[string]string
}

// commandPath measures HTTP create-user commands against the real service
// (api role) and pgbench running the same transaction, level by level, the
// two sides back to back so both see the same machine. It runs every level
// twice: all clients in one tenant (the shape of the issue: one seat row that
// every command updates) and one tenant per client.
func (b *bench) commandPath(ctx context.Context) (res commandPathResult) {
	res.MaxConns = b.set.MaxConns
	res.Shared.Name = "one tenant for all clients (every command updates the same seat-counter row)"
	res.PerClient.Name = "one tenant per client (no shared row)"
	res.NoNotify.Name = "reference: one tenant per client, outbox NOTIFY trigger disabled in the benchmark database"
	maxClients := b.set.Clients[len(b.set.Clients)-1]
	proc, err := b.startService(ctx, serviceEnv{Roles: "api", MaxConns: b.set.MaxConns, LogBaseName: "service-api"})
	if err != nil {
		res.Err = err
		return res
	}
	defer func() { _ = proc.stop() }()
	shared, perClient, err := b.commandSides(ctx, proc, maxClients)
	if err != nil {
		res.Err = err
		return res
	}
	for _, c := range b.set.Clients {
		lvl, err := b.commandLevel(ctx, proc, shared, c, "", "shared")
		if err != nil {
			res.Err = err
			return res
		}
		res.Shared.Levels = append(res.Shared.Levels, lvl)
		if c > 1 { // with one client the variants are the same run
			label := ""
			if c == maxClients {
				label = fmt.Sprintf("api-create-%dclients", c)
			}
			if lvl, err = b.commandLevel(ctx, proc, perClient, c, label, "per-client"); err != nil {
				res.Err = err
				return res
			}
			if label != "" {
				res.Profile = lvl.profile
			}
		}
		res.PerClient.Levels = append(res.PerClient.Levels, lvl)
	}
	if err := b.withoutNotifyTrigger(ctx, func() error {
		for _, c := range b.set.Clients[1:] {
			lvl, err := b.commandLevel(ctx, proc, perClient, c, "", "per-client-no-notify")
			if err != nil {
				return err
			}
			res.NoNotify.Levels = append(res.NoNotify.Levels, lvl)
		}
		return nil
	}); errors.Is(err, errNoNotifyTrigger) {
		res.NoNotifyWhy = "not run: this tree's outbox has no NOTIFY trigger (its wake-ups are sent after commit), so there is nothing to switch off"
	} else if err != nil {
		res.Err = err
		return res
	}
	// Reference: the shared tenant at the largest level with every command
	// in its own transaction, so the report shows what grouping brings.
	b.log("command path: HTTP, %d clients, one tenant, group commit off (reference)", maxClients)
	_ = proc.stop()
	if proc, err = b.startService(ctx, serviceEnv{Roles: "api", MaxConns: b.set.MaxConns, LogBaseName: "service-api-no-group",
		Env: []string{"COMMAND_GROUP_MAX=1"}}); err != nil {
		res.Err = err
		return res
	}
	noGroup := newAPIClient(proc.base, shared.clients[0].token, maxClients)
	ng := closedLoop(ctx, maxClients, b.set.Warmup, b.set.Duration, func(ctx context.Context, _, _ int) error {
		_, err := noGroup.createUser(ctx, b.nextEmail())
		return err
	})
	res.NoGroup = &ng
	if n := b.set.DefaultPoolLevel; n > 0 {
		b.log("command path: HTTP, %d clients, a tenant each, pgx default pool", n)
		_ = proc.stop()
		if proc, err = b.startService(ctx, serviceEnv{Roles: "api", LogBaseName: "service-api-default-pool"}); err != nil {
			res.Err = err
			return res
		}
		clients := make([]*apiClient, n)
		for i := range clients {
			clients[i] = newAPIClient(proc.base, perClient.clients[i].token, n)
		}
		r := closedLoop(ctx, n, b.set.Warmup, b.set.Duration, func(ctx context.Context, c, _ int) error {
			_, err := clients[c].createUser(ctx, b.nextEmail())
			return err
		})
		res.DefaultPool = &r
	}
	return res
}

// commandSides creates the tenants (the service's and pgbench's own), the
// API clients and the pgbench scripts of both variants. pgbench's values are
// copied from a command the service ran first.
func (b *bench) commandSides(ctx context.Context, proc *serviceProc, n int) (shared, perClient sides, err error) {
	svc, err := b.tenants(ctx, "userbench service", n+1)
	if err != nil {
		return shared, perClient, err
	}
	pgb, err := b.tenants(ctx, "userbench pgbench", n+1)
	if err != nil {
		return shared, perClient, err
	}
	first := newAPIClient(proc.base, svc[0].Token, n)
	shared.clients = make([]*apiClient, n)
	perClient.clients = make([]*apiClient, n)
	ids := make([]string, n)
	for i := range n {
		shared.clients[i] = first
		perClient.clients[i] = &apiClient{base: proc.base, token: svc[i+1].Token, http: first.http}
		ids[i] = pgb[i+1].ID
	}
	if _, err := first.createUser(ctx, b.nextEmail()); err != nil {
		return shared, perClient, fmt.Errorf("first create-user command: %w", err)
	}
	vars, err := pgbenchVars(ctx, b.pool, svc[0].ID)
	if err != nil {
		return shared, perClient, err
	}
	shared.vars, perClient.vars = copyWith(vars, "tenant", pgb[0].ID), copyWith(vars, "tenants", "{"+strings.Join(ids, ",")+"}")
	shared.script, perClient.script = b.artifact("create-user-shared.pgbench.sql"), b.artifact("create-user-per-client.pgbench.sql")
	if err := os.WriteFile(shared.script, []byte(pgbenchScript(":tenant")), 0o644); err != nil {
		return shared, perClient, err
	}
	err = os.WriteFile(perClient.script, []byte(pgbenchScript("(:tenants::uuid[])[:client_id::int + 1]")), 0o644)
	return shared, perClient, err
}

func copyWith(m map[string]string, k, v string) map[string]string {
	out := make(map[string]string, len(m)+1)
	for mk, mv := range m {
		out[mk] = mv
	}
	out[k] = v
	return out
}

// tenants creates n tenants with admin tokens.
func (b *bench) tenants(ctx context.Context, name string, n int) ([]tenant, error) {
	out := make([]tenant, n)
	for i := range out {
		var err error
		if out[i], err = b.newTenant(ctx, fmt.Sprintf("%s %d", name, i)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// commandLevel runs one client count in rounds, each an HTTP window then a
// pgbench window, so both sides share the machine's drift. The first round
// warms both sides up (HTTP unrecorded, pgbench by an unlogged run) and
// takes the CPU profile when profile is set.
func (b *bench) commandLevel(ctx context.Context, proc *serviceProc, s sides, c int, profile, variant string) (commandLevel, error) {
	var (
		lvl          commandLevel
		httpU, pgU   []cpuUse
		window       = b.set.Duration / time.Duration(b.set.Rounds)
		warmup       = b.set.Warmup
		roundProfile = profile
	)
	for round := range b.set.Rounds {
		b.log("command path (%s): HTTP, %d clients, round %d/%d", variant, c, round+1, b.set.Rounds)
		var h loadResult
		m := b.withSampling(ctx, warmup, window, proc, roundProfile, func() {
			h = closedLoop(ctx, c, warmup, window, func(ctx context.Context, client, _ int) error {
				_, err := s.clients[client].createUser(ctx, b.nextEmail())
				return err
			})
		})
		lvl.HTTP, lvl.HTTPW, lvl.CPU = lvl.HTTP.merge(h), lvl.HTTPW.merge(m.waits), lvl.CPU+m.cpu
		httpU = append(httpU, m.use)
		if m.profile != nil {
			lvl.profile = m.profile
		}
		b.log("command path (%s): pgbench, %d clients, round %d/%d", variant, c, round+1, b.set.Rounds)
		if round == 0 {
			if _, err := b.runPgbench(ctx, s.script, s.vars, c, warmup, ""); err != nil {
				lvl.PGError = err.Error()
				return lvl, nil
			}
		}
		prefix := b.artifact(fmt.Sprintf("pgbench-%s-%dclients-round%d", variant, c, round+1))
		var (
			p   pgbenchResult
			err error
		)
		m = b.withSampling(ctx, 0, window, nil, "", func() {
			p, err = b.runPgbench(ctx, s.script, s.vars, c, window, prefix)
		})
		if err != nil {
			lvl.PGError = err.Error()
			return lvl, nil
		}
		lvl.PG, lvl.PGW = lvl.PG.merge(p), lvl.PGW.merge(m.waits)
		pgU = append(pgU, m.use)
		warmup, roundProfile = 0, ""
	}
	lvl.HTTPCPU, lvl.PGCPU = averageUse(httpU), averageUse(pgU)
	return lvl, nil
}

// nextEmail is a fresh address for a new user.
func (b *bench) nextEmail() string {
	return fmt.Sprintf("u%d@bench.example", b.emails.Add(1))
}
