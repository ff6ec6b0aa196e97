package user

// The kinds of the domain's errors, spelled as app/errkind's Kind constants
// (the domain imports nothing of this module): ports map kinds to answers,
// so a new sentinel is classified where it is declared, not in every port.
// app/errkind's tests check every spelling and every exported Err*.
const (
	kindValidation  = "validation"
	kindRejected    = "rejected"
	kindNotFound    = "not_found"
	kindConflict    = "conflict"
	kindLimit       = "limit"
	kindConcurrency = "concurrency"
	kindTransient   = "transient"
)

// kindedError is a sentinel that says its kind and its stable code.
type kindedError struct{ kind, code, msg string }

func (e *kindedError) Error() string { return e.msg }

// Kind is the error's kind (app/errkind reads it).
func (e *kindedError) Kind() string { return e.kind }

// Code is the stable code ports show clients ("email_taken").
func (e *kindedError) Code() string { return e.code }

// newError declares a sentinel; compare it with errors.Is.
func newError(kind, code, msg string) error { return &kindedError{kind: kind, code: code, msg: msg} }
