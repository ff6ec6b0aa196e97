package httpapi

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"github.com/userservice/userservice/app/auth"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/app/query"
	"github.com/userservice/userservice/domain/group"
	"github.com/userservice/userservice/domain/user"
)

// groupResource is a group as the admin API shows it.
type groupResource struct {
	ID          string           `json:"id"`
	DisplayName string           `json:"display_name"`
	ExternalID  *string          `json:"external_id"`
	Members     []memberResource `json:"members"`
	Version     int              `json:"version"`
	CreatedAt   time.Time        `json:"created_at"`
	UpdatedAt   time.Time        `json:"updated_at"`
}

type memberResource struct {
	ID      string `json:"id"`
	Display string `json:"display"`
}

func newGroupResource(g query.GroupRecord) groupResource {
	members := make([]memberResource, len(g.Members))
	for i, m := range g.Members {
		members[i] = memberResource{ID: m.ID.String(), Display: m.Display}
	}
	return groupResource{ID: g.ID.String(), DisplayName: g.DisplayName, ExternalID: nullable(g.ExternalID),
		Members: members, Version: g.Version, CreatedAt: g.Created, UpdatedAt: g.LastModified}
}

// groupRequest is the body of POST /v1/groups and PATCH /v1/groups/{id}
// (a merge patch: absent members stay; members replaces the list,
// add_members and remove_members change it).
type groupRequest struct {
	DisplayName   patchString       `json:"display_name"`
	ExternalID    patchString       `json:"external_id"`
	Members       patchList[string] `json:"members"`
	AddMembers    patchList[string] `json:"add_members"`
	RemoveMembers patchList[string] `json:"remove_members"`
}

// decodeGroupRequest decodes a group body. The member lists are arrays in
// the document, not nullable: "none" is [], and null is refused rather than
// read as absent (which would leave a PATCH's members as they are).
func decodeGroupRequest(body []byte) (groupRequest, error) {
	var req groupRequest
	if err := decodeObject(body, &req); err != nil {
		return req, err
	}
	for _, l := range []struct {
		name string
		list patchList[string]
	}{{"members", req.Members}, {"add_members", req.AddMembers}, {"remove_members", req.RemoveMembers}} {
		if l.list.present && l.list.value == nil {
			return req, fmt.Errorf("%w: %s may be [] but not null", errMalformedRequest, l.name)
		}
	}
	return req, nil
}

func (h *handler) groupAnswer(w http.ResponseWriter, r *http.Request, p auth.Principal, status int, res command.GroupResult) error {
	g, err := h.app.Queries.Groups.Get(r.Context(), p.TenantID, res.Group.ID)
	if err != nil {
		return err
	}
	hdr := http.Header{}
	hdr.Set("ETag", etag(g.Version))
	hdr.Set(headerChanged, strconv.FormatBool(res.Changed))
	if res.Replayed {
		hdr.Set(headerIdempotentReplayed, "true")
	}
	if status == http.StatusCreated {
		hdr.Set("Location", "/v1/groups/"+g.ID.String())
	}
	h.writeJSON(w, r, status, newGroupResource(g), hdr)
	return nil
}

// createGroup handles POST /v1/groups.
func (h *handler) createGroup(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	env, err := newEnvelope(r, p)
	if err != nil {
		return err
	}
	env.ExpectedVersion = nil
	body, err := h.readBody(w, r, false, mediaJSON)
	if err != nil {
		return err
	}
	req, err := decodeGroupRequest(body)
	if err != nil {
		return err
	}
	if req.AddMembers.present || req.RemoveMembers.present {
		return fmt.Errorf("%w: a new group takes members, not add_members or remove_members", errMalformedRequest)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return err
	}
	res, err := h.app.Commands.CreateGroup.Handle(r.Context(), command.CreateGroup{Envelope: env, GroupID: user.ID(id),
		DisplayName: req.DisplayName.value, ExternalID: req.ExternalID.value, Members: req.Members.value})
	if err != nil {
		return err
	}
	return h.groupAnswer(w, r, p, http.StatusCreated, res)
}

// getGroup handles GET /v1/groups/{id}.
func (h *handler) getGroup(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathGroupID(r)
	if err != nil {
		return err
	}
	g, err := h.app.Queries.Groups.Get(r.Context(), p.TenantID, id)
	if err != nil {
		return err
	}
	hdr := http.Header{}
	hdr.Set("ETag", etag(g.Version))
	h.writeJSON(w, r, http.StatusOK, newGroupResource(g), hdr)
	return nil
}

// listGroups handles GET /v1/groups (display_name, external_id, offset, limit).
func (h *handler) listGroups(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	v := r.URL.Query()
	q := query.ListGroups{TenantID: p.TenantID, Limit: 100}
	var err error
	for name, values := range v {
		if len(values) != 1 {
			return fmt.Errorf("%w: parameter %q given more than once", query.ErrInvalidQuery, name)
		}
		val := values[0]
		switch name {
		case "display_name":
			q.DisplayName = &val
		case "external_id":
			q.ExternalID = &val
		case "offset":
			if q.Offset, err = boundedInt(name, val, 0, math.MaxInt32); err != nil {
				return err
			}
		case "limit":
			if q.Limit, err = boundedInt(name, val, 1, 1000); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%w: unknown parameter %q", query.ErrInvalidQuery, name)
		}
	}
	page, err := h.app.Queries.Groups.List(r.Context(), q)
	if err != nil {
		return err
	}
	out := struct {
		Groups []groupResource `json:"groups"`
		Total  int             `json:"total"`
	}{Groups: make([]groupResource, len(page.Groups)), Total: page.Total}
	for i, g := range page.Groups {
		out.Groups[i] = newGroupResource(g)
	}
	h.writeJSON(w, r, http.StatusOK, out, nil)
	return nil
}

// updateGroup handles PATCH /v1/groups/{id}.
func (h *handler) updateGroup(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, env, body, err := h.readCommand(w, r, p, pathGroupID, false, mediaMergePatch, mediaJSON)
	if err != nil {
		return err
	}
	req, err := decodeGroupRequest(body)
	if err != nil {
		return err
	}
	patch := group.Patch{DisplayName: req.DisplayName.ptr(), ExternalID: req.ExternalID.ptr(), Members: req.Members.ptr(),
		Add: req.AddMembers.value, Remove: req.RemoveMembers.value}
	res, err := h.app.Commands.UpdateGroup.Handle(r.Context(), command.UpdateGroup{Envelope: env, GroupID: id, Patch: patch})
	if err != nil {
		return conditional(env, err)
	}
	return h.groupAnswer(w, r, p, http.StatusOK, res)
}

// deleteGroup handles DELETE /v1/groups/{id}: 204.
func (h *handler) deleteGroup(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, env, err := readTarget(r, p, pathGroupID)
	if err != nil {
		return err
	}
	if _, err := h.app.Commands.DeleteGroup.Handle(r.Context(), command.DeleteGroup{Envelope: env, GroupID: id}); err != nil {
		return conditional(env, err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func pathGroupID(r *http.Request) (user.ID, error) {
	id, err := user.ParseID(mux.Vars(r)["id"])
	if err != nil {
		return user.ID{}, fmt.Errorf("%w: %w", group.ErrNotFound, err)
	}
	return id, nil
}
