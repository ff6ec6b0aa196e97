package httpapi

import (
	"encoding/json"
	"net/http"

	"go.uber.org/zap"

	"github.com/userservice/userservice/domain/user"
)

// problemTypePrefix makes a problem's type a URN: stable and not something a
// client is tempted to dereference.
const problemTypePrefix = "urn:userservice:problem:"

// problem is an RFC 9457 problem details body, extended with a stable code
// and, for validation failures, one entry per invalid field.
type problem struct {
	Type     string            `json:"type"`
	Title    string            `json:"title"`
	Status   int               `json:"status"`
	Detail   string            `json:"detail,omitempty"`
	Code     string            `json:"code"`
	Instance string            `json:"instance,omitempty"`
	Errors   []user.FieldError `json:"errors,omitempty"`
}

func newProblem(status int, code, title, detail string) problem {
	return problem{Type: problemTypePrefix + code, Title: title, Status: status, Detail: detail, Code: code}
}

// fail answers a request with the problem err stands for. Server-side
// failures are logged here, once, with the correlation id the client sees.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	p := classify(err)
	if p.Status >= http.StatusInternalServerError {
		h.log.Error("request failed",
			zap.Error(err),
			zap.String("method", r.Method),
			zap.String("path", r.URL.Path),
			zap.String("correlation_id", correlationID(r.Context())))
	}
	writeProblem(w, r, p)
}

// writeProblem renders p as application/problem+json.
func writeProblem(w http.ResponseWriter, r *http.Request, p problem) {
	p.Instance = r.URL.Path
	body, err := json.Marshal(p)
	if err != nil {
		// A problem holds only strings and ints; this cannot happen.
		body = []byte(`{"type":"urn:userservice:problem:internal","title":"Internal error","status":500,"code":"internal"}`)
		p.Status = http.StatusInternalServerError
	}
	hdr := w.Header()
	if p.Status == http.StatusUnauthorized {
		hdr.Set("WWW-Authenticate", "Bearer")
	}
	hdr.Set("Content-Type", "application/problem+json")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(p.Status)
	_, _ = w.Write(append(body, '\n'))
}
