package command

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/userservice/userservice/app/errkind"
)

// SyncHRIS imports the full employee list of a tenant's HRIS, exactly as a CSV
// import would (source hris).
type SyncHRIS struct {
	TenantID string
	// DeactivateMissing deactivates active users with an external id that
	// the HRIS no longer lists.
	DeactivateMissing bool
	// DedupKey, when set, runs the sync at most once per key (one schedule
	// tick, however many hris-sync processes fire it): ErrImportExists.
	DedupKey string
}

// EmployeeSource reads an HRIS: every employee as an import row, numbered
// from 1 in the source's order, or an error. Never a part of the list: a sync
// that could not read everything must not look complete (and must not
// deactivate the employees it did not get to).
type EmployeeSource interface {
	Employees(ctx context.Context) ([]ImportRow, error)
}

// ExternalIDLister lists the external ids of a tenant's active users.
type ExternalIDLister interface {
	ActiveExternalIDs(ctx context.Context, tenantID string) ([]string, error)
}

// SyncHRISHandler handles SyncHRIS.
type SyncHRISHandler Handler[SyncHRIS, StartedImport]

// syncHRISHandler is SyncHRISHandler built by its constructor.
type syncHRISHandler struct {
	source  EmployeeSource
	users   ExternalIDLister
	jobs    ImportJobStore
	staging ImportStaging
	queue   ImportQueue
	newID   func() (string, error)
}

// NewSyncHRISHandler returns the handler.
func NewSyncHRISHandler(source EmployeeSource, users ExternalIDLister, jobs ImportJobStore, staging ImportStaging, queue ImportQueue,
	newID func() (string, error)) (SyncHRISHandler, error) {
	if source == nil || users == nil || jobs == nil || staging == nil || queue == nil || newID == nil {
		return nil, errors.New("NewSyncHRISHandler: nil dependency")
	}
	return syncHRISHandler{source: source, users: users, jobs: jobs, staging: staging, queue: queue, newID: newID}, nil
}

// ErrNoHRIS is what SyncHRIS answers in a process without an HRIS: a
// wiring mistake of ours, never a client's.
var ErrNoHRIS = errkind.New(errkind.Internal, "internal", "no HRIS is configured in this process")

// NewNoHRISHandler returns the SyncHRIS handler of a process without an HRIS:
// it refuses every sync with ErrNoHRIS, where a zero handler would panic.
func NewNoHRISHandler() SyncHRISHandler { return noHRISHandler{} }

type noHRISHandler struct{}

func (noHRISHandler) Handle(context.Context, SyncHRIS) (StartedImport, error) {
	return StartedImport{}, ErrNoHRIS
}

// Handle creates the job, reads the whole HRIS (a failure fails the job and
// notifies the tenant's admins, with nothing queued), then queues the rows.
func (h syncHRISHandler) Handle(ctx context.Context, cmd SyncHRIS) (StartedImport, error) {
	if cmd.TenantID == "" {
		return StartedImport{}, ErrInvalidEnvelope
	}
	id, err := h.newID()
	if err != nil {
		return StartedImport{}, fmt.Errorf("new job id: %w", err)
	}
	job := NewImportJob{ID: id, TenantID: cmd.TenantID, Source: SourceHRIS, Actor: "hris-sync", DedupKey: cmd.DedupKey}
	if err := h.jobs.CreateImportJob(ctx, job); err != nil {
		return StartedImport{}, err
	}
	rows, err := h.source.Employees(ctx)
	if err == nil && cmd.DeactivateMissing && len(rows) > 0 {
		// An empty list is far likelier a fault than everyone leaving, so
		// it never deactivates anybody.
		rows, err = h.withLeavers(ctx, cmd.TenantID, rows)
	}
	if err != nil {
		if ferr := h.jobs.FailImportJob(context.WithoutCancel(ctx), id, "reading the HRIS failed: "+err.Error(), true); ferr != nil {
			err = errors.Join(err, fmt.Errorf("mark job failed: %w", ferr))
		}
		return StartedImport{JobID: id}, fmt.Errorf("%w: %w", ErrSyncFailed, err)
	}
	defer func() { _ = h.staging.Drop(context.WithoutCancel(ctx), id) }()
	total, unordered, err := h.staging.Stage(ctx, id, &sliceRows{rows: rows})
	if err == nil {
		total, err = queueJob(ctx, h.jobs, h.staging, h.queue, job, total, unordered)
	} else if ferr := h.jobs.FailImportJob(context.WithoutCancel(ctx), id, "staging the rows failed", true); ferr != nil {
		err = errors.Join(err, fmt.Errorf("mark job failed: %w", ferr))
	}
	return StartedImport{JobID: id, Total: total}, err
}

// withLeavers appends a deactivation row for every active user whose external
// id the HRIS did not list.
func (h syncHRISHandler) withLeavers(ctx context.Context, tenantID string, rows []ImportRow) ([]ImportRow, error) {
	listed := make(map[string]bool, len(rows))
	for _, r := range rows {
		listed[strings.TrimSpace(r.Fields[ColExternalID])] = true
	}
	active, err := h.users.ActiveExternalIDs(ctx, tenantID)
	if err != nil {
		return nil, fmt.Errorf("list active users: %w", err)
	}
	next := len(rows)
	for _, ext := range active {
		if !listed[ext] {
			next++
			rows = append(rows, ImportRow{Row: next, Kind: RowDeactivate, Fields: map[string]string{ColExternalID: ext}})
		}
	}
	return rows, nil
}

// sliceRows reads rows held in memory.
type sliceRows struct {
	rows []ImportRow
	next int
}

func (s *sliceRows) Next() (ImportRow, error) {
	if s.next == len(s.rows) {
		return ImportRow{}, io.EOF
	}
	s.next++
	return s.rows[s.next-1], nil
}
