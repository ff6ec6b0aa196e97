package scim

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/userservice/userservice/app/auth"
)

// maxBulkOperations bounds a Bulk request (advertised in ServiceProviderConfig).
const maxBulkOperations = 1000

type bulkOp struct {
	method, bulkID, path, version string
	data                          map[string]any
	index                         int
}

// bulk handles POST /Bulk (RFC 7644 section 3.7). Each operation runs through
// the same code as its own request would, one command (one transaction) per
// operation. "bulkId:x" anywhere in a path or in data is replaced by the id
// of the user the operation with bulkId x created; an operation waits for
// the ones it refers to, so the order in the request does not matter
// (bulkPlan). Each operation counts against the token's rate limit like a
// request of its own.
func (h *handler) bulk(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	body, err := h.readJSON(w, r)
	if err != nil {
		return err
	}
	ops, failOnErrors, err := bulkOperations(body)
	if err != nil {
		return err
	}
	c := call{principal: p, base: h.base(r)}
	results := make([]map[string]any, len(ops))
	ran := make([]bool, len(ops))
	created := map[string]string{} // bulkId -> user id
	plan := newBulkPlan(ops)
	errorsSeen, runs := 0, 0
	for failOnErrors == 0 || errorsSeen < failOnErrors {
		i, broken, ok := plan.next()
		if !ok {
			break
		}
		op := ops[i]
		var res map[string]any
		switch {
		case broken:
			res = bulkFailure(op, &scimError{status: 409, scimType: "invalidValue",
				detail: "refers to a bulkId whose operation failed"})
		case !h.chargeOperation(p, runs):
			res = bulkFailure(op, &scimError{status: http.StatusTooManyRequests,
				detail: "the token's rate limit is used up: each Bulk operation counts as a request; send this one again later"})
		default:
			res = h.bulkRun(r.Context(), c, op, created)
		}
		if !broken {
			runs++
		}
		status, _ := res["status"].(string)
		succeeded := strings.HasPrefix(status, "2")
		if !succeeded {
			errorsSeen++
		}
		results[i], ran[i] = res, true
		plan.done(i, succeeded)
	}
	if failOnErrors == 0 || errorsSeen < failOnErrors {
		for _, i := range plan.unfinished(ran) { // what is left refers to itself in a circle
			results[i] = bulkFailure(ops[i], &scimError{status: 409, scimType: "invalidValue", detail: "circular bulkId reference"})
		}
	}
	out := make([]any, 0, len(results))
	for _, res := range results {
		if res != nil { // operations after failOnErrors was reached are not run
			out = append(out, res)
		}
	}
	h.writeJSON(w, http.StatusOK, map[string]any{"schemas": []any{bulkResponseURN}, "Operations": out}, nil)
	return nil
}

// chargeOperation takes one request from the token's rate limit for the
// operation about to run after `before` others; the first was paid for by
// the Bulk request itself.
func (h *handler) chargeOperation(p auth.Principal, before int) bool {
	if before == 0 {
		return true
	}
	ok, _ := h.limiter.Allow(p.TokenID)
	return ok
}

func bulkOperations(body map[string]any) ([]bulkOp, int, error) {
	bad := func(detail string) error { return &scimError{status: 400, scimType: "invalidSyntax", detail: detail} }
	failOnErrors := 0
	if v, ok := lookup(body, "failOnErrors"); ok && v != nil {
		f, ok := v.(float64)
		if !ok || f < 0 || f != float64(int(f)) {
			return nil, 0, bad("failOnErrors must be a non-negative integer")
		}
		failOnErrors = int(f)
	}
	raw, _ := lookup(body, "Operations")
	list, ok := raw.([]any)
	if !ok {
		return nil, 0, bad(`a BulkRequest needs an "Operations" list`)
	}
	if len(list) > maxBulkOperations {
		return nil, 0, &scimError{status: 413, detail: "at most " + strconv.Itoa(maxBulkOperations) + " operations per Bulk request"}
	}
	ops := make([]bulkOp, len(list))
	seen := map[string]bool{}
	for i, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			return nil, 0, bad("every operation must be an object")
		}
		op := bulkOp{index: i}
		for name, dst := range map[string]*string{"method": &op.method, "bulkId": &op.bulkID, "path": &op.path, "version": &op.version} {
			v, _ := lookup(m, name)
			*dst, _ = v.(string)
		}
		op.method = strings.ToUpper(op.method)
		if d, ok := lookup(m, "data"); ok {
			if op.data, ok = d.(map[string]any); !ok {
				return nil, 0, bad("data must be an object")
			}
		}
		if op.method == http.MethodPost && op.bulkID == "" {
			return nil, 0, bad("every POST operation needs a bulkId")
		}
		if op.bulkID != "" {
			if seen[op.bulkID] {
				return nil, 0, bad("bulkId " + op.bulkID + " is used twice")
			}
			seen[op.bulkID] = true
		}
		ops[i] = op
	}
	for _, op := range ops { // a reference to a bulkId nobody declares can never resolve
		for _, ref := range bulkRefs(op) {
			if !seen[ref] {
				return nil, 0, bad("bulkId:" + ref + " refers to no operation of this request")
			}
		}
	}
	return ops, failOnErrors, nil
}

