package httpapi

import (
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
func importOptions(r *http.Request) (command.ImportOptions, error) {
	var opts command.ImportOptions
	ct := r.Header.Get("Content-Type")
	want := strings.Join(importMediaTypes, ", ")
	mediaType, params, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil {
		return opts, fmt.Errorf("%w: Content-Type must be one of %s", errUnsupportedMediaType, want)
	}
	if !slices.Contains(importMediaTypes, mediaType) {
		return opts, fmt.Errorf("%w: Content-Type must be one of %s, not %s", errUnsupportedMediaType, want, mediaType)
	}
	if opts.Encoding, err = command.ParseEncoding(params["charset"]); err != nil {
		return opts, fmt.Errorf("%w: charset: %v", errUnsupportedMediaType, err)
	}
	q := r.URL.Query()
	bad := func(err error) (command.ImportOptions, error) {
		return command.ImportOptions{}, fmt.Errorf("%w: %v", errMalformedRequest, err)
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
		return opts, err
	}
	return opts, nil
}
