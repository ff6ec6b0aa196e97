package relay

import (
	"testing"
	"time"

	"github.com/userservice/userservice/adapters/kafka/kafkatest"
)

// outageBrokerPort is this package's private broker (controller on +1): the
// test stops it, so it must not be the broker other tests share.
const outageBrokerPort = 29092

func TestKafkaOutageDelaysButNeverLosesEvents(t *testing.T) {
	broker := kafkatest.StartPrivateBroker(t, "relay-outage", outageBrokerPort)
	h := newHarnessOn(t, broker.Brokers())
	stop := h.startRelay(Config{RetryInterval: 50 * time.Millisecond, MaxRetryInterval: time.Second})
	defer stop()
	before := h.write(10, 1)
	h.readTopic(time.Minute, allOf(before))

	broker.Stop(t)
	during := h.write(20, 2) // committed while Kafka is away: they wait in the outbox
	time.Sleep(3 * time.Second)
	broker.Start(t)
	back := time.Now()

	got := h.ofTenant(h.readTopic(2*time.Minute, allOf(during)))
	dups := checkDelivered(t, during, got)
	t.Logf("after the outage: %d records of this tenant, %d duplicates, all read %v after the broker answered again",
		len(got), dups, time.Since(back).Round(time.Millisecond))
}
