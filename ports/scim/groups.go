package scim

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"github.com/userservice/userservice/app/auth"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/app/query"
	"github.com/userservice/userservice/domain/group"
	"github.com/userservice/userservice/domain/user"
)

const coreGroupURN = "urn:ietf:params:scim:schemas:core:2.0:Group"

// toGroupResource renders a group as a SCIM Group.
func toGroupResource(g query.GroupRecord, base string, withMembers bool) map[string]any {
	res := map[string]any{
		"schemas":     []any{coreGroupURN},
		"id":          g.ID.String(),
		"displayName": g.DisplayName,
		"meta": map[string]any{
			"resourceType": "Group",
			"created":      g.Created.UTC().Format(time.RFC3339Nano),
			"lastModified": g.LastModified.UTC().Format(time.RFC3339Nano),
			"location":     base + "/Groups/" + g.ID.String(),
			"version":      etag(g.Version),
		},
	}
	if g.ExternalID != "" {
		res["externalId"] = g.ExternalID
	}
	if withMembers {
		members := make([]any, len(g.Members))
		for i, m := range g.Members {
			members[i] = map[string]any{"value": m.ID.String(), "$ref": base + "/Users/" + m.ID.String(),
				"display": m.Display, "type": "User"}
		}
		res["members"] = members
	}
	return res
}

// withGroups adds a user's read-only groups attribute.
func withGroups(res map[string]any, refs []query.GroupRef, base string) map[string]any {
	groups := make([]any, len(refs))
	for i, g := range refs {
		groups[i] = map[string]any{"value": g.ID.String(), "$ref": base + "/Groups/" + g.ID.String(),
			"display": g.DisplayName, "type": "direct"}
	}
	res["groups"] = groups
	return res
}

// groupInput is what a Group request sets.
type groupInput struct {
	patch group.Patch
	id    user.ID
}

// applyGroupAttr applies one attribute of a Group body or PATCH. Members
// are ids of users; "add" appends, "remove" takes out (all of them without
// a value), "replace" replaces the list.
func (in *groupInput) apply(op, path string, value any, inBody bool) error {
	p := &filterParser{src: path}
	attr, err := p.attrPath()
	if err != nil {
		return invalidPath(path)
	}
	attr = strings.TrimPrefix(attr, strings.ToLower(coreGroupURN)+":")
	if p.consume('[') {
		return in.removeFiltered(p, op, path, attr)
	}
	if p.pos != len(path) {
		return invalidPath(path)
	}
	switch attr {
	case "displayname":
		return patchString(&in.patch.DisplayName, op, path, value)
	case "externalid":
		return patchString(&in.patch.ExternalID, op, path, value)
	case "members":
		return in.patchMembers(op, value)
	}
	return in.notWritable(attr, path, value, inBody)
}

// notWritable answers a path that is not one a patch writes: a read-only
// attribute sent back unchanged (or in a whole body) is let through.
func (in *groupInput) notWritable(attr, path string, value any, inBody bool) error {
	switch attr {
	case "id":
		// Okta sends the id back in a replace; the same id changes nothing.
		if s, _ := value.(string); inBody || strings.EqualFold(s, in.id.String()) {
			return nil
		}
		return mutability(path)
	case "meta", "schemas":
		if inBody {
			return nil
		}
		return mutability(path)
	}
	if inBody {
		return badValue("%q is not an attribute of the Group schema (see /Schemas)", path)
	}
	return invalidPath(path)
}

// removeFiltered handles members[value eq "id"]: the Entra and Okta way to
// remove one member, and the only filtered path a group takes.
func (in *groupInput) removeFiltered(p *filterParser, op, path, attr string) error {
	filter, err := p.or(0)
	if err != nil {
		return err
	}
	if !p.consume(']') || p.pos != len(path) || attr != "members" {
		return invalidPath(path)
	}
	c, ok := filter.(cmpExpr)
	s, _ := c.value.(string)
	if !ok || c.path != "value" || c.op != "eq" || op != "remove" {
		return invalidPath(path + ": only remove of members[value eq \"<id>\"] is supported")
	}
	in.patch.Remove = append(in.patch.Remove, s)
	return nil
}

// patchString sets a string attribute; a remove (or null) empties it.
func patchString(dst **string, op, path string, value any) error {
	if op == "remove" || value == nil {
		empty := ""
		*dst = &empty
		return nil
	}
	s, ok := value.(string)
	if !ok {
		return badValue("%q must be a string", path)
	}
	*dst = &s
	return nil
}

