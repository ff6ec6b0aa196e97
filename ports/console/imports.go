package console

import (
	"net/http"
	"net/url"
	"strings"
	"time"
)

// maxUpload bounds a CSV upload through the console; the API has its own
// limit (MaxImportBytes) and answers 413 beyond it.
const maxUpload = 256 << 20

// importColumns are the CSV columns an import reads, in the order the form
// offers a mapping for them (README, "Bulk provisioning").
var importColumns = []string{"external_id", "email", "given_name", "family_name", "display_name", "department",
	"title", "manager_external_id", "status"}

// jobsCookie remembers the jobs started from this browser: the API has no
// list of jobs, so the imports page lists these.
const jobsCookie = "console_jobs"

// importJob is GET /v1/imports/{id}.
type importJob struct {
	ID         string     `json:"id"`
	Source     string     `json:"source"`
	Status     string     `json:"status"`
	Error      *string    `json:"error"`
	Total      *int       `json:"total"`
	Processed  int        `json:"processed"`
	Created    int        `json:"created"`
	Updated    int        `json:"updated"`
	Unchanged  int        `json:"unchanged"`
	Skipped    int        `json:"skipped"`
	Rejected   int        `json:"rejected"`
	Parked     int        `json:"parked"`
	Progress   float64    `json:"progress"`
	CreatedAt  time.Time  `json:"created_at"`
	FinishedAt *time.Time `json:"finished_at"`
}

// Finished mirrors the API's final statuses.
func (j importJob) Finished() bool {
	return j.Status == "completed" || j.Status == "completed_with_errors" || j.Status == "failed"
}

type importsPage struct {
	Columns []string
	Jobs    []importJob
}

// importsPage shows the upload form and the jobs started from this browser.
func (c *console) importsPage(w http.ResponseWriter, r *http.Request, s session) {
	page := importsPage{Columns: importColumns}
	for _, id := range rememberedJobs(r) {
		if j, res, err := c.getJob(r, s, id); err == nil && res.ok() {
			page.Jobs = append(page.Jobs, j)
		}
	}
	c.render(w, r, http.StatusOK, "imports", s, view{Title: "Imports", Nav: "imports", Data: page})
}

// startImport streams the uploaded file to POST /v1/imports with the mapping.
func (c *console) startImport(w http.ResponseWriter, r *http.Request, s session) {
	r.Body = http.MaxBytesReader(w, r.Body, maxUpload)
	file, _, err := r.FormFile("file")
	if err != nil {
		c.render(w, r, http.StatusBadRequest, "imports", s, view{Title: "Imports", Nav: "imports",
			Data: importsPage{Columns: importColumns}, Error: "Choose a CSV file (or drop one on the form)."})
		return
	}
	defer file.Close()
	q := url.Values{}
	for _, col := range importColumns {
		if h := strings.TrimSpace(r.PostFormValue("map_" + col)); h != "" {
			q.Add("map", col+"="+h)
		}
	}
	path := "/v1/imports"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	res, err := c.api.do(r, apiCall{method: http.MethodPost, path: path, token: s.Token,
		contentType: "text/csv", body: file})
	if err != nil || res.status == http.StatusUnauthorized || res.status >= 500 {
		c.fail(w, r, s, res, err)
		return
	}
	if !res.ok() {
		c.render(w, r, res.status, "imports", s, view{Title: "Imports", Nav: "imports",
			Data: importsPage{Columns: importColumns}, Error: res.problem().Message()})
		return
	}
	var j importJob
	if err := res.decode(&j); err != nil {
		c.fail(w, r, s, res, err)
		return
	}
	c.rememberJob(w, r, j.ID)
	http.Redirect(w, r, "/admin/imports/"+url.PathEscape(j.ID), http.StatusSeeOther)
}

func (c *console) getJob(r *http.Request, s session, id string) (importJob, apiResult, error) {
	res, err := c.api.jsonCall(r, s, http.MethodGet, "/v1/imports/"+url.PathEscape(id), nil, nil)
	var j importJob
	if err == nil && res.ok() {
		err = res.decode(&j)
	}
	return j, res, err
}

