package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	"github.com/userservice/userservice/app/auth"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/app/query"
)

// DefaultMaxImportBytes caps a CSV upload when Config.MaxImportBytes is zero
// (the JSON body limit is for JSON only).
const DefaultMaxImportBytes int64 = 256 << 20

const mediaCSV = "text/csv"

// Errors of the imports routes, classified in errors.go.
var errImportTooLarge = errors.New("import file too large")

// startImport handles POST /v1/imports: the body (text/csv) is streamed to
// the use case, which queues its rows; 202 with the job. A tenant has at most
// ImportUploadsPerTenant uploads in progress, spooling at most
// ImportSpoolBytesPerTenant together; beyond, 429.
func (h *handler) startImport(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	opts, dryRun, err := importOptions(r)
	if err != nil {
		return err
	}
	body, release, err := h.uploads.begin(p.TenantID, http.MaxBytesReader(w, r.Body, h.maxImport))
	if err != nil {
		w.Header().Set("Retry-After", uploadRetryAfter)
		closeUnreadUpload(w)
		return err
	}
	defer release()
	started, err := h.app.Commands.StartImport.Handle(r.Context(), command.StartImport{TenantID: p.TenantID,
		Actor: "token:" + p.TokenID, Body: body, Options: opts, DryRun: dryRun})
	if err != nil {
		closeUnreadUpload(w)
	}
	if errors.Is(err, errSpoolFull) {
		w.Header().Set("Retry-After", uploadRetryAfter)
	}
	var mapping *command.ImportMappingError
	if errors.As(err, &mapping) {
		writeMappingProblem(w, r, mapping)
		return nil
	}
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return fmt.Errorf("%w: the limit is %d bytes", errImportTooLarge, tooLarge.Limit)
	}
	if err != nil {
		return err
	}
	if started.DryRun != nil {
		h.writeJSON(w, r, http.StatusOK, newDryRunResource(started.DryRun), nil)
		return nil
	}
	job, err := h.app.Queries.GetImport.Handle(r.Context(), query.GetImport{TenantID: p.TenantID, JobID: started.JobID})
	if err != nil {
		return err
	}
	hdr := http.Header{}
	hdr.Set("Location", "/v1/imports/"+job.ID)
	h.writeJSON(w, r, http.StatusAccepted, newImportResource(job), hdr)
	return nil
}

// closeUnreadUpload answers a refused upload at once and closes the
// connection: an upload refused before its end still has body to come, and
// net/http would otherwise read (discard) up to 256 KB more of it before
// writing the answer; a chunked upload that a client holds open, or sends
// slowly, then waits for its refusal until it has sent that much.
func closeUnreadUpload(w http.ResponseWriter) {
	w.Header().Set("Connection", "close")
}

// parseMapping reads map=column=Header Name parameters.
func parseMapping(values []string) (map[string]string, error) {
	if len(values) == 0 {
		return nil, nil
	}
	m := make(map[string]string, len(values))
	for _, v := range values {
		col, name, ok := strings.Cut(v, "=")
		if !ok || strings.TrimSpace(col) == "" || strings.TrimSpace(name) == "" {
			return nil, fmt.Errorf("%w: map must be column=Header Name, got %q", errMalformedRequest, v)
		}
		m[col] = name
	}
	return m, nil
}

// getImport handles GET /v1/imports/{id}.
func (h *handler) getImport(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	job, err := h.app.Queries.GetImport.Handle(r.Context(), query.GetImport{TenantID: p.TenantID, JobID: mux.Vars(r)["id"]})
	if err != nil {
		return err
	}
	h.writeJSON(w, r, http.StatusOK, newImportResource(job), nil)
	return nil
}

// listParkedRows handles GET /v1/imports/{id}/parked: the job's poison queue.
func (h *handler) listParkedRows(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	q := query.ListParkedImportRows{TenantID: p.TenantID, JobID: mux.Vars(r)["id"]}
	var err error
	if q.AfterRow, err = intParam(r.URL.Query(), "after_row", 0); err != nil {
		return err
	}
	if q.Limit, err = intParam(r.URL.Query(), "limit", 1); err != nil {
		return err
	}
	rows, err := h.app.Queries.ListParkedImportRows.Handle(r.Context(), q)
	if err != nil {
		return err
	}
	h.writeJSON(w, r, http.StatusOK, newParkedList(rows), nil)
	return nil
}

// retryImport handles POST /v1/imports/{id}/retry: queues the parked rows again.
func (h *handler) retryImport(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	n, err := h.app.Commands.RetryImport.Handle(r.Context(), command.RetryImport{TenantID: p.TenantID, JobID: mux.Vars(r)["id"]})
	if err != nil {
		return err
	}
	h.writeJSON(w, r, http.StatusAccepted, map[string]int{"requeued": n}, nil)
	return nil
}

// setNotificationSettings handles PUT /v1/notification-settings.
func (h *handler) setNotificationSettings(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	body, err := h.readBody(w, r, false, mediaJSON)
	if err != nil {
		return err
	}
	settings, err := decodeSettings(body)
	if err != nil {
		return err
	}
	settings.TenantID = p.TenantID
	if _, err := h.app.Commands.SetNotificationSettings.Handle(r.Context(), settings); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