// patchMembers adds, removes (all of them, for a remove without a value)
// or replaces the members.
func (in *groupInput) patchMembers(op string, value any) error {
	ids, err := memberIDs(value)
	if err != nil {
		return err
	}
	switch {
	case op == "add":
		in.patch.Add = append(in.patch.Add, ids...)
	case op == "remove" && value == nil:
		in.patch.Members, in.patch.Add = &[]string{}, nil
	case op == "remove":
		in.patch.Remove = append(in.patch.Remove, ids...)
	default:
		in.patch.Members, in.patch.Add, in.patch.Remove = &ids, nil, nil
	}
	return nil
}

// memberIDs reads [{"value": "<user id>"}, ...] (one object alone too).
func memberIDs(value any) ([]string, error) {
	if value == nil {
		return nil, nil
	}
	list, ok := value.([]any)
	if !ok {
		list = []any{value}
	}
	ids := make([]string, 0, len(list))
	for _, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			return nil, badValue(`"members" must be a list of objects with a "value"`)
		}
		v, _ := lookup(m, "value")
		s, ok := v.(string)
		if !ok {
			return nil, badValue(`every member needs a string "value" (a user id)`)
		}
		ids = append(ids, s)
	}
	return ids, nil
}

func groupFromBody(body map[string]any) (*groupInput, error) {
	in := &groupInput{}
	for k, v := range body {
		if err := in.apply("replace", k, v, true); err != nil {
			return nil, err
		}
	}
	if in.patch.DisplayName == nil || *in.patch.DisplayName == "" {
		return nil, badValue(`"displayName" is required`)
	}
	if in.patch.Members == nil {
		in.patch.Members = &[]string{}
	}
	return in, nil
}

func (h *handler) groupOutcome(ctx context.Context, c call, id user.ID, status int) (outcome, error) {
	g, err := h.app.Queries.Groups.Get(ctx, c.principal.TenantID, id)
	if err != nil {
		return outcome{}, err
	}
	return outcome{status: status, resource: toGroupResource(g, c.base, true), version: g.Version}, nil
}

func (h *handler) postGroup(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	body, err := h.readJSON(w, r)
	if err != nil {
		return err
	}
	in, err := groupFromBody(body)
	if err != nil {
		return err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return err
	}
	c := h.callOf(r, p)
	ext := ""
	if in.patch.ExternalID != nil {
		ext = *in.patch.ExternalID
	}
	if _, err := h.app.Commands.CreateGroup.Handle(r.Context(), command.CreateGroup{Envelope: h.envelope(r.Context(), c),
		GroupID: user.ID(id), DisplayName: *in.patch.DisplayName, ExternalID: ext, Members: *in.patch.Members}); err != nil {
		return err
	}
	o, err := h.groupOutcome(r.Context(), c, user.ID(id), http.StatusCreated)
	if err != nil {
		return err
	}
	h.respond(w, r, o)
	return nil
}

func (h *handler) getGroup(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := groupPathID(mux.Vars(r)["id"])
	if err != nil {
		return err
	}
	o, err := h.groupOutcome(r.Context(), h.callOf(r, p), id, http.StatusOK)
	if err != nil {
		return err
	}
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		if pre, ok := parsePreconditions(inm); ok && pre.matches(o.version) {
			w.Header().Set("ETag", etag(o.version))
			w.WriteHeader(http.StatusNotModified)
			return nil
		}
	}
	h.respond(w, r, o)
	return nil
}

// listGroups is GET /Groups: filters displayName eq and externalId eq (and
// "and" of them); excludedAttributes=members skips reading members.
func (h *handler) listGroups(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	v := r.URL.Query()
	q := query.ListGroups{TenantID: p.TenantID, Limit: defaultCount}
	start := 1
	if s := v.Get("startIndex"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return &scimError{status: 400, scimType: "invalidValue", detail: "startIndex must be an integer"}
		}
		start = max(n, 1)
	}
	if s := v.Get("count"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return &scimError{status: 400, scimType: "invalidValue", detail: "count must be an integer"}
		}
		q.Limit = min(max(n, 0), maxResults)
	}
	q.Offset = start - 1
	if f := strings.TrimSpace(v.Get("filter")); f != "" {
		parsed, err := parseFilter(f)
		if err != nil {
			return err
		}
		if err := groupFilter(parsed, &q); err != nil {
			return err
		}
	}
	excluded := strings.ToLower(v.Get("excludedAttributes"))
	q.WithoutMembers = strings.Contains(excluded, "members")
	projection, err := parseRequested(v.Get("attributes"), v.Get("excludedAttributes"))
	if err != nil {
		return err
	}
	var page query.GroupPage
	if q.Limit > 0 {
		if page, err = h.app.Queries.Groups.List(r.Context(), q); err != nil {
			return err
		}
	} else if page, err = h.app.Queries.Groups.List(r.Context(), query.ListGroups{TenantID: q.TenantID, DisplayName: q.DisplayName,
		ExternalID: q.ExternalID, Limit: 1, WithoutMembers: true}); err != nil {
		return err
	} else {
		page.Groups = nil
	}
	base := h.base(r)
	resources := make([]any, len(page.Groups))
	for i, g := range page.Groups {
		resources[i] = projection.apply(toGroupResource(g, base, !q.WithoutMembers))
	}
	h.writeJSON(w, http.StatusOK, map[string]any{"schemas": []any{listResponseURN}, "totalResults": page.Total,
		"startIndex": start, "itemsPerPage": len(resources), "Resources": resources}, nil)
	return nil
}

