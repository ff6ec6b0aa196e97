package service

import (
	"context"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"

	"github.com/userservice/userservice/adapters/csvimport"
	"github.com/userservice/userservice/adapters/hris"
	"github.com/userservice/userservice/adapters/logging"
	"github.com/userservice/userservice/adapters/notify"
	"github.com/userservice/userservice/adapters/personaldata"
	"github.com/userservice/userservice/adapters/postgres"
	"github.com/userservice/userservice/app"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/app/decorator"
	"github.com/userservice/userservice/app/query"
	"github.com/userservice/userservice/ports/messages"
)

// Options are what Build needs beyond the pool. The zero value queues
// imports on PostgreSQL, sends notices by webhook only and has no HRIS.
type Options struct {
	// Logger receives the command log lines. Default zap.NewNop().
	Logger *zap.Logger
	// Metrics measures the commands (and the queries, when it implements
	// decorator.QueryMetrics); nil measures nothing.
	Metrics decorator.Metrics
	// Tracer opens a span per command and query; nil traces nothing.
	Tracer decorator.Tracer
	// ImportQueue publishes the import rows to ImportTopic (Kafka, say);
	// the caller closes it. Nil means the PostgreSQL import queue on the pool.
	ImportQueue message.Publisher
	ImportTopic string
	// SMTP, when set, sends the notices of the e-mail channel.
	SMTP *notify.SMTPConfig
	// AllowInternalWebhooks lets tenants' webhooks reach loopback, private,
	// link-local and metadata addresses (WEBHOOK_ALLOW_INTERNAL); off, they
	// are refused when saved and when dialled.
	AllowInternalWebhooks bool
	// HRIS, when set, is the HRIS the SyncHRIS use case reads. Without it
	// SyncHRIS refuses every sync (command.ErrNoHRIS).
	HRIS *hris.ClientConfig
	// ImportTempDir is where CSV uploads are spooled. Default os.TempDir().
	ImportTempDir string
	// NoticeLease is how long a notifier holds a notice it sends; zero
	// means the use case's default (2m).
	NoticeLease time.Duration
	// Reads, when set, serves the list and search queries from a read
	// replica while it is fresh (reads.go).
	Reads *ReadReplica
	// TokenCacheTTL, when positive, caches token lookups that long (see
	// query.TokenCache); zero (the tools) looks every token up.
	TokenCacheTTL time.Duration
	// Lifetime, when set, is the process's (it also bounds the upload's
	// import turns, postgres.ImportTurns): with a token cache, Build
	// starts a listener for token changes (postgres.ListenTokenChanges)
	// that ends with it. Without it the cache's TTL is its only bound.
	Lifetime context.Context
	// GroupCommit, when set, applies concurrent commands together (see
	// postgres.GroupCommitConfig); nil gives each command its own transaction.
	GroupCommit *postgres.GroupCommitConfig
	// PersonalData, when set, encrypts the personal fields of user events
	// with each user's data key (README "Personal data"); nil stores them
	// in clear.
	PersonalData *personaldata.Keys
	// UploadYieldToAPI, when positive, puts the API first for the queueing
	// of an upload's rows (IMPORT_YIELD_TO_API, as for the importer's
	// chunks); ApplicationNamePrefix names the service's connections
	// (empty: postgres.ApplicationNamePrefix), by which the API's work is
	// told apart.
	UploadYieldToAPI      time.Duration
	ApplicationNamePrefix string
}

