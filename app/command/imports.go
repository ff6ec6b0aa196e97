package command

import (
	"context"
	"fmt"
	"time"

	"github.com/userservice/userservice/app/errkind"
	"github.com/userservice/userservice/domain/user"
)

// Import columns: the canonical names of an import row's fields, which are
// also the default CSV header. Columns a source does not have are left as
// they are on update.
const (
	ColExternalID        = "external_id"
	ColEmail             = "email"
	ColGivenName         = "given_name"
	ColFamilyName        = "family_name"
	ColDisplayName       = "display_name"
	ColDepartment        = "department"
	ColTitle             = "title"
	ColManagerExternalID = "manager_external_id"
	ColStatus            = "status"
	ColLocale            = "locale"
	ColTimeZone          = "time_zone"
	// The rest of the profile (optional extras, as the domain names them).
	ColUsername          = "username"
	ColMiddleName        = "middle_name"
	ColHonorificPrefix   = "honorific_prefix"
	ColHonorificSuffix   = "honorific_suffix"
	ColFormattedName     = "formatted_name"
	ColNickName          = "nick_name"
	ColProfileURL        = "profile_url"
	ColUserType          = "user_type"
	ColEmployeeNumber    = "employee_number"
	ColCostCenter        = "cost_center"
	ColOrganization      = "organization"
	ColDivision          = "division"
	ColPreferredLanguage = "preferred_language"
)

// ImportColumns lists the columns an import understands, in the documented
// header order (those after status are optional extras).
var ImportColumns = []string{ColExternalID, ColEmail, ColGivenName, ColFamilyName, ColDisplayName,
	ColDepartment, ColTitle, ColManagerExternalID, ColStatus, ColLocale, ColTimeZone,
	ColUsername, ColMiddleName, ColHonorificPrefix, ColHonorificSuffix, ColFormattedName, ColNickName,
	ColProfileURL, ColUserType, ColEmployeeNumber, ColCostCenter, ColOrganization, ColDivision, ColPreferredLanguage}

// extraColumns are the profile columns set the same way on create and
// update, with where each lives in a profile and in a patch.
var extraColumns = []struct {
	col     string
	profile func(*user.Profile) *string
	patch   func(*user.Patch) **string
}{
	{ColUsername, func(p *user.Profile) *string { return &p.Username }, func(p *user.Patch) **string { return &p.Username }},
	{ColMiddleName, func(p *user.Profile) *string { return &p.MiddleName }, func(p *user.Patch) **string { return &p.MiddleName }},
	{ColHonorificPrefix, func(p *user.Profile) *string { return &p.HonorificPrefix }, func(p *user.Patch) **string { return &p.HonorificPrefix }},
	{ColHonorificSuffix, func(p *user.Profile) *string { return &p.HonorificSuffix }, func(p *user.Patch) **string { return &p.HonorificSuffix }},
	{ColFormattedName, func(p *user.Profile) *string { return &p.FormattedName }, func(p *user.Patch) **string { return &p.FormattedName }},
	{ColNickName, func(p *user.Profile) *string { return &p.NickName }, func(p *user.Patch) **string { return &p.NickName }},
	{ColProfileURL, func(p *user.Profile) *string { return &p.ProfileURL }, func(p *user.Patch) **string { return &p.ProfileURL }},
	{ColUserType, func(p *user.Profile) *string { return &p.UserType }, func(p *user.Patch) **string { return &p.UserType }},
	{ColEmployeeNumber, func(p *user.Profile) *string { return &p.EmployeeNumber }, func(p *user.Patch) **string { return &p.EmployeeNumber }},
	{ColCostCenter, func(p *user.Profile) *string { return &p.CostCenter }, func(p *user.Patch) **string { return &p.CostCenter }},
	{ColOrganization, func(p *user.Profile) *string { return &p.Organization }, func(p *user.Patch) **string { return &p.Organization }},
	{ColDivision, func(p *user.Profile) *string { return &p.Division }, func(p *user.Patch) **string { return &p.Division }},
	{ColPreferredLanguage, func(p *user.Profile) *string { return &p.PreferredLanguage }, func(p *user.Patch) **string { return &p.PreferredLanguage }},
}

// RowKind says what an import row asks for.
type RowKind string

// The row kinds.
const (
	// RowUpsert creates the user when new, updates it when changed.
	RowUpsert RowKind = "upsert"
	// RowDeactivate deactivates the user with the row's external id (an
	// HRIS sync's employee who disappeared).
	RowDeactivate RowKind = "deactivate"
)

// Failure is one reason a row was rejected, or (Severity warning) one
// thing to know about a row that was imported.
type Failure struct {
	Row     int    `json:"row"`
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
	// Severity is SeverityError ("" reads as it) or SeverityWarning.
	Severity string `json:"severity,omitempty"`
	// Value is the offending cell (capped); ExternalID and Email are the
	// row's, so an admin can find the person.
	Value      string `json:"value,omitempty"`
	ExternalID string `json:"external_id,omitempty"`
	Email      string `json:"email,omitempty"`
	// RootRow is, for a row refused (or imported without its manager)
	// because its manager's row was not imported, the row where that
	// began (as far as the decision knew it; readers follow the chain).
	RootRow int `json:"root_row,omitempty"`
}

// The severities of a Failure.
const (
	SeverityError   = "error"
	SeverityWarning = "warning"
)

