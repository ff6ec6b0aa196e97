package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/userservice/userservice/adapters/eventcontract"
	"github.com/userservice/userservice/adapters/kafka"
	"github.com/userservice/userservice/adapters/postgres"
	"github.com/userservice/userservice/adapters/relay"
)

// outboxUsage is the help text of `usersctl outbox`, for main.go's usage.
const outboxUsage = `  outbox parked [--group G] [--user ID]          list outbox messages the relay parked: Kafka refused
                                                   them for good (too large, malformed), or they wait
                                                   behind one of their user's that it refused
  outbox retry (--user ID|--all) [--group G] [--brokers LIST] [--topic NAME] [--max-message-bytes N]
                                                   publish parked messages again, each user's in order;
                                                   a user whose message is refused again stays parked`

// outboxGroup is the relay's default consumer group (RELAY_CONSUMER_GROUP).
const outboxGroup = relay.DefaultConsumerGroup

func outboxParked(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("outbox parked")
	group := fs.String("group", outboxGroup, "the relay consumer group")
	userID := fs.String("user", "", "only this user's parked messages")
	if err := parseFlags(fs, args, e); err != nil {
		return err
	}
	if *userID != "" {
		if err := checkUUID("--user", *userID); err != nil {
			return usageError("outbox parked: %v", err)
		}
	}
	pool, err := connect(ctx, e)
	if err != nil {
		return err
	}
	defer pool.Close()
	list, err := postgres.NewOutboxParking(pool).List(ctx, *group, *userID)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "PARKED AT\tSHARD\tUSER\tMESSAGE\tTYPE\tVERSION\tBYTES\tREASON")
	for _, m := range list {
		reason := m.Reason
		if len(reason) > 160 {
			reason = reason[:160] + "…"
		}
		fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%s\t%d\t%s\n", m.ParkedAt.UTC().Format("2006-01-02T15:04:05Z"), m.Shard,
			m.PartitionKey, m.UUID, m.Metadata["event_type"], m.Metadata["stream_version"], len(m.Payload), reason)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "%d parked messages in group %s\n", len(list), *group)
	return nil
}

func outboxRetry(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("outbox retry")
	group := fs.String("group", outboxGroup, "the relay consumer group")
	userID := fs.String("user", "", "retry this user's parked messages")
	all := fs.Bool("all", false, "retry every user's parked messages")
	brokers := fs.String("brokers", "", "Kafka brokers, host:port comma list (default $KAFKA_BROKERS, else 127.0.0.1:9092)")
	topic := fs.String("topic", eventcontract.Topic, "the topic the relay publishes to")
	maxBytes := fs.Int("max-message-bytes", kafka.MaxMessageBytes, "the largest record to send; the topic must admit it")
	if err := parseFlags(fs, args, e); err != nil {
		return err
	}
	var problems []string
	if (*userID == "") == !*all {
		problems = append(problems, "give exactly one of --user and --all")
	}
	if *userID != "" {
		if err := checkUUID("--user", *userID); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if strings.TrimSpace(*topic) == "" {
		problems = append(problems, "--topic must not be empty")
	}
	if *maxBytes < 1 {
		problems = append(problems, "--max-message-bytes must be positive")
	}
	if len(problems) > 0 {
		return usageError("outbox retry: %s", strings.Join(problems, "; "))
	}
	pool, err := connect(ctx, e)
	if err != nil {
		return err
	}
	defer pool.Close()
	list := brokerList(*brokers, e)
	if err := kafka.EnsureTopic(ctx, list, *topic, *maxBytes); err != nil {
		return fmt.Errorf("outbox retry: %w", err)
	}
	pub, err := kafka.NewOrderedPublisher(kafka.OrderedPublisherConfig{Brokers: list, MaxMessageBytes: *maxBytes}, nil)
	if err != nil {
		return fmt.Errorf("outbox retry: %w", err)
	}
	defer pub.Close()
	n, err := relay.RetryParked(ctx, postgres.NewOutboxParking(pool), pub, *topic, *group, *userID)
	fmt.Fprintf(e.stdout, "published %d parked messages to %s\n", n, *topic)
	if err != nil {
		return fmt.Errorf("outbox retry: still parked: %w", err)
	}
	return nil
}