type jobPage struct {
	Job      importJob
	Failures []failure
	More     bool
	Parked   []parkedRow
}

// parkedRow is one entry of GET /v1/imports/{id}/parked.
type parkedRow struct {
	Row        int        `json:"row"`
	Error      string     `json:"error"`
	ParkedAt   time.Time  `json:"parked_at"`
	RequeuedAt *time.Time `json:"requeued_at"`
}

type failure struct {
	Row     int    `json:"row"`
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// showImport shows a job's counts (kept current by console.js), its failures
// (first page) and the retry of parked rows.
func (c *console) showImport(w http.ResponseWriter, r *http.Request, s session) {
	id := r.PathValue("id")
	j, res, err := c.getJob(r, s, id)
	if err != nil || !res.ok() {
		c.fail(w, r, s, res, err)
		return
	}
	page := jobPage{Job: j}
	res, err = c.api.jsonCall(r, s, http.MethodGet, "/v1/imports/"+url.PathEscape(id)+"/failures?limit=200", nil, nil)
	if err != nil || !res.ok() {
		c.fail(w, r, s, res, err)
		return
	}
	var fp struct {
		Failures   []failure `json:"failures"`
		NextCursor string    `json:"next_cursor"`
	}
	if err := res.decode(&fp); err != nil {
		c.fail(w, r, s, res, err)
		return
	}
	page.Failures, page.More = fp.Failures, fp.NextCursor != ""
	if j.Parked > 0 {
		res, err = c.api.jsonCall(r, s, http.MethodGet, "/v1/imports/"+url.PathEscape(id)+"/parked?limit=200", nil, nil)
		if err != nil || !res.ok() {
			c.fail(w, r, s, res, err)
			return
		}
		var pl struct {
			Parked []parkedRow `json:"parked"`
		}
		if err := res.decode(&pl); err != nil {
			c.fail(w, r, s, res, err)
			return
		}
		page.Parked = pl.Parked
	}
	v := view{Title: "Import " + j.ID, Nav: "imports", Data: page}
	if n := r.URL.Query().Get("requeued"); n != "" {
		v.Notice = n + " parked row(s) queued again."
	}
	c.render(w, r, http.StatusOK, "import", s, v)
}

// importStatus is the job as JSON, polled by console.js for live counts.
func (c *console) importStatus(w http.ResponseWriter, r *http.Request, s session) {
	res, err := c.api.jsonCall(r, s, http.MethodGet, "/v1/imports/"+url.PathEscape(r.PathValue("id")), nil, nil)
	if err != nil {
		c.fail(w, r, s, res, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(res.status)
	_, _ = w.Write(res.body)
}

// importFailuresCSV downloads every failure as CSV (the API's text/csv form).
func (c *console) importFailuresCSV(w http.ResponseWriter, r *http.Request, s session) {
	id := r.PathValue("id")
	res, err := c.api.do(r, apiCall{method: http.MethodGet, path: "/v1/imports/" + url.PathEscape(id) + "/failures",
		token: s.Token, header: http.Header{"Accept": {"text/csv"}}})
	if err != nil || !res.ok() {
		c.fail(w, r, s, res, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="import-`+safeFileName(id)+`-failures.csv"`)
	_, _ = w.Write(res.body)
}

// retryImport queues the job's parked rows again.
func (c *console) retryImport(w http.ResponseWriter, r *http.Request, s session) {
	id := r.PathValue("id")
	res, err := c.api.jsonCall(r, s, http.MethodPost, "/v1/imports/"+url.PathEscape(id)+"/retry", nil, nil)
	if err != nil || !res.ok() {
		c.fail(w, r, s, res, err)
		return
	}
	var body struct {
		Requeued int `json:"requeued"`
	}
	_ = res.decode(&body)
	http.Redirect(w, r, "/admin/imports/"+url.PathEscape(id)+"?requeued="+itoa(body.Requeued), http.StatusSeeOther)
}
