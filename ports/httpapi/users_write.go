package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/gorilla/mux"

	"github.com/userservice/userservice/app/auth"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/domain/user"
)

// registerUser handles POST /v1/users.
func (h *handler) registerUser(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	env, err := newEnvelope(r, p)
	if err != nil {
		return err
	}
	// Registration has no prior version to match.
	env.ExpectedVersion = nil
	body, err := h.readBody(w, r, false, mediaJSON)
	if err != nil {
		return err
	}
	reg, err := decodeRegistration(body)
	if err != nil {
		return err
	}
	res, err := h.app.Commands.RegisterUser.Handle(r.Context(), command.RegisterUser{Envelope: env, Registration: reg})
	if err != nil {
		return err
	}
	h.writeResult(w, r, http.StatusCreated, res, "/v1/users/"+res.User.ID.String())
	return nil
}

// updateUser handles PATCH /v1/users/{id}.
func (h *handler) updateUser(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, env, body, err := h.readCommand(w, r, p, pathUserID, false, mediaMergePatch, mediaJSON)
	if err != nil {
		return err
	}
	patch, err := decodePatch(body)
	if err != nil {
		return err
	}
	res, err := h.app.Commands.UpdateUser.Handle(r.Context(), command.UpdateUser{Envelope: env, UserID: id, Patch: patch})
	if err != nil {
		return conditional(env, err)
	}
	h.writeResult(w, r, http.StatusOK, res, "")
	return nil
}

// deactivateUser handles POST /v1/users/{id}/deactivate.
func (h *handler) deactivateUser(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, env, body, err := h.readCommand(w, r, p, pathUserID, true, mediaJSON)
	if err != nil {
		return err
	}
	reason, err := decodeDeactivation(body)
	if err != nil {
		return err
	}
	res, err := h.app.Commands.DeactivateUser.Handle(r.Context(), command.DeactivateUser{Envelope: env, UserID: id, Reason: reason})
	if err != nil {
		return conditional(env, err)
	}
	h.writeResult(w, r, http.StatusOK, res, "")
	return nil
}

// reactivateUser handles POST /v1/users/{id}/reactivate. It takes no body;
// one that is sent must still be an empty JSON object.
func (h *handler) reactivateUser(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, env, body, err := h.readCommand(w, r, p, pathUserID, true, mediaJSON)
	if err != nil {
		return err
	}
	if body != nil {
		if err := decodeObject(body, &struct{}{}); err != nil {
			return err
		}
	}
	res, err := h.app.Commands.ReactivateUser.Handle(r.Context(), command.ReactivateUser{Envelope: env, UserID: id})
	if err != nil {
		return conditional(env, err)
	}
	h.writeResult(w, r, http.StatusOK, res, "")
	return nil
}

// deleteUser handles DELETE /v1/users/{id}: 204, and nothing to show.
func (h *handler) deleteUser(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, env, err := readTarget(r, p, pathUserID)
	if err != nil {
		return err
	}
	if _, err := h.app.Commands.DeleteUser.Handle(r.Context(), command.DeleteUser{Envelope: env, UserID: id}); err != nil {
		return conditional(env, err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// conditional marks a version conflict on a request that sent If-Match, which
// HTTP answers 412 rather than 409.
func conditional(env command.Envelope, err error) error {
	if env.ExpectedVersion != nil && errors.Is(err, user.ErrVersionConflict) {
		return fmt.Errorf("%w: %w", errPreconditionFailed, err)
	}
	return err
}

// writeResult answers a command with the user it left behind. X-Changed
// tells a client whether anything was written; Idempotent-Replayed that the
// answer is the stored outcome of an earlier request with the same key.
func (h *handler) writeResult(w http.ResponseWriter, r *http.Request, status int, res command.Result, location string) {
	hdr := http.Header{}
	hdr.Set("ETag", etag(res.User.Version))
	hdr.Set(headerChanged, strconv.FormatBool(res.Changed))
	if res.Replayed {
		hdr.Set(headerIdempotentReplayed, "true")
	}
	if location != "" {
		hdr.Set("Location", location)
	}
	h.writeJSON(w, r, status, newUserResource(res.User), hdr)
}

// pathUserID parses the {id} route variable. An id that is not a UUID is
// answered as not found: no such user can exist, and a 400 would tell a
// prober more than it needs to know.
func pathUserID(r *http.Request) (user.ID, error) {
	id, err := user.ParseID(mux.Vars(r)["id"])
	if err != nil {
		return user.ID{}, fmt.Errorf("%w: %w", user.ErrNotFound, err)
	}
	return id, nil
}
