package directory

import (
	"context"
	"fmt"
	"time"

	"github.com/ThreeDotsLabs/watermill"
)

// deleteExpiredSQL deletes up to $3 of the consumer's ids processed before
// the cutoff $2; small batches keep each delete's locks short.
const deleteExpiredSQL = `DELETE FROM processed_events WHERE ctid IN (
    SELECT ctid FROM processed_events WHERE consumer = $1 AND processed_at < $2 LIMIT $3)`

// deleteBatch is how many ids one delete removes at most.
const deleteBatch = 5000

// cleanupLoop deletes expired ids from processed_events every
// DedupCleanupInterval until ctx ends, so the table does not grow with every
// event ever handled. A failed round is logged and tried again next time.
func (p *Projector) cleanupLoop(ctx context.Context) {
	t := time.NewTicker(p.cfg.DedupCleanupInterval)
	defer t.Stop()
	for {
		if n, err := p.deleteExpired(ctx, time.Now().Add(-p.cfg.DedupRetention)); err != nil && ctx.Err() == nil {
			p.logger.Error("processed_events cleanup failed", err, nil)
		} else if n > 0 {
			p.logger.Info("processed_events cleaned up", watermill.LogFields{"deleted": n})
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// deleteExpired deletes the consumer's ids processed before cutoff and
// returns how many.
func (p *Projector) deleteExpired(ctx context.Context, cutoff time.Time) (int64, error) {
	var total int64
	for {
		tag, err := p.pool.Exec(ctx, deleteExpiredSQL, p.cfg.Consumer, cutoff, deleteBatch)
		if err != nil {
			return total, fmt.Errorf("delete expired processed events: %w", err)
		}
		total += tag.RowsAffected()
		if tag.RowsAffected() < deleteBatch {
			return total, nil
		}
	}
}
