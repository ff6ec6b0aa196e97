package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/IBM/sarama"

	"github.com/userservice/userservice/adapters/eventcontract"
)

// eventsTailUsage is the help text of `usersctl events tail`, for the
// command list in main.go's usage.
const eventsTailUsage = `  events tail [--from-beginning] [--tenant ID] [--type T] [--brokers LIST] [--topic NAME] [--max N]
                                                   print published events live, one line each;
                                                   --type takes user.registered.v1 or user.registered
                                                   (any version)`

// tailDialTimeout bounds the wait for the brokers: a CLI should fail fast.
const tailDialTimeout = 5 * time.Second

// tailOptions are the parsed flags of events tail.
type tailOptions struct {
	fromBeginning bool
	tenant, typ   string
	brokers       []string
	topic         string
	max           int
}

// runEventsTail implements `usersctl events tail`: it reads the events topic
// with a plain partition consumer, in no consumer group, so it never takes
// partitions from (or commits offsets for) the service's subscribers, and
// prints each decoded event on one line. It runs until ctx is cancelled
// (Ctrl-C), or after --max events.
func runEventsTail(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	opts, err := parseTailFlags(args, stderr)
	if err != nil {
		return err
	}
	consumer, err := sarama.NewConsumer(opts.brokers, tailSaramaConfig())
	if err != nil {
		return fmt.Errorf("events tail: connect to Kafka at %v: %w", opts.brokers, err)
	}
	defer consumer.Close()
	parts, err := consumer.Partitions(opts.topic)
	if errors.Is(err, sarama.ErrUnknownTopicOrPartition) {
		return fmt.Errorf("events tail: topic %q does not exist: nothing has been published to it yet (is the relay role running?)", opts.topic)
	}
	if err != nil {
		return fmt.Errorf("events tail: partitions of %q: %w", opts.topic, err)
	}

	start, from := sarama.OffsetNewest, "new events"
	if opts.fromBeginning {
		start, from = sarama.OffsetOldest, "from the beginning"
	}
	records := make(chan *sarama.ConsumerMessage)
	stop := make(chan struct{})
	var pcs []sarama.PartitionConsumer
	defer func() {
		close(stop) // first, so no forwarder is stuck sending while its consumer closes
		for _, pc := range pcs {
			_ = pc.Close()
		}
	}()
	for _, p := range parts {
		pc, err := consumer.ConsumePartition(opts.topic, p, start)
		if err != nil {
			return fmt.Errorf("events tail: partition %d of %q: %w", p, opts.topic, err)
		}
		pcs = append(pcs, pc)
		go forwardRecords(pc, records, stop)
	}
	fmt.Fprintf(stderr, "usersctl: tailing %s (%d partitions, %s); Ctrl-C stops\n", opts.topic, len(parts), from)

	printed := 0
	for opts.max == 0 || printed < opts.max {
		select {
		case <-ctx.Done():
			return nil
		case rec := <-records:
			if eventcontract.IsTombstone(rec.Value) {
				continue // an erased user's tombstone: no event to show
			}
			ev, err := eventcontract.Decode(rec.Value)
			if err != nil && !errors.Is(err, eventcontract.ErrUnknownType) {
				fmt.Fprintf(stderr, "usersctl: partition %d offset %d: %v\n", rec.Partition, rec.Offset, err)
				continue
			}
			if (opts.tenant != "" && ev.TenantID != opts.tenant) || (opts.typ != "" && !eventcontract.MatchesType(ev.Type, opts.typ)) {
				continue
			}
			if _, err := fmt.Fprintln(stdout, formatEvent(ev)); err != nil {
				return err // stdout closed (piped into head, say)
			}
			printed++
		}
	}
	return nil
}

func forwardRecords(pc sarama.PartitionConsumer, out chan<- *sarama.ConsumerMessage, stop <-chan struct{}) {
	for m := range pc.Messages() {
		select {
		case out <- m:
		case <-stop:
			return
		}
	}
}

func parseTailFlags(args []string, stderr io.Writer) (tailOptions, error) {
	var opts tailOptions
	fs := newFlagSet("events tail")
	fs.BoolVar(&opts.fromBeginning, "from-beginning", false, "print the topic's history first, then new events")
	fs.StringVar(&opts.tenant, "tenant", "", "only events of this tenant id")
	fs.StringVar(&opts.typ, "type", "", "only events of this type: user.registered.v1, or user.registered for any version")
	brokers := fs.String("brokers", "127.0.0.1:9092", "Kafka bootstrap brokers, comma-separated host:port")
	fs.StringVar(&opts.topic, "topic", eventcontract.Topic, "the events topic")
	fs.IntVar(&opts.max, "max", 0, "stop after printing this many events; 0 = run until interrupted")
	if err := parseFlags(fs, args, env{stderr: stderr}); err != nil {
		return opts, err
	}
	for _, b := range strings.Split(*brokers, ",") {
		if b = strings.TrimSpace(b); b != "" {
			opts.brokers = append(opts.brokers, b)
		}
	}
	switch {
	case len(opts.brokers) == 0:
		return opts, usageError("events tail: --brokers is empty")
	case opts.topic == "":
		return opts, usageError("events tail: --topic is empty")
	case opts.max < 0:
		return opts, usageError("events tail: --max must not be negative")
	}
	return opts, nil
}

func tailSaramaConfig() *sarama.Config {
	cfg := sarama.NewConfig()
	// The protocol version adapters/kafka uses: Kafka 4 removed the
	// requests of sarama's default.
	cfg.Version = sarama.V2_8_0_0
	cfg.ClientID = "usersctl-events-tail"
	cfg.Net.DialTimeout = tailDialTimeout
	cfg.Metadata.Retry.Max = 1
	return cfg
}
