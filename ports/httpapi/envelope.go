package httpapi

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/userservice/userservice/app/auth"
	"github.com/userservice/userservice/app/command"
)

// Header limits. Both values end up in the command record, logs and event
// metadata, so they are bounded and restricted to printable ASCII.
const (
	maxIdempotencyKeyLen = 255
	maxCorrelationIDLen  = 128
)

const (
	headerIdempotencyKey     = "Idempotency-Key"
	headerIfMatch            = "If-Match"
	headerChanged            = "X-Changed"
	headerIdempotentReplayed = "Idempotent-Replayed"
)

// printableASCII reports whether s is 1..maxLen characters, each a printable
// ASCII character (space to tilde).
func printableASCII(s string, maxLen int) bool {
	if len(s) == 0 || len(s) > maxLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

func validIdempotencyKey(s string) bool { return printableASCII(s, maxIdempotencyKeyLen) }

func validCorrelationID(s string) bool { return printableASCII(s, maxCorrelationIDLen) }

// newEnvelope builds a command's envelope from the request: the caller's
// tenant and token, the idempotency key (a fresh one when the client sent
// none, which makes the request non-repeatable but still recorded), the
// correlation id and the If-Match version.
func newEnvelope(r *http.Request, p auth.Principal) (command.Envelope, error) {
	key, fromClient, err := idempotencyKey(r.Header)
	if err != nil {
		return command.Envelope{}, err
	}
	commandID := key
	if fromClient {
		// The client's keys live in a namespace of their own: a key such
		// as "import:<job>:<row>" must not name an importer's command.
		commandID = clientKeyPrefix + key
	}
	expected, err := ifMatchVersion(r.Header)
	if err != nil {
		return command.Envelope{}, err
	}
	return command.Envelope{
		CommandID:       commandID,
		ClientKey:       fromClient,
		FreshCommandID:  !fromClient,
		Request:         r.Method + " " + infoFrom(r.Context()).route,
		TenantID:        p.TenantID,
		Actor:           "token:" + p.TokenID,
		Source:          command.SourceAPI,
		CorrelationID:   correlationID(r.Context()),
		ExpectedVersion: expected,
	}, nil
}

// idempotencyKey returns the Idempotency-Key header (fromClient), or a random
// UUID when the header is absent. A header that is present but empty, repeated or not
// printable ASCII is a client error, not something to silently replace.
func idempotencyKey(h http.Header) (key string, fromClient bool, err error) {
	values, present := h[headerIdempotencyKey]
	if !present {
		return uuid.NewString(), false, nil
	}
	if len(values) != 1 || !validIdempotencyKey(values[0]) {
		return "", false, fmt.Errorf("%w: %s must be one value of 1 to %d printable ASCII characters",
			errMalformedRequest, headerIdempotencyKey, maxIdempotencyKeyLen)
	}
	return values[0], true, nil
}

// clientKeyPrefix makes a client's Idempotency-Key a command id.
const clientKeyPrefix = "key:"

// ifMatchVersion parses If-Match: a single strong entity tag as this API
// issues them ("3"), or "*", which asks only that the user exist and so
// constrains no version. Nil means no condition.
func ifMatchVersion(h http.Header) (*int, error) {
	values, present := h[headerIfMatch]
	if !present {
		return nil, nil
	}
	bad := fmt.Errorf(`%w: %s must be one entity tag as returned in ETag, such as "3"`, errMalformedRequest, headerIfMatch)
	if len(values) != 1 {
		return nil, bad
	}
	tag := strings.TrimSpace(values[0])
	if tag == "*" {
		return nil, nil
	}
	if len(tag) < 3 || tag[0] != '"' || tag[len(tag)-1] != '"' {
		return nil, bad
	}
	digits := tag[1 : len(tag)-1]
	// Only plain decimal digits: strconv would also take "+3" or "-1".
	if strings.Trim(digits, "0123456789") != "" {
		return nil, bad
	}
	v, err := strconv.Atoi(digits)
	if err != nil {
		return nil, bad
	}
	return &v, nil
}

// etag is the entity tag of a user at a version. It is strong: the version
// changes with every event, so equal tags mean identical representations.
func etag(version int) string { return `"` + strconv.Itoa(version) + `"` }
