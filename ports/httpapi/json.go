package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"unicode/utf8"
)

// Media types of request bodies.
const (
	mediaJSON       = "application/json"
	mediaMergePatch = "application/merge-patch+json"
)

// readBody reads a request body of at most h.maxBody bytes after checking its
// media type against allowed. An optional body may be absent (empty), and
// then needs no Content-Type; the result is nil.
func (h *handler) readBody(w http.ResponseWriter, r *http.Request, optional bool, allowed ...string) ([]byte, error) {
	if !optional {
		if err := checkMediaType(r.Header.Get("Content-Type"), allowed...); err != nil {
			return nil, err
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, fmt.Errorf("%w: the limit is %d bytes", errBodyTooLarge, tooLarge.Limit)
		}
		return nil, fmt.Errorf("%w: reading the body failed", errMalformedRequest)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if optional {
			return nil, nil
		}
		return nil, fmt.Errorf("%w: a JSON body is required", errMalformedRequest)
	}
	if optional {
		if err := checkMediaType(r.Header.Get("Content-Type"), allowed...); err != nil {
			return nil, err
		}
	}
	return body, nil
}

// checkMediaType accepts a Content-Type naming one of allowed, with no
// charset or charset=utf-8 (JSON is UTF-8 by definition, RFC 8259).
func checkMediaType(contentType string, allowed ...string) error {
	want := strings.Join(allowed, " or ")
	if contentType == "" {
		return fmt.Errorf("%w: Content-Type must be %s", errUnsupportedMediaType, want)
	}
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return fmt.Errorf("%w: Content-Type must be %s", errUnsupportedMediaType, want)
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return fmt.Errorf("%w: charset must be utf-8", errUnsupportedMediaType)
	}
	for _, a := range allowed {
		if mediaType == a {
			return nil
		}
	}
	return fmt.Errorf("%w: Content-Type must be %s, not %s", errUnsupportedMediaType, want, mediaType)
}

// decodeObject decodes one JSON object into dst, strictly: unknown fields,
// values of the wrong type, anything but an object at the top and anything
// after the object are all errMalformedRequest, with a message that names the
// problem so the client can fix it.
func decodeObject(data []byte, dst any) error {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return fmt.Errorf("%w: the body must be a JSON object", errMalformedRequest)
	}
	// encoding/json would quietly turn invalid UTF-8 into U+FFFD and store
	// a name the client never sent; JSON is UTF-8 (RFC 8259), so refuse it.
	if !utf8.Valid(data) {
		return fmt.Errorf("%w: the body is not valid UTF-8", errMalformedRequest)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		nameFailingMember(data, dst, err)
		return fmt.Errorf("%w: %s", errMalformedRequest, describeJSONError(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w: unexpected data after the JSON object", errMalformedRequest)
	}
	return nil
}

// nameFailingMember fills in the member a type error is about when
// encoding/json left it out: since Go 1.27 it no longer adds the field to an
// error returned by a member's own UnmarshalJSON (patchString, patchList). The
// body's members are decoded one at a time into a fresh dst until one fails.
func nameFailingMember(data []byte, dst any, err error) {
	var typeErr *json.UnmarshalTypeError
	if !errors.As(err, &typeErr) || typeErr.Field != "" {
		return
	}
	var members map[string]json.RawMessage
	if json.Unmarshal(data, &members) != nil {
		return
	}
	names := make([]string, 0, len(members))
	for name := range members {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		one, _ := json.Marshal(map[string]json.RawMessage{name: members[name]})
		fresh := reflect.New(reflect.TypeOf(dst).Elem()).Interface()
		var memberErr *json.UnmarshalTypeError
		if errors.As(json.Unmarshal(one, fresh), &memberErr) {
			typeErr.Field = name
			return
		}
	}
}

// describeJSONError rewrites encoding/json's errors for API clients: field
// names as they appear in the body, no Go type names.
func describeJSONError(err error) string {
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntaxErr):
		return fmt.Sprintf("invalid JSON at byte %d", syntaxErr.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the JSON object is not complete"
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return fmt.Sprintf("a JSON %s is not allowed here", typeErr.Value)
		}
		return fmt.Sprintf("field %q must be a %s, not a %s", typeErr.Field, jsonKind(typeErr), typeErr.Value)
	}
	// encoding/json has no error type for unknown fields, only this message.
	if field, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return "unknown field " + field
	}
	return "the body is not valid JSON"
}

// jsonKind names the JSON type a Go target type expects.
func jsonKind(e *json.UnmarshalTypeError) string {
	if e.Type == nil {
		return "value of another type"
	}
	switch e.Type.Kind() {
	case reflect.String:
		return "string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Bool:
		return "boolean"
	}
	return "value of another type"
}

// writeJSON answers with v as JSON, adding the headers in extra (which may be
// nil). It marshals first, so a marshalling failure still becomes a clean 500
// problem, without a half-written body or success headers.
func (h *handler) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any, extra http.Header) {
	body, err := json.Marshal(v)
	if err != nil {
		h.fail(w, r, fmt.Errorf("encode response: %w", err))
		return
	}
	hdr := w.Header()
	for k, vs := range extra {
		hdr[k] = vs
	}
	hdr.Set("Content-Type", mediaJSON)
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	// Two writes into the response's buffer: appending the newline to the
	// exactly sized body would copy the whole body once more.
	_, _ = w.Write(body)
	_, _ = w.Write(newline)
}

var newline = []byte{'\n'}
