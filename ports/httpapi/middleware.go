package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/mux"
	"go.uber.org/zap"
)

const headerCorrelationID = "X-Correlation-ID"

// requestInfo is what the outer middleware learns from the inner layers (the
// router and authentication) for its log line.
type requestInfo struct {
	correlationID string
	route         string
	tenantID      string
}

type requestInfoKey struct{}

func infoFrom(ctx context.Context) *requestInfo {
	info, _ := ctx.Value(requestInfoKey{}).(*requestInfo)
	if info == nil {
		return &requestInfo{}
	}
	return info
}

// correlationID returns the request's correlation id ("" outside a request).
func correlationID(ctx context.Context) string { return infoFrom(ctx).correlationID }

// withRequestInfo wraps next with the cross-cutting concerns, outermost first:
// correlation id, request log, panic recovery. They sit outside the router so
// that 404 and 405 answers get them too.
func (h *handler) withRequestInfo(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &requestInfo{correlationID: r.Header.Get(headerCorrelationID)}
		if !validCorrelationID(info.correlationID) {
			info.correlationID = uuid.NewString()
		}
		w.Header().Set(headerCorrelationID, info.correlationID)
		r = r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, info))
		rec := &statusRecorder{ResponseWriter: w}

		defer func() {
			// Check first: at thousands of requests a second, building fields
			// for a disabled debug line is measurable.
			ce := h.log.Check(zap.DebugLevel, "http request")
			if ce == nil {
				return
			}
			route := info.route
			if route == "" {
				route = "unmatched"
			}
			// Never the Authorization header or a body: they carry secrets and
			// personal data.
			ce.Write(
				zap.String("method", r.Method),
				zap.String("route", route),
				zap.Int("status", rec.statusOrOK()),
				zap.Duration("duration", time.Since(start)),
				zap.String("correlation_id", info.correlationID),
				zap.String("tenant_id", info.tenantID))
		}()
		defer h.recoverPanic(rec, r)
		next.ServeHTTP(rec, r)
	})
}

// recoverPanic turns a handler's panic into a logged 500, so one bad request
// cannot take the process down.
func (h *handler) recoverPanic(w *statusRecorder, r *http.Request) {
	v := recover()
	if v == nil {
		return
	}
	if v == http.ErrAbortHandler {
		panic(v) // net/http's way of aborting a response on purpose
	}
	h.log.Error("panic serving request",
		zap.Any("panic", v),
		zap.Stack("stack"),
		zap.String("method", r.Method),
		zap.String("path", r.URL.Path),
		zap.String("correlation_id", correlationID(r.Context())))
	if w.status != 0 {
		return // too late for a problem body: the client sees a cut response
	}
	writeProblem(w, r, classify(fmt.Errorf("panic: %v", v)))
}

// recordRoute tells the request log which route template matched, so log
// lines group by route rather than by user id.
func recordRoute(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if route := mux.CurrentRoute(r); route != nil {
			if tmpl, err := route.GetPathTemplate(); err == nil {
				infoFrom(r.Context()).route = tmpl
			}
		}
		next.ServeHTTP(w, r)
	})
}

// statusRecorder remembers the status code written through it.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (s *statusRecorder) statusOrOK() int {
	if s.status == 0 {
		return http.StatusOK
	}
	return s.status
}
