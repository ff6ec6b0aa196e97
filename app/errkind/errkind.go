// Package errkind classifies errors once, where they are declared: every
// domain and app error says its kind (and a stable code), and each port maps
// kinds to its answers instead of listing sentinels. A new error then gets the
// right status everywhere the moment it is declared, or fails the test that
// enumerates every exported Err* of domain/ and app/.
//
// The domain imports nothing of this module, so it cannot use Kind: its errors
// implement Kind() string (and Code() string) with the same spellings, which
// Of reads through errors.As. Kind's constants are those spellings.
package errkind

import (
	"errors"
	"slices"
)

// Kind says how an error should be treated: answered, rejected or retried.
type Kind string

// The kinds. An error without one is Unknown, which every port treats as a
// failure of ours that a retry may cure.
const (
	// Unknown is an error that says no kind: an infrastructure failure.
	Unknown Kind = ""
	// Invalid is a request that cannot be understood as asked (a bad
	// query parameter): the caller must change it.
	Invalid Kind = "invalid"
	// Validation is input whose fields break the rules (a required name
	// missing, an unusable import file).
	Validation Kind = "validation"
	// Rejected is a valid command that the current state refuses (a manager
	// who is not there, a cycle of managers, a group member of another tenant).
	Rejected Kind = "rejected"
	// NotFound is a resource the caller's tenant does not have.
	NotFound Kind = "not_found"
	// Conflict is a value already in use (an e-mail address, an external id, a user id).
	Conflict Kind = "conflict"
	// Limit is a limit of the tenant that is reached (licence seats): freeing
	// capacity, not changing the command, lets it through.
	Limit Kind = "limit"
	// Concurrency is a stream that changed since the caller read it: reading
	// again and retrying may succeed.
	Concurrency Kind = "concurrency"
	// KeyReused is an idempotency key repeated with a different command.
	KeyReused Kind = "key_reused"
	// Unauthenticated is a request without a valid credential.
	Unauthenticated Kind = "unauthenticated"
	// Forbidden is a credential whose role does not allow the request.
	Forbidden Kind = "forbidden"
	// Internal is a mistake inside this service (a command built without its
	// id or tenant): no client is to blame, and retrying it unchanged cannot help.
	Internal Kind = "internal"
	// Deferred is a command that must wait for another (an import row whose
	// manager's row is still to come): it is tried again later, and is not
	// a failure.
	Deferred Kind = "deferred"
	// Transient is a failure a retry may cure (a source unreachable, an event
	// written by a newer release that another replica can read).
	Transient Kind = "transient"
)

// kinds lists the declared kinds, for Valid.
var kinds = []Kind{Invalid, Validation, Rejected, NotFound, Conflict, Limit, Concurrency, KeyReused,
	Unauthenticated, Forbidden, Internal, Deferred, Transient}

// Valid reports whether k is one of the declared kinds (a domain error's
// spelling that matches none is a bug the enumeration test catches).
func (k Kind) Valid() bool { return slices.Contains(kinds, k) }

// Permanent reports whether retrying a command that failed with this kind
// unchanged cannot help: the import path rejects such a row instead of
// retrying it. Concurrency, Deferred, Transient and Unknown are worth retrying.
func (k Kind) Permanent() bool {
	switch k {
	case Unknown, Concurrency, Deferred, Transient:
		return false
	}
	return true
}

// Classified is an error that knows its kind and its stable code. The domain's
// errors implement it without importing this package.
type Classified interface {
	error
	// Kind is one of the Kind constants' spellings.
	Kind() string
	// Code is the stable machine-readable name ("email_taken") ports show
	// clients, the same in every port.
	Code() string
}

// Find returns the first error in err's chain that knows its kind. Its own
// message is the one a port may show a client without the wrapping context.
func Find(err error) (Classified, bool) {
	var c Classified
	if errors.As(err, &c) {
		return c, true
	}
	return nil, false
}

// Of returns err's kind: that of the first error in its chain that has one,
// or Unknown.
func Of(err error) Kind {
	if c, ok := Find(err); ok {
		return Kind(c.Kind())
	}
	return Unknown
}

// Code returns the stable code of the first classified error in err's chain,
// or "".
func Code(err error) string {
	if c, ok := Find(err); ok {
		return c.Code()
	}
	return ""
}

// New declares a sentinel error of the given kind and code. Compare with
// errors.Is, as with errors.New.
func New(kind Kind, code, message string) error {
	return &sentinel{kind: kind, code: code, msg: message}
}

type sentinel struct {
	kind Kind
	code string
	msg  string
}

func (e *sentinel) Error() string { return e.msg }
func (e *sentinel) Kind() string  { return string(e.kind) }
func (e *sentinel) Code() string  { return e.code }
