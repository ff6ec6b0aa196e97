package group

// The kinds of the group errors, spelled as app/errkind's Kind constants (the
// domain imports nothing of this module; see domain/user/error_kind.go).
const (
	kindRejected = "rejected"
	kindNotFound = "not_found"
	kindConflict = "conflict"
)

// kindedError is a sentinel that says its kind and its stable code.
type kindedError struct{ kind, code, msg string }

func (e *kindedError) Error() string { return e.msg }

// Kind is the error's kind (app/errkind reads it).
func (e *kindedError) Kind() string { return e.kind }

// Code is the stable code ports show clients.
func (e *kindedError) Code() string { return e.code }

// newError declares a sentinel; compare it with errors.Is.
func newError(kind, code, msg string) error { return &kindedError{kind: kind, code: code, msg: msg} }
