package scim

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/userservice/userservice/app/auth"
	"github.com/userservice/userservice/app/query"
	"github.com/userservice/userservice/domain/user"
)

// Paging: count defaults to defaultCount and is capped at maxResults (RFC
// 7644 section 3.4.2.4 asks for the cap, not an error).
const (
	defaultCount = 100
	maxResults   = query.MaxSearchPageSize
)

// listRequest is a list query, from URL parameters or a .search body.
type listRequest struct {
	filter               string
	startIndex, count    int
	attributes, excluded string
}

// listUsers handles GET /Users.
func (h *handler) listUsers(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	v := r.URL.Query()
	req := listRequest{filter: v.Get("filter"), startIndex: 1, count: defaultCount,
		attributes: v.Get("attributes"), excluded: v.Get("excludedAttributes")}
	var err error
	if s := v.Get("startIndex"); s != "" {
		if req.startIndex, err = strconv.Atoi(s); err != nil {
			return &scimError{status: 400, scimType: "invalidValue", detail: "startIndex must be an integer"}
		}
	}
	if s := v.Get("count"); s != "" {
		if req.count, err = strconv.Atoi(s); err != nil {
			return &scimError{status: 400, scimType: "invalidValue", detail: "count must be an integer"}
		}
	}
	return h.list(w, r, p, req)
}

// searchUsers handles POST /Users/.search (RFC 7644 section 3.4.3).
func (h *handler) searchUsers(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	body, err := h.readJSON(w, r)
	if err != nil {
		return err
	}
	req := listRequest{startIndex: 1, count: defaultCount}
	bad := func(what string) error {
		return &scimError{status: 400, scimType: "invalidValue", detail: what}
	}
	if v, ok := lookup(body, "filter"); ok {
		if req.filter, ok = v.(string); !ok {
			return bad("filter must be a string")
		}
	}
	for name, dst := range map[string]*int{"startIndex": &req.startIndex, "count": &req.count} {
		if v, ok := lookup(body, name); ok {
			f, ok := v.(float64)
			if !ok || f != float64(int(f)) {
				return bad(name + " must be an integer")
			}
			*dst = int(f)
		}
	}
	for name, dst := range map[string]*string{"attributes": &req.attributes, "excludedAttributes": &req.excluded} {
		if v, ok := lookup(body, name); ok {
			list, ok := v.([]any)
			if !ok {
				return bad(name + " must be a list of attribute names")
			}
			names := make([]string, 0, len(list))
			for _, item := range list {
				s, ok := item.(string)
				if !ok {
					return bad(name + " must be a list of attribute names")
				}
				names = append(names, s)
			}
			*dst = strings.Join(names, ",")
		}
	}
	return h.list(w, r, p, req)
}

func (h *handler) list(w http.ResponseWriter, r *http.Request, p auth.Principal, req listRequest) error {
	// Parsed once for the whole page, not once per resource.
	projection, err := parseRequested(req.attributes, req.excluded)
	if err != nil {
		return err
	}
	q := query.SearchUsers{TenantID: p.TenantID}
	if strings.TrimSpace(req.filter) != "" {
		parsed, err := parseFilter(req.filter)
		if err != nil {
			return err
		}
		if q.Filter, err = toQueryFilter(parsed); err != nil {
			return err
		}
	}
	// Out-of-range values are clamped, as RFC 7644 section 3.4.2.4 says.
	req.startIndex = max(req.startIndex, 1)
	req.count = min(max(req.count, 0), maxResults)
	q.Offset, q.Limit = req.startIndex-1, req.count
	res, err := h.app.Queries.SearchUsers.Handle(r.Context(), q)
	if err != nil {
		return err
	}
	base := h.base(r)
	ids := make([]user.ID, len(res.Users))
	for i, u := range res.Users {
		ids[i] = u.ID
	}
	groups, err := h.app.Queries.Groups.OfUsers(r.Context(), p.TenantID, ids)
	if err != nil {
		return err
	}
	resources := make([]any, len(res.Users))
	for i, u := range res.Users {
		resources[i] = projection.apply(withGroups(toResource(u, base), groups[u.ID], base))
	}
	h.writeJSON(w, http.StatusOK, map[string]any{
		"schemas":      []any{listResponseURN},
		"totalResults": res.Total,
		"startIndex":   req.startIndex,
		"itemsPerPage": len(resources),
		"Resources":    resources,
	}, nil)
	return nil
}
