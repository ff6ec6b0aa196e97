package scim

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"github.com/userservice/userservice/app/auth"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/app/query"
	"github.com/userservice/userservice/domain/user"
)

// call is one user operation, whether it came as its own request or inside
// a Bulk request: the same code runs for both.
type call struct {
	principal auth.Principal
	base      string
	// ifMatch is the If-Match header (or a Bulk operation's version); "" none.
	ifMatch string
}

// outcome is what an operation answers: its status and the user, if any.
type outcome struct {
	status   int
	resource map[string]any
	version  int
}

func (o outcome) location() string {
	if o.resource == nil {
		return ""
	}
	meta, _ := o.resource["meta"].(map[string]any)
	loc, _ := meta["location"].(string)
	return loc
}

func (h *handler) envelope(ctx context.Context, c call) (command.Envelope, error) {
	env := command.Envelope{
		CommandID: "scim:" + uuid.NewString(), TenantID: c.principal.TenantID, Actor: "token:" + c.principal.TokenID,
		Source: command.SourceSCIM, CorrelationID: correlationID(ctx),
	}
	if c.ifMatch != "" && c.ifMatch != "*" {
		v, ok := parseETag(c.ifMatch)
		if !ok {
			return env, &scimError{status: 400, scimType: "invalidValue", detail: `If-Match must be an ETag as returned, such as W/"3"`}
		}
		env.ExpectedVersion = &v
	}
	return env, nil
}

// conditional turns a version conflict of a conditional request into 412.
func conditional(env command.Envelope, err error) error {
	if env.ExpectedVersion != nil && errors.Is(err, user.ErrVersionConflict) {
		return fmt.Errorf("%w: %w", errPreconditionFailed, err)
	}
	return err
}

// read returns the user as the read model has it now.
func (h *handler) read(ctx context.Context, c call, id user.ID, status int) (outcome, error) {
	u, err := h.app.Queries.GetUserRecord.Handle(ctx, query.GetUserRecord{TenantID: c.principal.TenantID, UserID: id})
	if err != nil {
		return outcome{}, err
	}
	return outcome{status: status, resource: toResource(u, c.base), version: u.Version}, nil
}

func (h *handler) create(ctx context.Context, c call, body map[string]any) (outcome, error) {
	in, err := fromResource(body, fields{Active: true})
	if err != nil {
		return outcome{}, err
	}
	env, err := h.envelope(ctx, call{principal: c.principal})
	if err != nil {
		return outcome{}, err
	}
	res, err := h.app.Commands.RegisterUser.Handle(ctx, command.RegisterUser{Envelope: env,
		Registration: user.Registration{Email: in.Email, Profile: in.profile(), Status: in.status()}})
	if err != nil {
		return outcome{}, err
	}
	return h.read(ctx, c, res.User.ID, http.StatusCreated)
}

// replace is PUT: every writable attribute takes the given value, absent
// ones are cleared. "active" absent leaves the status as it is, so a client
// that does not manage it cannot deactivate anyone by accident.
func (h *handler) replace(ctx context.Context, c call, id user.ID, body map[string]any) (outcome, error) {
	in, err := fromResource(body, fields{})
	if err != nil {
		return outcome{}, err
	}
	p := user.Patch{Email: &in.Email, GivenName: &in.GivenName, FamilyName: &in.FamilyName, DisplayName: &in.DisplayName,
		Department: &in.Department, Title: &in.Title, ManagerID: &in.ManagerID, ExternalID: &in.ExternalID,
		Locale: &in.Locale, TimeZone: &in.TimeZone}
	if in.set["active"] {
		s := in.status()
		p.Status = &s
	}
	return h.update(ctx, c, id, p)
}

func (h *handler) update(ctx context.Context, c call, id user.ID, p user.Patch) (outcome, error) {
	env, err := h.envelope(ctx, c)
	if err != nil {
		return outcome{}, err
	}
	if _, err := h.app.Commands.UpdateUser.Handle(ctx, command.UpdateUser{Envelope: env, UserID: id, Patch: p}); err != nil {
		return outcome{}, conditional(env, err)
	}
	return h.read(ctx, c, id, http.StatusOK)
}

func (h *handler) remove(ctx context.Context, c call, id user.ID, _ map[string]any) (outcome, error) {
	env, err := h.envelope(ctx, c)
	if err != nil {
		return outcome{}, err
	}
	if _, err := h.app.Commands.DeleteUser.Handle(ctx, command.DeleteUser{Envelope: env, UserID: id,
		Reason: "deleted over SCIM"}); err != nil {
		return outcome{}, conditional(env, err)
	}
	return outcome{status: http.StatusNoContent}, nil
}

// pathID parses {id}; an id that is no UUID names no user (404).
func pathID(s string) (user.ID, error) {
	id, err := user.ParseID(s)
	if err != nil {
		return user.ID{}, fmt.Errorf("%w: %w", user.ErrNotFound, err)
	}
	return id, nil
}

func (h *handler) callOf(r *http.Request, p auth.Principal) call {
	return call{principal: p, base: h.base(r), ifMatch: r.Header.Get("If-Match")}
}

// respond writes an operation's outcome with its ETag and Location.
func (h *handler) respond(w http.ResponseWriter, r *http.Request, o outcome) {
	hdr := http.Header{}
	if o.resource != nil {
		hdr.Set("ETag", etag(o.version))
		hdr.Set("Location", o.location())
		o.resource = projectRequested(o.resource, r.URL.Query().Get("attributes"), r.URL.Query().Get("excludedAttributes"))
	}
	if o.status == http.StatusNoContent {
		for k, v := range hdr {
			w.Header()[k] = v
		}
		w.WriteHeader(o.status)
		return
	}
	h.writeJSON(w, o.status, o.resource, hdr)
}

func (h *handler) postUser(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	body, err := h.readJSON(w, r)
	if err != nil {
		return err
	}
	o, err := h.create(r.Context(), h.callOf(r, p), body)
	if err != nil {
		return err
	}
	h.respond(w, r, o)
	return nil
}

func (h *handler) getUser(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(mux.Vars(r)["id"])
	if err != nil {
		return err
	}
	o, err := h.read(r.Context(), h.callOf(r, p), id, http.StatusOK)
	if err != nil {
		return err
	}
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		if v, ok := parseETag(inm); ok && v == o.version {
			w.Header().Set("ETag", etag(o.version))
			w.WriteHeader(http.StatusNotModified)
			return nil
		}
	}
	h.respond(w, r, o)
	return nil
}

// onUser adapts an operation on /Users/{id} to a route: it parses the id
// and, when withBody, the JSON body, runs op and writes its outcome.
func (h *handler) onUser(withBody bool, op func(ctx context.Context, c call, id user.ID, body map[string]any) (outcome, error)) guardedFunc {
	return func(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
		id, err := pathID(mux.Vars(r)["id"])
		if err != nil {
			return err
		}
		var body map[string]any
		if withBody {
			if body, err = h.readJSON(w, r); err != nil {
				return err
			}
		}
		o, err := op(r.Context(), h.callOf(r, p), id, body)
		if err != nil {
			return err
		}
		h.respond(w, r, o)
		return nil
	}
}
