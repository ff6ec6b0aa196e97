package service

import (
	"context"
	"errors"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/userservice/userservice/adapters/kafka"
	"github.com/userservice/userservice/adapters/postgres"
	"github.com/userservice/userservice/app"
	"github.com/userservice/userservice/ports/messages"
)

// importerGroup is the importer's Kafka consumer group.
const importerGroup = "importer"

// ImporterConfig configures the importer role.
type ImporterConfig struct {
	// DatabaseURL is where the role opens the pool of its queue consumers.
	// Required.
	DatabaseURL string
	// Pool is the application's pool; rows waiting for their manager or
	// for a retry are requeued through it. Required.
	Pool *pgxpool.Pool
	// Consumers is how many rows are handled at once. Default 4.
	Consumers int
	// KafkaBrokers and KafkaTopic, when set, add the Kafka import topic as
	// a source (IMPORT_QUEUE=kafka); the PostgreSQL queue is still consumed
	// by one consumer, for the rows that wait there.
	KafkaBrokers []string
	KafkaTopic   string
	// RowsPerSecond is the role's budget of rows applied per second; 0 is
	// none.
	RowsPerSecond int
	// YieldToAPI, when positive, puts the API first (messages.APIFirst):
	// while processes of the api role have requests in the database,
	// chunks go one at a time, each after pausing as long as the last one
	// took, at most this long. 0: the importer never yields.
	YieldToAPI time.Duration
	// ApplicationNamePrefix starts the application_name of every connection
	// of the service (postgres.ApplicationNamePrefixOf the DATABASE_URL):
	// how the priority finds the API's work. Default
	// postgres.ApplicationNamePrefix.
	ApplicationNamePrefix string
	// PollInterval is the PostgreSQL queue's idle wait. Default the queue's.
	PollInterval time.Duration
	// Logger receives the router's logs. Default none.
	Logger watermill.LoggerAdapter
}

// Validate reports every invalid field at once.
func (c ImporterConfig) Validate() error {
	var errs []error
	if c.DatabaseURL == "" || c.Pool == nil {
		errs = append(errs, errors.New("importer: DatabaseURL and Pool are required"))
	}
	if c.YieldToAPI < 0 {
		errs = append(errs, errors.New("importer: YieldToAPI must not be negative"))
	}
	if c.Consumers < 0 {
		errs = append(errs, errors.New("importer: Consumers must not be negative"))
	}
	if len(c.KafkaBrokers) > 0 && c.KafkaTopic == "" {
		errs = append(errs, errors.New("importer: KafkaTopic is required with KafkaBrokers"))
	}
	return errors.Join(errs...)
}

// Importer is the importer role: the import router over the application.
type Importer struct {
	app app.Application
	cfg ImporterConfig
}

// NewImporter returns the role; its connections are opened by Run.
func NewImporter(application app.Application, cfg ImporterConfig) (*Importer, error) {
	if cfg.Consumers == 0 {
		cfg.Consumers = 4
	}
	if cfg.Logger == nil {
		cfg.Logger = watermill.NopLogger{}
	}
	if cfg.ApplicationNamePrefix == "" {
		cfg.ApplicationNamePrefix = postgres.ApplicationNamePrefix
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Importer{app: application, cfg: cfg}, nil
}

// apiFirst returns the importer's priority (nil when YieldToAPI is 0),
// sharing its turns with the service's other processes, and the func that
// closes the turns' connection.
func (i *Importer) apiFirst() (*messages.APIFirst, func(), error) {
	if i.cfg.YieldToAPI <= 0 {
		return nil, func() {}, nil
	}
	activity, err := postgres.NewAPIActivity(i.cfg.Pool, i.cfg.ApplicationNamePrefix)
	if err != nil {
		return nil, nil, err
	}
	turns, err := postgres.NewImportTurns(i.cfg.Pool, i.cfg.ApplicationNamePrefix)
	if err != nil {
		return nil, nil, err
	}
	return messages.NewAPIFirst(activity, turns, i.cfg.YieldToAPI, i.cfg.Logger), turns.Close, nil
}

// Run consumes import rows until ctx is cancelled. The queue consumers get a
// pool of their own, one connection each plus one: each holds its connection
// (the row's lock) while the handler writes through the application's pool,
// and sharing a small pool deadlocked.
func (i *Importer) Run(ctx context.Context) (err error) {
	pgConsumers := i.cfg.Consumers
	if len(i.cfg.KafkaBrokers) > 0 {
		pgConsumers = 1
	}
	// Named apart, so that the consumers' transactions (open while their
	// chunk is applied) never count as the API's work.
	subPool, err := postgres.Connect(ctx, postgres.WithApplicationName(i.cfg.DatabaseURL, i.cfg.ApplicationNamePrefix+" importer queue"),
		int32(pgConsumers+1))
	if err != nil {
		return err
	}
	defer subPool.Close()
	yield, closeYield, err := i.apiFirst()
	if err != nil {
		return err
	}
	defer closeYield()
	qcfg := postgres.ImportQueueConfig{PollInterval: i.cfg.PollInterval}
	if yield != nil {
		// Asked before a consumer takes its row, not while it holds it.
		qcfg.Admit = yield.Admit
	}
	sub, err := postgres.NewImportQueueSubscriber(subPool, qcfg, i.cfg.Logger)
	if err != nil {
		return err
	}
	requeue, err := postgres.NewImportQueuePublisher(i.cfg.Pool, i.cfg.Logger)
	if err != nil {
		return errors.Join(err, sub.Close())
	}
	sources := []messages.Source{{Name: "postgres", Subscriber: sub, Topic: postgres.ImportQueueTopic, Consumers: pgConsumers,
		Admitted: yield != nil}}
	if len(i.cfg.KafkaBrokers) > 0 {
		ksub, err := kafka.NewSubscriber(kafka.SubscriberConfig{Brokers: i.cfg.KafkaBrokers, ConsumerGroup: importerGroup}, i.cfg.Logger)
		if err != nil {
			return errors.Join(err, sub.Close())
		}
		// The router closes its subscribers; closing again is harmless and
		// covers a router that failed to start.
		defer func() { err = errors.Join(err, ksub.Close()) }()
		sources = append(sources, messages.Source{Name: "kafka", Subscriber: ksub, Topic: i.cfg.KafkaTopic, Consumers: i.cfg.Consumers})
	}
	rc := messages.ImportRouterConfig{Sources: sources, Requeue: requeue, RowsPerSecond: i.cfg.RowsPerSecond, Logger: i.cfg.Logger}
	if yield != nil {
		rc.Yield = yield // for the Kafka topic's messages
	}
	router, err := messages.NewImportRouter(i.app, rc)
	if err != nil {
		return errors.Join(err, sub.Close())
	}
	return router.Run(ctx)
}