func groupFilter(e expr, q *query.ListGroups) error {
	switch e := e.(type) {
	case logicExpr:
		if !e.and {
			return invalidFilter("groups are filtered by displayName eq and externalId eq, joined by and")
		}
		if err := groupFilter(e.left, q); err != nil {
			return err
		}
		return groupFilter(e.right, q)
	case cmpExpr:
		s, ok := e.value.(string)
		if ok && e.op == "eq" {
			switch e.path {
			case "displayname":
				q.DisplayName = &s
				return nil
			case "externalid":
				q.ExternalID = &s
				return nil
			}
		}
	}
	return invalidFilter("groups are filtered by displayName eq and externalId eq, joined by and")
}

// groupChange is the patch a PUT (the whole group: an absent externalId
// clears it) or a PATCH (its operations, in order) asks for.
func groupChange(method string, id user.ID, body map[string]any) (*groupInput, error) {
	if method == http.MethodPut {
		in, err := groupFromBody(body)
		if err != nil {
			return nil, err
		}
		if in.patch.ExternalID == nil {
			empty := ""
			in.patch.ExternalID = &empty
		}
		return in, nil
	}
	in := &groupInput{id: id}
	ops, err := patchOperations(body)
	if err != nil {
		return nil, err
	}
	for _, op := range ops {
		if err := in.applyOperation(op); err != nil {
			return nil, err
		}
	}
	return in, nil
}

// applyOperation applies one PATCH operation; one without a path sets the
// attributes of its object value.
func (in *groupInput) applyOperation(op operation) error {
	if op.path != "" {
		return in.apply(op.op, op.path, op.value, false)
	}
	m, ok := op.value.(map[string]any)
	if !ok {
		return badValue("an operation without a path needs an object value")
	}
	for k, v := range m {
		if err := in.apply(op.op, k, v, false); err != nil {
			return err
		}
	}
	return nil
}

// onGroup runs a write on /Groups/{id}: PUT, PATCH or DELETE.
func (h *handler) onGroup(method string) guardedFunc {
	return func(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
		id, err := groupPathID(mux.Vars(r)["id"])
		if err != nil {
			return err
		}
		c := h.callOf(r, p)
		env, err := h.groupEnvelope(r.Context(), c, id)
		if err != nil {
			return err
		}
		if method == http.MethodDelete {
			if _, err := h.app.Commands.DeleteGroup.Handle(r.Context(), command.DeleteGroup{Envelope: env, GroupID: id}); err != nil {
				return conditional(env, err)
			}
			w.WriteHeader(http.StatusNoContent)
			return nil
		}
		body, err := h.readJSON(w, r)
		if err != nil {
			return err
		}
		in, err := groupChange(method, id, body)
		if err != nil {
			return err
		}
		if _, err := h.app.Commands.UpdateGroup.Handle(r.Context(), command.UpdateGroup{Envelope: env, GroupID: id, Patch: in.patch}); err != nil {
			return conditional(env, err)
		}
		o, err := h.groupOutcome(r.Context(), c, id, http.StatusOK)
		if err != nil {
			return err
		}
		h.respond(w, r, o)
		return nil
	}
}

// groupEnvelope is conditionalEnvelope for a group.
func (h *handler) groupEnvelope(ctx context.Context, c call, id user.ID) (command.Envelope, error) {
	env := h.envelope(ctx, c)
	if strings.TrimSpace(c.ifMatch) == "" {
		return env, nil
	}
	pre, ok := parsePreconditions(c.ifMatch)
	if !ok {
		return env, &scimError{status: 400, scimType: "invalidValue", detail: `If-Match must be "*" or a list of entity tags such as W/"3"`}
	}
	if pre.any {
		return env, nil
	}
	g, err := h.app.Queries.Groups.Get(ctx, c.principal.TenantID, id)
	if err != nil {
		return env, err
	}
	if !pre.matches(g.Version) {
		return env, fmt.Errorf("%w: If-Match names no current version", errPreconditionFailed)
	}
	env.ExpectedVersion = &g.Version
	return env, nil
}

// groupPathID parses {id}; an id that is no UUID names no group (404).
func groupPathID(s string) (user.ID, error) {
	id, err := user.ParseID(s)
	if err != nil {
		return user.ID{}, fmt.Errorf("%w: %w", group.ErrNotFound, err)
	}
	return id, nil
}
