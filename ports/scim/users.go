package scim

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

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

func (h *handler) envelope(ctx context.Context, c call) command.Envelope {
	return command.Envelope{
		CommandID: "scim:" + uuid.NewString(), TenantID: c.principal.TenantID, Actor: "token:" + c.principal.TokenID,
		Source: command.SourceSCIM, CorrelationID: correlationID(ctx),
	}
}

// conditionalEnvelope is the envelope of a write to user id, with the
// If-Match of the call (RFC 7232 section 3.1): "*" or any list of entity
// tags. A tag that names the current version makes it the command's
// expected version, so a change in between is still caught (412); none
// naming it is 412 at once.
func (h *handler) conditionalEnvelope(ctx context.Context, c call, id user.ID) (command.Envelope, error) {
	env := h.envelope(ctx, c)
	if strings.TrimSpace(c.ifMatch) == "" {
		return env, nil
	}
	pre, ok := parsePreconditions(c.ifMatch)
	switch {
	case !ok:
		return env, &scimError{status: 400, scimType: "invalidValue", detail: `If-Match must be "*" or a list of entity tags such as W/"3"`}
	case pre.any:
		return env, nil
	case len(pre.versions) == 0:
		return env, fmt.Errorf("%w: If-Match names no version of this user", errPreconditionFailed)
	case len(pre.versions) == 1:
		env.ExpectedVersion = &pre.versions[0]
		return env, nil
	}
	u, err := h.app.Queries.GetUserRecord.Handle(ctx, query.GetUserRecord{TenantID: c.principal.TenantID, UserID: id})
	if err != nil {
		return env, err
	}
	if !pre.matches(u.Version) {
		return env, fmt.Errorf("%w: If-Match names no current version", errPreconditionFailed)
	}
	env.ExpectedVersion = &u.Version
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
	refs, err := h.app.Queries.Groups.OfUser(ctx, c.principal.TenantID, id)
	if err != nil {
		return outcome{}, err
	}
	return outcome{status: status, resource: withGroups(toResource(u, c.base), refs, c.base), version: u.Version}, nil
}

func (h *handler) create(ctx context.Context, c call, body map[string]any) (outcome, error) {
	in, err := fromResource(body, fields{Active: true})
	if err != nil {
		return outcome{}, err
	}
	in.defaultEmails()
	contacts, err := in.contacts()
	if err != nil {
		return outcome{}, err
	}
	res, err := h.app.Commands.RegisterUser.Handle(ctx, command.RegisterUser{Envelope: h.envelope(ctx, c),
		Registration: user.Registration{Profile: in.Profile, Contacts: contacts, Status: in.status()}})
	if err != nil {
		return outcome{}, err
	}
	return h.read(ctx, c, res.User.ID, http.StatusCreated)
}

// replace is PUT: every writable attribute takes the given value, absent
// ones are cleared. "active" absent leaves the status as it is, so a client
// that does not manage it cannot deactivate anyone by accident; "emails"
// absent leaves the addresses (a user must have one), unless userName is an
// address, which then becomes the only one.
func (h *handler) replace(ctx context.Context, c call, id user.ID, body map[string]any) (outcome, error) {
	in, err := fromResource(body, fields{})
	if err != nil {
		return outcome{}, err
	}
	in.defaultEmails()
	for _, s := range scalars {
		in.set[s.field] = true
	}
	in.set["phonenumbers"], in.set["addresses"] = true, true
	p, err := patchOf(in)
	if err != nil {
		return outcome{}, err
	}
	return h.update(ctx, c, id, p)
}

func (h *handler) update(ctx context.Context, c call, id user.ID, p user.Patch) (outcome, error) {
	env, err := h.conditionalEnvelope(ctx, c, id)
	if err != nil {
		return outcome{}, err
	}
	if _, err := h.app.Commands.UpdateUser.Handle(ctx, command.UpdateUser{Envelope: env, UserID: id, Patch: p}); err != nil {
		return outcome{}, conditional(env, err)
	}
	return h.read(ctx, c, id, http.StatusOK)
}

func (h *handler) remove(ctx context.Context, c call, id user.ID, _ map[string]any) (outcome, error) {
	env, err := h.conditionalEnvelope(ctx, c, id)
	if err != nil {
		return outcome{}, err
	}
	if h.erases {
		_, err = h.app.Commands.EraseUser.Handle(ctx, command.EraseUser{Envelope: env, UserID: id, Basis: "scim_delete"})
	} else {
		_, err = h.app.Commands.DeleteUser.Handle(ctx, command.DeleteUser{Envelope: env, UserID: id, Reason: "deleted over SCIM"})
	}
	if err != nil {
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
		// RFC 7232 section 3.2: weak comparison; "*" matches any user.
		if pre, ok := parsePreconditions(inm); ok && pre.matches(o.version) {
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
