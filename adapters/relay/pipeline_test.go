package relay

import (
	"testing"
	"time"

	"github.com/userservice/userservice/adapters/postgres"
)

// TestRelayAcknowledgesBeforeItGoesIdle: the pipelined loop sends a batch's
// acknowledgement with the next read, so once the relay has nothing left,
// every row it published is acknowledged (a standby taking over, the lag
// metrics and the drain check see the true position), not only at the
// next poll.
func TestRelayAcknowledgesBeforeItGoesIdle(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	stop := h.startRelay(Config{BatchSize: 3, PollInterval: time.Hour}) // no poll: only the loop itself acknowledges
	defer stop()
	want := h.write(5, 2)
	h.readTopic(time.Minute, allOf(want))

	deadline := time.Now().Add(5 * time.Second)
	for {
		left := 0
		for shard := range postgres.OutboxShards {
			tbl := postgres.OutboxTopic(shard)
			var n int
			must(t, h.pool.QueryRow(h.ctx, `SELECT count(*) FROM watermill_`+tbl+` o, watermill_offsets_`+tbl+` p
				WHERE p.consumer_group = $1 AND o.metadata->>'tenant_id' = $2
				AND (o.transaction_id, o."offset") > (p.last_processed_transaction_id, p.offset_acked)`, h.group, h.tenant).Scan(&n))
			left += n
		}
		if left == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d published rows still unacknowledged 5 s after the last one reached Kafka", left)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
