package console

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// apiClient calls the admin API's handler in process. It is the console's
// only way to read or change anything: a request goes through the API's
// authentication, roles, rate limit, validation and error mapping exactly as
// one from curl would.
type apiClient struct {
	h http.Handler
}

// apiCall is one request to the API.
type apiCall struct {
	method, path string
	token        string
	body         io.Reader
	contentType  string
	header       http.Header
}

// apiResult is the API's answer, read whole (answers are small; the failures
// CSV is bounded by the job).
type apiResult struct {
	status int
	header http.Header
	body   []byte
}

// do sends the call on behalf of the page's request from: its context (a
// browser that goes away cancels the API work too), its client address and
// forwarding headers (the API's per-address budget of failed sign-ins counts
// the browser's address, not the console's) and its correlation id.
func (c apiClient) do(from *http.Request, call apiCall) (apiResult, error) {
	req, err := http.NewRequestWithContext(from.Context(), call.method, call.path, call.body)
	if err != nil {
		return apiResult{}, fmt.Errorf("console: build API request: %w", err)
	}
	if req.Body == nil {
		req.Body = http.NoBody // as a server's request has: the API reads optional bodies
	}
	for k, v := range call.header {
		req.Header[k] = v
	}
	if call.token != "" {
		req.Header.Set("Authorization", "Bearer "+call.token)
	}
	if call.contentType != "" {
		req.Header.Set("Content-Type", call.contentType)
	}
	req.RemoteAddr = from.RemoteAddr
	for _, h := range []string{"X-Forwarded-For", "X-Correlation-ID"} {
		if v := from.Header.Values(h); len(v) > 0 {
			req.Header[h] = v
		}
	}
	rec := &recorder{header: http.Header{}}
	c.h.ServeHTTP(rec, req)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	return apiResult{status: rec.status, header: rec.header, body: rec.body.Bytes()}, nil
}

// jsonCall is do with a JSON body (nil: none).
func (c apiClient) jsonCall(from *http.Request, s session, method, path string, v any, header http.Header) (apiResult, error) {
	call := apiCall{method: method, path: path, token: s.Token, header: header}
	if v != nil {
		b, err := json.Marshal(v)
		if err != nil {
			return apiResult{}, fmt.Errorf("console: encode API body: %w", err)
		}
		call.body, call.contentType = bytes.NewReader(b), "application/json"
	}
	return c.do(from, call)
}

// ok reports a 2xx answer.
func (r apiResult) ok() bool { return r.status >= 200 && r.status < 300 }

// decode unmarshals a JSON answer into v.
func (r apiResult) decode(v any) error {
	if err := json.Unmarshal(r.body, v); err != nil {
		return fmt.Errorf("console: decode API answer (%d): %w", r.status, err)
	}
	return nil
}

// problem is the API's RFC 9457 error body, as far as the console shows it.
type problem struct {
	Status int          `json:"status"`
	Code   string       `json:"code"`
	Title  string       `json:"title"`
	Detail string       `json:"detail"`
	Errors []fieldError `json:"errors"`
}

type fieldError struct {
	Field  string `json:"field"`
	Code   string `json:"code"`
	Reason string `json:"reason"`
}

// problem decodes a failed answer; a body that is no problem still gives the
// status and a generic title.
func (r apiResult) problem() problem {
	var p problem
	_ = json.Unmarshal(r.body, &p)
	if p.Status == 0 {
		p.Status = r.status
	}
	if p.Title == "" {
		p.Title = http.StatusText(r.status)
	}
	return p
}

// Message is what a person reads: the detail when there is one.
func (p problem) Message() string {
	if p.Detail != "" {
		return p.Title + ": " + p.Detail
	}
	return p.Title
}

// FieldErrors maps each field the API named to its reasons.
func (p problem) FieldErrors() map[string]string {
	m := map[string]string{}
	for _, e := range p.Errors {
		if m[e.Field] != "" {
			m[e.Field] += "; "
		}
		m[e.Field] += e.Reason
	}
	return m
}

// recorder is the response writer the in-process API writes to.
type recorder struct {
	status int
	header http.Header
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}

// jsonBody encodes v (a map of strings and nils: it cannot fail).
func jsonBody(v any) io.Reader {
	b, _ := json.Marshal(v)
	return bytes.NewReader(b)
}
