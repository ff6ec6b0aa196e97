package messages_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"

	"github.com/userservice/userservice/ports/messages"
)

// TestImporterKeepsToItsRowsPerSecondBudget: with a budget of 200 rows/s
// (a burst of one chunk), 700 rows take at least two seconds to apply,
// however fast the database is. The rows travel on an in-process GoChannel,
// so no other test's importer takes them.
func TestImporterKeepsToItsRowsPerSecondBudget(t *testing.T) {
	t.Parallel()
	bus := gochannel.NewGoChannel(gochannel.Config{OutputChannelBuffer: 100, Persistent: true}, watermill.NopLogger{})
	t.Cleanup(func() { _ = bus.Close() })
	h := newHarness(t, 1000, options{publisher: bus, topic: "imports-budget"})
	cfg := messagesConfig()
	cfg.Sources = []messages.Source{{Name: "bus", Subscriber: bus, Topic: "imports-budget", Consumers: 4}}
	cfg.Requeue, cfg.RequeueTopic, cfg.RowsPerSecond = bus, "imports-budget", 200
	var b strings.Builder
	b.WriteString(header)
	for i := range 700 {
		fmt.Fprintf(&b, "Q%d,q%d@example.com,Q,Row,,,,,\n", i, i)
	}
	started := h.importCSV(b.String())
	begin := time.Now()
	h.startRouter(cfg)
	if got := countsOf(h.waitFinished(started.JobID)); got != (counts{total: 700, created: 700}) {
		t.Fatalf("counts %+v", got)
	}
	if took := time.Since(begin); took < 1900*time.Millisecond {
		t.Fatalf("700 rows applied in %s under a budget of 200 rows/s", took)
	}
}