// bulkRun runs one operation and renders its result.
func (h *handler) bulkRun(ctx context.Context, c call, op bulkOp, created map[string]string) map[string]any {
	path := substitute(op.path, created).(string)
	data, _ := substitute(op.data, created).(map[string]any)
	c.ifMatch = op.version
	var (
		o   outcome
		err error
	)
	rest, isUsers := strings.CutPrefix(path, "/Users")
	id := strings.TrimPrefix(rest, "/")
	switch {
	case !isUsers || (rest != "" && !strings.HasPrefix(rest, "/")):
		err = &scimError{status: 400, scimType: "invalidPath", detail: "only /Users operations are supported"}
	case op.method == http.MethodPost && id == "":
		o, err = h.create(ctx, c, data)
	case id == "" || (data == nil && op.method != http.MethodDelete):
		err = &scimError{status: 400, scimType: "invalidSyntax", detail: op.method + " needs a path /Users/{id} and data"}
	default:
		o, err = h.bulkOnUser(ctx, c, op.method, id, data)
	}
	if err != nil {
		return bulkFailure(op, err)
	}
	res := map[string]any{"method": op.method, "status": strconv.Itoa(o.status)}
	if op.bulkID != "" {
		res["bulkId"] = op.bulkID
	}
	if o.resource != nil {
		res["location"], res["version"] = o.location(), etag(o.version)
		if op.method == http.MethodPost && op.bulkID != "" {
			created[op.bulkID], _ = o.resource["id"].(string)
		}
	}
	return res
}

func (h *handler) bulkOnUser(ctx context.Context, c call, method, rawID string, data map[string]any) (outcome, error) {
	id, err := pathID(rawID)
	if err != nil {
		return outcome{}, err
	}
	switch method {
	case http.MethodPut:
		return h.replace(ctx, c, id, data)
	case http.MethodPatch:
		return h.patch(ctx, c, id, data)
	case http.MethodDelete:
		return h.remove(ctx, c, id, nil)
	}
	return outcome{}, &scimError{status: 400, scimType: "invalidSyntax", detail: "method must be POST, PUT, PATCH or DELETE"}
}

func bulkFailure(op bulkOp, err error) map[string]any {
	se := classify(err)
	res := map[string]any{"method": op.method, "status": strconv.Itoa(se.status), "response": se.body()}
	if op.bulkID != "" {
		res["bulkId"] = op.bulkID
	}
	return res
}

const bulkIDPrefix = "bulkId:"

// bulkRefs lists the bulkIds an operation refers to.
func bulkRefs(op bulkOp) []string {
	var refs []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			if i := strings.Index(v, bulkIDPrefix); i >= 0 {
				ref := v[i+len(bulkIDPrefix):]
				ref, _, _ = strings.Cut(ref, "/")
				refs = append(refs, ref)
			}
		case map[string]any:
			for _, sv := range v {
				walk(sv)
			}
		case []any:
			for _, sv := range v {
				walk(sv)
			}
		}
	}
	walk(op.path)
	walk(op.data)
	return refs
}

// substitute replaces "bulkId:x" by the created user's id, in strings at any depth.
func substitute(v any, created map[string]string) any {
	switch v := v.(type) {
	case string:
		i := strings.Index(v, bulkIDPrefix)
		if i < 0 {
			return v
		}
		ref, rest, slash := strings.Cut(v[i+len(bulkIDPrefix):], "/")
		id, ok := created[ref]
		if !ok {
			return v
		}
		if slash {
			rest = "/" + rest
		}
		return v[:i] + id + rest
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, sv := range v {
			out[k] = substitute(sv, created)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, sv := range v {
			out[i] = substitute(sv, created)
		}
		return out
	}
	return v
}