// buildBulk wires the import, HRIS and notification use cases into a, whose
// user commands are already decorated.
func buildBulk(b *builder, pool *pgxpool.Pool, o Options, log *zap.Logger, a *app.Application) {
	imports, users, notes := postgres.NewImports(pool), postgres.NewImportUsers(pool), postgres.NewNotifications(pool)
	var staging command.ImportStaging = postgres.NewImportStaging(pool)
	chunks := build(b, "NewImportChunks", func() (*postgres.ImportChunks, error) {
		c, err := postgres.NewImportChunks(pool, logging.NewWatermill(log.Named("imports")))
		if err == nil {
			c.EncryptPersonalData(o.PersonalData)
		}
		return c, err
	})
	pub, topic := o.ImportQueue, o.ImportTopic
	if pub == nil {
		pg, err := postgres.NewImportQueuePublisher(pool, logging.NewWatermill(log.Named("imports")))
		if err != nil {
			b.errs = append(b.errs, err) // the handlers below would only add noise
			return
		}
		pub, topic = pg, postgres.ImportQueueTopic
		// The rows go from the staging table to the queue in PostgreSQL.
		staging = build(b, "NewQueueingImportStaging", func() (*postgres.QueueingImportStaging, error) {
			s, err := postgres.NewQueueingImportStaging(pool, messages.ChunkRows, messages.ChunkMessageID)
			if err != nil || o.UploadYieldToAPI <= 0 {
				return s, err
			}
			// The API first, for the upload's queueing as for the chunks.
			activity, err := postgres.NewAPIActivity(pool, o.ApplicationNamePrefix)
			if err != nil {
				return nil, err
			}
			turns, err := uploadTurns(pool, o)
			if err != nil {
				return nil, err
			}
			s.YieldBetweenBatches(messages.NewAPIFirst(activity, turns, o.UploadYieldToAPI,
				logging.NewWatermill(log.Named("imports"))))
			return s, nil
		})
	}
	queue := build(b, "NewImportPublisher", func() (*messages.ImportPublisher, error) {
		return messages.NewImportPublisher(pub, topic)
	})
	// The size limit is csvimport's default, the same as the HTTP API's.
	format := build(b, "csvimport.NewFormat", func() (*csvimport.Format, error) {
		return csvimport.NewFormat(csvimport.Config{TempDir: o.ImportTempDir})
	})
	c, q := &a.Commands, &a.Queries
	c.StartImport = build(b, "NewStartImportHandler", func() (command.StartImportHandler, error) {
		return command.NewStartImportHandler(format, imports, staging, queue, newStringID)
	})
	c.ImportUserRows = build(b, "NewImportUserRowsHandler", func() (command.ImportUserRowsHandler, error) {
		return command.NewImportUserRowsHandler(chunks, newUserID, command.ImportUserRowConfig{})
	})
	c.ImportUserRow = build(b, "NewImportUserRowHandler", func() (command.ImportUserRowHandler, error) {
		return command.NewImportUserRowHandler(c.ImportUserRows)
	})
	c.ParkImportRow = build(b, "NewParkImportRowHandler", func() (command.ParkImportRowHandler, error) {
		return command.NewParkImportRowHandler(imports)
	})
	c.RetryImport = build(b, "NewRetryImportHandler", func() (command.RetryImportHandler, error) {
		return command.NewRetryImportHandler(imports, queue)
	})
	c.FailStaleImports = build(b, "NewFailStaleImportsHandler", func() (command.FailStaleImportsHandler, error) {
		return command.NewFailStaleImportsHandler(imports)
	})
	c.SetNotificationSettings = build(b, "NewSetNotificationSettingsHandler", func() (command.SetNotificationSettingsHandler, error) {
		return command.NewSetNotificationSettingsHandler(notes, notify.TargetGuard{AllowInternal: o.AllowInternalWebhooks})
	})
	c.SyncHRIS = command.NewNoHRISHandler()
	if o.HRIS != nil {
		c.SyncHRIS = build(b, "NewSyncHRISHandler", func() (command.SyncHRISHandler, error) {
			client, err := hris.NewClient(*o.HRIS)
			if err != nil {
				return nil, err
			}
			return command.NewSyncHRISHandler(client, users, imports, staging, queue, newStringID)
		})
	}
	c.DeliverNotification = build(b, "NewDeliverNotificationHandler", func() (command.DeliverNotificationHandler, error) {
		senders, err := noticeSenders(o.SMTP, o.AllowInternalWebhooks)
		if err != nil {
			return nil, err
		}
		return command.NewDeliverNotificationHandler(notes, senders, time.Now, command.DeliverNotificationConfig{Lease: o.NoticeLease})
	})
	q.GetImport = build(b, "NewGetImportHandler", func() (query.GetImportHandler, error) {
		return query.NewGetImportHandler(imports)
	})
	q.ListImportFailures = build(b, "NewListImportFailuresHandler", func() (query.ListImportFailuresHandler, error) {
		return query.NewListImportFailuresHandler(imports)
	})
	q.ListParkedImportRows = build(b, "NewListParkedImportRowsHandler", func() (query.ListParkedImportRowsHandler, error) {
		return query.NewListParkedImportRowsHandler(imports)
	})
}

// noticeSenders returns the webhook sender, and the e-mail one when SMTP is
// configured: notices of a channel without a sender wait in the queue.
func noticeSenders(smtp *notify.SMTPConfig, allowInternal bool) (map[command.NoticeChannel]command.NoticeSender, error) {
	webhook, err := notify.NewWebhook(notify.WebhookConfig{AllowInternal: allowInternal})
	if err != nil {
		return nil, err
	}
	senders := map[command.NoticeChannel]command.NoticeSender{command.ChannelWebhook: webhook}
	if smtp != nil {
		mail, err := notify.NewSMTP(*smtp)
		if err != nil {
			return nil, err
		}
		senders[command.ChannelEmail] = mail
	}
	return senders, nil
}

// uploadTurns returns the import turns the upload's queueing shares with
// the importer processes (postgres.ImportTurns), closed at the end of
// o.Lifetime; without a Lifetime (the tools, tests) there is nothing to
// bound their connection by, and the queueing paces itself alone.
func uploadTurns(pool *pgxpool.Pool, o Options) (messages.Turns, error) {
	if o.Lifetime == nil {
		return nil, nil
	}
	turns, err := postgres.NewImportTurns(pool, o.ApplicationNamePrefix)
	if err != nil {
		return nil, err
	}
	context.AfterFunc(o.Lifetime, turns.Close)
	return turns, nil
}
