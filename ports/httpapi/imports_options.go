package httpapi

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strings"

	"github.com/userservice/userservice/app/command"
)

// importMediaTypes are the Content-Types a CSV upload may have: what
// clients and browsers send for a .csv file (Windows browsers say
// application/vnd.ms-excel, some tools text/plain or octet-stream).
var importMediaTypes = []string{"text/csv", "application/csv", "application/vnd.ms-excel", "text/plain", "application/octet-stream"}

// importOptions reads how to read an upload from its Content-Type (charset)
// and query: map, map_value, derive, encoding, delimiter, missing_manager.
// An unknown charset is 415; any other bad parameter 400.
func importOptions(r *http.Request) (opts command.ImportOptions, dryRun bool, err error) {
	ct := r.Header.Get("Content-Type")
	var mediaType string
	var params map[string]string
	want := strings.Join(importMediaTypes, ", ")
	mediaType, params, err = mime.ParseMediaType(ct)
	if ct == "" || err != nil {
		return opts, false, fmt.Errorf("%w: Content-Type must be one of %s", errUnsupportedMediaType, want)
	}
	if !slices.Contains(importMediaTypes, mediaType) {
		return opts, false, fmt.Errorf("%w: Content-Type must be one of %s, not %s", errUnsupportedMediaType, want, mediaType)
	}
	if opts.Encoding, err = command.ParseEncoding(params["charset"]); err != nil {
		return opts, false, fmt.Errorf("%w: charset: %v", errUnsupportedMediaType, err)
	}
	q := r.URL.Query()
	bad := func(err error) (command.ImportOptions, bool, error) {
		return command.ImportOptions{}, false, fmt.Errorf("%w: %v", errMalformedRequest, err)
	}
	if v := q.Get("encoding"); v != "" {
		if opts.Encoding, err = command.ParseEncoding(v); err != nil {
			return bad(err)
		}
	}
	if opts.Delimiter, err = command.ParseDelimiter(q.Get("delimiter")); err != nil {
		return bad(err)
	}
	if opts.MissingManager, err = command.ParseMissingManager(q.Get("missing_manager")); err != nil {
		return bad(err)
	}
	if opts.Mapping, err = parseMapping(q["map"]); err != nil {
		return opts, false, err
	}
	for _, v := range q["map_value"] {
		if err := opts.ParseValueMap(v); err != nil {
			return bad(err)
		}
	}
	for _, v := range q["derive"] {
		if err := opts.ParseDerivation(v); err != nil {
			return bad(err)
		}
	}
	switch v := q.Get("dry_run"); v {
	case "", "false":
	case "true":
		dryRun = true
	default:
		return bad(fmt.Errorf("dry_run must be true or false, not %q", v))
	}
	switch v := q.Get("keep_rows"); v {
	case "", "false":
	case "true":
		opts.KeepRows = true
	default:
		return bad(fmt.Errorf("keep_rows must be true or false, not %q", v))
	}
	switch v := q.Get("update_only"); v {
	case "", "false":
	case "true":
		opts.UpdateOnly = true
	default:
		return bad(fmt.Errorf("update_only must be true or false, not %q", v))
	}
	return opts, dryRun, nil
}

// A header and mapping that cannot create users (command.ImportMappingError)
// keep the stable code of a file that cannot be imported, with the lists
// as extension members.

// mappingProblem is the 422 answer to an ImportMappingError: the problem
// plus what was read and what would help, every list sorted.
type mappingProblem struct {
	problem
	Header      []string `json:"header"`
	Matched     []string `json:"matched"`
	Unmatched   []string `json:"unmatched"`
	Problems    []string `json:"problems"`
	Suggestions []string `json:"suggestions"`
}

func writeMappingProblem(w http.ResponseWriter, r *http.Request, e *command.ImportMappingError) {
	p := mappingProblem{problem: newProblem(http.StatusUnprocessableEntity, codeInvalidImportFile, "Invalid import file",
		strings.Join(e.Problems, "; ")), Header: e.Header, Matched: e.Matched, Unmatched: e.Unmatched, Problems: e.Problems,
		Suggestions: e.Suggestions}
	for _, l := range []*[]string{&p.Header, &p.Matched, &p.Unmatched, &p.Suggestions} {
		if *l == nil {
			*l = []string{}
		}
	}
	p.Instance = r.URL.Path
	body, _ := json.Marshal(p) // strings only
	hdr := w.Header()
	hdr.Set("Content-Type", "application/problem+json")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(p.Status)
	_, _ = w.Write(body)
}

// dryRunResource is the answer to a dry run: what the import would do.
type dryRunResource struct {
	DryRun       bool              `json:"dry_run"`
	Total        int               `json:"total"`
	Created      int               `json:"created"`
	Updated      int               `json:"updated"`
	Unchanged    int               `json:"unchanged"`
	Skipped      int               `json:"skipped"`
	Rejected     int               `json:"rejected"`
	Warnings     int               `json:"warnings"`
	FailureCodes map[string]int    `json:"failure_codes"`
	WarningCodes map[string]int    `json:"warning_codes"`
	Failures     []failureResource `json:"failures"`
	Truncated    bool              `json:"failures_truncated"`
}

func newDryRunResource(r *command.DryRunReport) dryRunResource {
	out := dryRunResource{DryRun: true, Total: r.Total, Created: r.Outcomes[command.OutcomeCreated],
		Updated: r.Outcomes[command.OutcomeUpdated], Unchanged: r.Outcomes[command.OutcomeUnchanged],
		Skipped: r.Outcomes[command.OutcomeSkipped], Rejected: r.Outcomes[command.OutcomeRejected], Warnings: r.Warnings,
		FailureCodes: r.FailureCodes, WarningCodes: r.WarningCodes, Failures: make([]failureResource, len(r.Failures)),
		Truncated: r.Truncated}
	for i, f := range r.Failures {
		out.Failures[i] = failureResource{Row: f.Row, Field: f.Field, Code: f.Code, Message: f.Message, Severity: f.Severity,
			Value: f.Value, ExternalID: f.ExternalID, Email: f.Email, RootRow: f.RootRow}
	}
	return out
}
