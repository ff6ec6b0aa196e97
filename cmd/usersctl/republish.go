package main

import (
	"context"
	"fmt"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/userservice/userservice/adapters/eventcontract"
	"github.com/userservice/userservice/adapters/kafka"
	"github.com/userservice/userservice/adapters/projection"
	"github.com/userservice/userservice/adapters/projection/republish"
)

// republishUsage is the help text of `usersctl republish`, for main.go's usage.
const republishUsage = `  republish --from POSITION|--since TIME [--tenant ID] [--type T] [--brokers LIST] [--topic NAME]
                                                   publish stored events to Kafka again, with
                                                   their ids, as the outbox carried them;
                                                   POSITION is an event number (inclusive) or
                                                   TX:SEQ as printed by a previous run (after it)`

// republishCmd re-publishes stored events: see republish.Republisher.
func republishCmd(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("republish")
	from := fs.String("from", "", "an event number (events.position, inclusive), or TX:SEQ printed by a previous run (exclusive)")
	since := fs.String("since", "", "only events that occurred at or after this time (RFC 3339)")
	tenant := fs.String("tenant", "", "only this tenant's events")
	types := fs.String("type", "", "only these types, comma-separated; user.registered matches every version")
	brokers := fs.String("brokers", "", "Kafka brokers, host:port comma list (default $KAFKA_BROKERS, else 127.0.0.1:9092)")
	topic := fs.String("topic", eventcontract.Topic, "the topic to publish to")
	if err := parseFlags(fs, args, e); err != nil {
		return err
	}
	cfg := republish.Config{Topic: *topic}
	var problems []string
	if (*from == "") == (*since == "") {
		problems = append(problems, "give exactly one of --from and --since")
	}
	if *from != "" {
		if strings.Contains(*from, ":") {
			p, err := projection.ParsePosition(*from)
			if err != nil {
				problems = append(problems, "--from: "+err.Error())
			}
			cfg.After = p
		} else if n, err := strconv.ParseInt(*from, 10, 64); err != nil || n < 1 {
			problems = append(problems, fmt.Sprintf("--from %q: want an event number from 1, or TX:SEQ", *from))
		} else {
			cfg.Reader.FromSequence = n
		}
	}
	if *since != "" {
		t, err := time.Parse(time.RFC3339Nano, *since)
		if err != nil {
			problems = append(problems, fmt.Sprintf("--since %q: want an RFC 3339 time such as 2026-01-31T12:00:00Z", *since))
		}
		cfg.Reader.Since = t
	}
	if *tenant != "" {
		if err := checkUUID("--tenant", *tenant); err != nil {
			problems = append(problems, err.Error())
		}
		cfg.Reader.TenantID = *tenant
	}
	for _, t := range strings.Split(*types, ",") {
		if t = strings.TrimSpace(t); t != "" {
			cfg.Reader.Types = append(cfg.Reader.Types, t)
		}
	}
	if strings.TrimSpace(*topic) == "" {
		problems = append(problems, "--topic must not be empty")
	}
	list := brokerList(*brokers, e)
	if len(problems) > 0 {
		return usageError("republish: %s", strings.Join(problems, "; "))
	}

	// As in replay: a little garbage per event, little kept (the GC was a
	// fifth of a run's CPU at the default).
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	pool, err := connect(ctx, e)
	if err != nil {
		return err
	}
	defer pool.Close()
	// The relay's publisher: every lane's messages in flight at once, in
	// order per partition (kafka.OrderedPublisher).
	pub, err := kafka.NewOrderedPublisher(kafka.OrderedPublisherConfig{Brokers: list}, nil)
	if err != nil {
		return fmt.Errorf("republish: %w", err)
	}
	defer pub.Close()
	bar := newProgressBar(e.stderr, "republish")
	start := time.Now()
	cfg.Progress = func(n int64) {
		if d := time.Since(start); d > 0 {
			bar.draw("publish", n, 0, float64(n)/d.Seconds(), 0)
		}
	}
	r, err := republish.New(pool, pub, cfg)
	if err != nil {
		return err
	}
	res, err := r.Run(ctx)
	bar.finish()
	if err != nil {
		return fmt.Errorf("republish: %w (events may have been published in part; subscribers de-duplicate by id, so running it again is safe)", err)
	}
	fmt.Fprintf(e.stdout, "republished %d events to %s in %s (%s); continue after them with --from %s\n",
		res.Events, *topic, res.Elapsed.Round(time.Millisecond), rate(res.Events, res.Elapsed), res.Last)
	return nil
}

// brokerList is --brokers, else KAFKA_BROKERS, else the local default.
func brokerList(flag string, e env) []string {
	raw := flag
	if raw == "" {
		raw, _ = e.lookupEnv("KAFKA_BROKERS")
	}
	var out []string
	for _, b := range strings.Split(raw, ",") {
		if b = strings.TrimSpace(b); b != "" {
			out = append(out, b)
		}
	}
	if len(out) == 0 {
		out = []string{"127.0.0.1:9092"}
	}
	return out
}
