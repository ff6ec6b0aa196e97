package scim

import (
	"context"
	"net/http"
	"strings"

	"github.com/userservice/userservice/app/query"
	"github.com/userservice/userservice/domain/user"
)

// patch is PATCH (RFC 7644 section 3.5.2): the operations are applied in
// order to the user as read, and the attributes they touched become one
// UpdateUser, so untouched attributes are never written back and a patch
// that changes nothing writes nothing.
func (h *handler) patch(ctx context.Context, c call, id user.ID, body map[string]any) (outcome, error) {
	ops, err := patchOperations(body)
	if err != nil {
		return outcome{}, err
	}
	current, err := h.app.Queries.GetUserRecord.Handle(ctx, query.GetUserRecord{TenantID: c.principal.TenantID, UserID: id})
	if err != nil {
		return outcome{}, err
	}
	in := newInput(fieldsOf(current.Snapshot))
	for _, op := range ops {
		if err := applyOperation(in, op); err != nil {
			return outcome{}, err
		}
	}
	if in.set["emails"] {
		in.Email, in.set["email"] = in.emailsValue, true
	}
	return h.update(ctx, c, id, patchOf(in))
}

type operation struct {
	op    string // add, replace or remove
	path  string // as sent
	value any
}

// patchOperations reads the PatchOp message. Operation names are
// case-insensitive (Microsoft Entra sends "Replace").
func patchOperations(body map[string]any) ([]operation, error) {
	raw, _ := lookup(body, "Operations")
	list, ok := raw.([]any)
	if !ok || len(list) == 0 {
		return nil, &scimError{status: 400, scimType: "invalidSyntax", detail: `a PatchOp needs a non-empty "Operations" list`}
	}
	ops := make([]operation, 0, len(list))
	for _, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			return nil, &scimError{status: 400, scimType: "invalidSyntax", detail: "every operation must be an object"}
		}
		opv, _ := lookup(m, "op")
		name, _ := opv.(string)
		name = strings.ToLower(name)
		if name != "add" && name != "replace" && name != "remove" {
			return nil, &scimError{status: 400, scimType: "invalidSyntax", detail: `"op" must be add, replace or remove`}
		}
		pv, _ := lookup(m, "path")
		path, _ := pv.(string)
		value, hasValue := lookup(m, "value")
		if name != "remove" && !hasValue {
			return nil, &scimError{status: 400, scimType: "invalidValue", detail: name + " needs a value"}
		}
		ops = append(ops, operation{op: name, path: strings.TrimSpace(path), value: value})
	}
	return ops, nil
}

func applyOperation(in *input, op operation) error {
	remove := op.op == "remove"
	if op.path == "" {
		if remove {
			return &scimError{status: 400, scimType: "noTarget", detail: "remove needs a path"}
		}
		m, ok := op.value.(map[string]any)
		if !ok {
			return badValue("an operation without a path needs an object value")
		}
		for k, v := range m {
			if err := applyPath(in, k, v, false); err != nil {
				return err
			}
		}
		return nil
	}
	return applyPath(in, op.path, op.value, remove)
}

// applyPath applies one attribute path, which may carry a value filter
// (emails[type eq "work"].value).
func applyPath(in *input, path string, value any, remove bool) error {
	p := &filterParser{src: path}
	attr, err := p.attrPath()
	if err != nil {
		return invalidPath(path)
	}
	if !p.consume('[') {
		if p.pos != len(path) {
			return invalidPath(path)
		}
		if attr == "emails.value" {
			return setEmail(in, value, remove)
		}
		return in.apply(attr, value, remove)
	}
	filter, err := p.or(0)
	if err != nil {
		return err
	}
	p.skipSpace()
	sub := ""
	if !p.consume(']') {
		return invalidPath(path)
	}
	if p.consume('.') {
		if sub, err = p.attrPath(); err != nil {
			return invalidPath(path)
		}
	}
	if p.pos != len(path) {
		return invalidPath(path)
	}
	if attr != "emails" {
		return nil // a multi-valued attribute this service does not keep: ignored like the rest
	}
	match, err := matchesEmail(filter, in.Email)
	if err != nil {
		return err
	}
	if !match {
		return &scimError{status: 400, scimType: "noTarget", detail: "the filter in " + path + " matches no e-mail"}
	}
	switch sub {
	case "", "value":
		if sub == "" && !remove {
			return in.emails(value, false)
		}
		return setEmail(in, value, remove)
	}
	return nil // type and primary are fixed (work, true)
}

func setEmail(in *input, value any, remove bool) error {
	if remove {
		return badValue("the e-mail address is required and cannot be removed")
	}
	s, ok := value.(string)
	if !ok {
		return badValue("an e-mail value must be a string")
	}
	in.Email, in.set["email"] = s, true
	return nil
}

// matchesEmail evaluates a value filter against the one e-mail entry every
// user has: {value: the address, type: "work", primary: true}.
func matchesEmail(e expr, email string) (bool, error) {
	switch e := e.(type) {
	case logicExpr:
		l, err := matchesEmail(e.left, email)
		if err != nil {
			return false, err
		}
		r, err := matchesEmail(e.right, email)
		if e.and {
			return l && r, err
		}
		return l || r, err
	case notExpr:
		v, err := matchesEmail(e.inner, email)
		return !v, err
	case presentExpr:
		return e.path == "value" || e.path == "type" || e.path == "primary", nil
	case cmpExpr:
		elem := map[string]any{"value": email, "type": "work", "primary": true}
		have, ok := elem[e.path]
		if !ok {
			return false, invalidFilter("e-mails have no attribute %q", e.path)
		}
		return compareConst(have, e)
	}
	return false, invalidFilter("unsupported value filter")
}

// patchOf turns the touched attributes into the domain's partial update.
func patchOf(in *input) user.Patch {
	var p user.Patch
	for field, dst := range map[string]**string{
		"email": &p.Email, "given_name": &p.GivenName, "family_name": &p.FamilyName, "display_name": &p.DisplayName,
		"department": &p.Department, "title": &p.Title, "manager_id": &p.ManagerID, "external_id": &p.ExternalID,
		"locale": &p.Locale, "time_zone": &p.TimeZone,
	} {
		if in.set[field] {
			*dst = in.field(field)
		}
	}
	if in.set["active"] {
		s := in.status()
		p.Status = &s
	}
	return p
}

// field returns a pointer to a copy of the named field's value.
func (in *input) field(name string) *string {
	v := map[string]string{"email": in.Email, "given_name": in.GivenName, "family_name": in.FamilyName,
		"display_name": in.DisplayName, "department": in.Department, "title": in.Title, "manager_id": in.ManagerID,
		"external_id": in.ExternalID, "locale": in.Locale, "time_zone": in.TimeZone}[name]
	return &v
}

func invalidPath(path string) error {
	return &scimError{status: http.StatusBadRequest, scimType: "invalidPath", detail: "cannot parse the path " + path}
}