// ImportRow is one row of an import source.
type ImportRow struct {
	// Row is the row's number in its source (in a CSV file the header is
	// row 1, as a spreadsheet shows it).
	Row int `json:"row"`
	// Kind is RowUpsert when empty.
	Kind RowKind `json:"kind,omitempty"`
	// Fields maps the columns the source has to their values; a column that
	// is absent is left unchanged.
	Fields map[string]string `json:"fields,omitempty"`
	// SourceModifiedAt is when the source last changed the record (HRIS); a
	// user changed after it is not overwritten. Zero: always apply.
	SourceModifiedAt time.Time `json:"source_modified_at,omitzero"`
	// Rejection is set for a row refused before it was queued (malformed,
	// duplicate): it is recorded as rejected without running a command.
	Rejection []Failure `json:"rejection,omitempty"`
	// ManagerRow is the row of the same job that has the manager's external
	// id (0: none), so a manager that comes later is waited for.
	ManagerRow int `json:"manager_row,omitempty"`
	// Raw is the row's cells as in the file, kept with the job when the
	// upload asked (ImportOptions.KeepRows); never queued.
	Raw []string `json:"raw,omitempty"`
}

// ImportUserRow is one queued row of one import job: what an import message
// carries.
type ImportUserRow struct {
	JobID    string `json:"job_id"`
	TenantID string `json:"tenant_id"`
	Source   Source `json:"source"`
	ImportRow
	// Deferrals counts how often the row was put back to wait for its manager.
	Deferrals int `json:"deferrals,omitempty"`
	// MissingManager is the job's policy for a manager not found ("":
	// ignore).
	MissingManager MissingManagerPolicy `json:"missing_manager,omitempty"`
}

// ImportQueue publishes import rows as messages (one per row) for the
// importer role to handle. Enqueue returns after the broker has them all.
type ImportQueue interface {
	Enqueue(ctx context.Context, rows []ImportUserRow) error
}

// Outcome is what became of one import row.
type Outcome string

// The outcomes.
const (
	OutcomeCreated   Outcome = "created"
	OutcomeUpdated   Outcome = "updated"
	OutcomeUnchanged Outcome = "unchanged"
	// OutcomeSkipped: the user changed after the source's record did.
	OutcomeSkipped  Outcome = "skipped"
	OutcomeRejected Outcome = "rejected"
	// OutcomeParked: transient failures exhausted the retries; the row waits
	// in the poison queue for `imports retry`.
	OutcomeParked Outcome = "parked"
)

// RowOutcome is the record of one row's outcome.
type RowOutcome struct {
	TenantID string
	JobID    string
	Row      int
	Outcome  Outcome
	UserID   string
	Detail   string
	Failures []Failure
	// Parked is the queued row, kept with OutcomeParked for a later retry.
	Parked *ImportUserRow
}

// ImportRowStore records the outcome of a row on its own (a parked row);
// rows applied by a chunk have theirs written with the chunk.
type ImportRowStore interface {
	// RecordRowOutcome records the first outcome of a row and counts it;
	// a row that has one already is left alone (false), unless it was parked,
	// whose final outcome replaces it. Then, whether it recorded or not, it
	// finishes a job whose every row has an outcome and, if the job has
	// rejected or parked rows, queues its notice to the tenant's admins,
	// once per job.
	RecordRowOutcome(ctx context.Context, o RowOutcome) (bool, error)
}

// ImportJobStore creates and finishes import jobs.
type ImportJobStore interface {
	// CreateImportJob stores a new queued job. A dedup key that was used
	// before is ErrImportExists.
	CreateImportJob(ctx context.Context, j NewImportJob) error
	// SealImportJob records that all total rows are queued (finishing the
	// job if they all have outcomes already).
	SealImportJob(ctx context.Context, jobID string, total int) error
	// FailImportJob marks the job failed with reason; notify queues a notice
	// to the tenant's admins.
	FailImportJob(ctx context.Context, jobID, reason string, notify bool) error
}

// NewImportJob is a job as created.
type NewImportJob struct {
	ID       string
	TenantID string
	Source   Source
	Actor    string
	// DedupKey, when set, is unique across all jobs.
	DedupKey string
	// MissingManager is carried by every queued row of the job.
	MissingManager MissingManagerPolicy
}

// Errors of the import use cases.
var (
	// ErrInvalidImportFile means the file cannot be imported at all (no
	// usable header, unknown mapping): nothing was queued.
	ErrInvalidImportFile = errkind.New(errkind.Validation, "invalid_import_file", "invalid import file")
	// ErrImportExists means a job with the same dedup key ran already.
	ErrImportExists = errkind.New(errkind.Conflict, "import_exists", "import job already exists")
	// ErrSyncFailed means an HRIS sync could not read its source; the job
	// is recorded as failed and reported.
	ErrSyncFailed = errkind.New(errkind.Transient, "sync_failed", "HRIS sync failed")
)

// DeferredError asks for the row to be handled again after Delay: its
// manager's row has not been imported yet.
type DeferredError struct {
	Delay  time.Duration
	Reason string
}

func (e *DeferredError) Error() string {
	return fmt.Sprintf("row deferred for %s: %s", e.Delay, e.Reason)
}

// Kind is deferred: the row is tried again later (app/errkind).
func (e *DeferredError) Kind() string { return string(errkind.Deferred) }

// Code is the error's stable code.
func (e *DeferredError) Code() string { return "deferred" }

// commandID is a row's deterministic command id: the idempotency key that
// makes a redelivered row replay its first outcome instead of writing again.
func commandID(jobID string, row int) string { return fmt.Sprintf("import:%s:%d", jobID, row) }
