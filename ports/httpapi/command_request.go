package httpapi

import (
	"net/http"

	"github.com/userservice/userservice/app/auth"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/domain/user"
)

// readCommand is the preamble every write on one resource shares: the id
// from the path (pathID says which resource an id that is no UUID is not
// found as: pathUserID, pathGroupID), the envelope (Idempotency-Key,
// If-Match) and the body in one of the media types. An optional body may
// be absent (nil) and is then not held to a Content-Type. The order is the
// answer's order: a bad id is 404 before a bad header is 400 before a bad
// body is 413/415.
func (h *handler) readCommand(w http.ResponseWriter, r *http.Request, p auth.Principal,
	pathID func(*http.Request) (user.ID, error), optional bool, media ...string,
) (user.ID, command.Envelope, []byte, error) {
	id, env, err := readTarget(r, p, pathID)
	if err != nil {
		return user.ID{}, command.Envelope{}, nil, err
	}
	body, err := h.readBody(w, r, optional, media...)
	if err != nil {
		return user.ID{}, command.Envelope{}, nil, err
	}
	return id, env, body, nil
}

// readTarget is readCommand for a write without a body (DELETE).
func readTarget(r *http.Request, p auth.Principal, pathID func(*http.Request) (user.ID, error)) (user.ID, command.Envelope, error) {
	id, err := pathID(r)
	if err != nil {
		return user.ID{}, command.Envelope{}, err
	}
	env, err := newEnvelope(r, p)
	if err != nil {
		return user.ID{}, command.Envelope{}, err
	}
	return id, env, nil
}
