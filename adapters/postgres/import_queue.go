package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ImportQueueTopic is the topic of the PostgreSQL-backed import queue (table
// watermill_imports, created by migration 00003).
const ImportQueueTopic = "imports"

// importQueueSchema is watermill-sql's PostgreSQLQueueSchema made a work
// queue for parallel consumers. Stock, it locks its batch with FOR UPDATE (a
// second consumer waits behind the first) under REPEATABLE READ (so it then
// fails on the rows the first deleted). Here each consumer takes ONE due row
// with FOR UPDATE SKIP LOCKED under READ COMMITTED: consumers never wait for
// each other, and the consumer's transaction (which stays open while the
// handler runs, holding back every watermill-sql reader's xmin, the outbox
// relay's included) lasts one row. Rows deferred with watermill's delay
// metadata (delay.DelayedUntilKey) wait until it is due.
type importQueueSchema struct {
	wsql.PostgreSQLQueueSchema
}

func (s importQueueSchema) SelectQuery(params wsql.SelectQueryParams) (wsql.Query, error) {
	if params.ConsumerGroup != "" || params.Topic != ImportQueueTopic {
		return wsql.Query{}, fmt.Errorf("the import queue is topic %q, without consumer groups", ImportQueueTopic)
	}
	// import_queue_next (migration 00003) selects the oldest due row FOR
	// UPDATE SKIP LOCKED, with its plan pinned to the primary key's order.
	return wsql.Query{Query: `SELECT "offset", uuid, payload, metadata FROM import_queue_next()`}, nil
}

func (s importQueueSchema) SubscribeIsolationLevel() sql.IsolationLevel {
	return sql.LevelReadCommitted
}

// SchemaInitializingQueries returns nothing: the table is a migration's.
func (s importQueueSchema) SchemaInitializingQueries(wsql.SchemaInitializingQueriesParams) ([]wsql.Query, error) {
	return nil, nil
}

// ImportQueueConfig configures the import queue's subscribers.
type ImportQueueConfig struct {
	// PollInterval is the wait after finding no due row. Default 100ms.
	PollInterval time.Duration
	// RetryInterval is the wait after a failed query. Default 1s.
	RetryInterval time.Duration
	// AckDeadline is how long a handler may take before its row is offered
	// again. Default 30s.
	AckDeadline time.Duration
	// Admit, when set, is asked before each consumer opens the transaction
	// that takes (and holds) its next row, and released when that
	// transaction ends: a consumer that waits for its turn (the importer's
	// priority, messages.APIFirst) waits without a transaction. Waiting
	// inside it held a transaction id open for up to a second per chunk,
	// which holds back the pruning of every row the API updates meanwhile
	// (the tenant's seat counter above all) and the outbox relay.
	Admit func(ctx context.Context) (release func(), err error)
}

func (c *ImportQueueConfig) setDefaults() {
	if c.PollInterval == 0 {
		c.PollInterval = 100 * time.Millisecond
	}
	if c.RetryInterval == 0 {
		c.RetryInterval = time.Second
	}
	if c.AckDeadline == 0 {
		c.AckDeadline = 30 * time.Second
	}
}

// Validate reports every invalid field at once.
func (c ImportQueueConfig) Validate() error {
	var errs []error
	if c.PollInterval <= 0 {
		errs = append(errs, errors.New("import queue: PollInterval must be positive"))
	}
	if c.RetryInterval <= 0 {
		errs = append(errs, errors.New("import queue: RetryInterval must be positive"))
	}
	if c.AckDeadline <= 0 {
		errs = append(errs, errors.New("import queue: AckDeadline must be positive"))
	}
	return errors.Join(errs...)
}

// NewImportQueuePublisher returns a publisher to the import queue. Each
// Publish is one INSERT of all its messages, committed on its own.
func NewImportQueuePublisher(pool *pgxpool.Pool, logger watermill.LoggerAdapter) (*wsql.Publisher, error) {
	pub, err := wsql.NewPublisher(wsql.BeginnerFromPgx(pool), wsql.PublisherConfig{SchemaAdapter: importQueueSchema{}}, logger)
	if err != nil {
		return nil, fmt.Errorf("import queue publisher: %w", err)
	}
	return pub, nil
}

// NewImportQueueSubscriber returns a subscriber of the import queue. Every
// Subscribe call is one more consumer; they share the rows. An acked row is
// deleted.
func NewImportQueueSubscriber(pool *pgxpool.Pool, cfg ImportQueueConfig, logger watermill.LoggerAdapter) (*wsql.Subscriber, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var db wsql.Beginner = wsql.BeginnerFromPgx(pool)
	if cfg.Admit != nil {
		db = admittingBeginner{Beginner: db, admit: cfg.Admit}
	}
	sub, err := wsql.NewSubscriber(db, wsql.SubscriberConfig{
		SchemaAdapter:  importQueueSchema{},
		OffsetsAdapter: wsql.PostgreSQLQueueOffsetsAdapter{DeleteOnAck: true},
		AckDeadline:    &cfg.AckDeadline,
		ResendInterval: cfg.RetryInterval,
		BackoffManager: wsql.NewDefaultBackoffManager(cfg.PollInterval, cfg.RetryInterval),
	}, logger)
	if err != nil {
		return nil, fmt.Errorf("import queue subscriber: %w", err)
	}
	return sub, nil
}

// admittingBeginner asks admit before each transaction it begins and
// releases the admission when that transaction commits or rolls back.
type admittingBeginner struct {
	wsql.Beginner
	admit func(ctx context.Context) (release func(), err error)
}

func (b admittingBeginner) BeginTx(ctx context.Context, opts *sql.TxOptions) (wsql.Tx, error) {
	release, err := b.admit(ctx)
	if err != nil {
		return nil, err
	}
	tx, err := b.Beginner.BeginTx(ctx, opts)
	if err != nil {
		release()
		return nil, err
	}
	return releasingTx{Tx: tx, release: sync.OnceFunc(release)}, nil
}

// releasingTx releases its admission when it ends, however it ends.
type releasingTx struct {
	wsql.Tx
	release func()
}

func (t releasingTx) Commit() error {
	defer t.release()
	return t.Tx.Commit()
}

func (t releasingTx) Rollback() error {
	defer t.release()
	return t.Tx.Rollback()
}
