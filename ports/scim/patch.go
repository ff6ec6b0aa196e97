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
	p, err := patchOf(in)
	if err != nil {
		return outcome{}, err
	}
	return h.update(ctx, c, id, p)
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
			if err := applyPath(in, op.op, k, v); err != nil {
				return err
			}
		}
		return nil
	}
	return applyPath(in, op.op, op.path, op.value)
}

// applyPath applies one operation to one attribute path, which may carry a
// value filter (emails[type eq "work"].value) or name a sub-attribute of a
// multi-valued attribute (emails.value: the primary one).
func applyPath(in *input, op, path string, value any) error {
	remove := op == "remove"
	p := &filterParser{src: path}
	attr, err := p.attrPath()
	if err != nil {
		return invalidPath(path)
	}
	if !p.consume('[') {
		if p.pos != len(path) {
			return invalidPath(path)
		}
		if top, sub, ok := multiSub(attr); ok {
			return in.onPrimary(top, sub, value, remove)
		}
		if _, ok := multiValued[attr]; ok && op == "add" && !remove {
			return in.addElements(attr, value)
		}
		return in.apply(attr, value, remove, false)
	}
	if _, ok := multiValued[attr]; !ok {
		if readOnly(attr) {
			return mutability(path)
		}
		return invalidPath(path)
	}
	filter, sub, err := filteredPath(p, attr, path)
	if err != nil {
		return err
	}
	return in.onFiltered(op, attr, filter, sub, path, value)
}

// filteredPath reads the rest of attr[filter] or attr[filter].sub, after
// the '[': the filter and the sub-attribute ("" for none).
func filteredPath(p *filterParser, attr, path string) (expr, string, error) {
	filter, err := p.or(0)
	if err != nil {
		return nil, "", err
	}
	p.skipSpace()
	sub := ""
	if !p.consume(']') {
		return nil, "", invalidPath(path)
	}
	if p.consume('.') {
		if sub, err = p.attrPath(); err != nil {
			return nil, "", invalidPath(path)
		}
	}
	if p.pos != len(path) || (sub != "" && !hasSub(attr, sub)) {
		return nil, "", invalidPath(path)
	}
	return filter, sub, nil
}

// multiSub splits "emails.value" into its multi-valued attribute and sub-attribute.
func multiSub(path string) (top, sub string, ok bool) {
	top, sub, found := strings.Cut(path, ".")
	if !found {
		return "", "", false
	}
	if _, multi := multiValued[top]; !multi || !hasSub(top, sub) {
		return "", "", false
	}
	return top, sub, true
}

func hasSub(attr, sub string) bool {
	for _, s := range multiValued[attr] {
		if s == sub {
			return true
		}
	}
	return false
}

// addElements is "add" of values to a multi-valued attribute: they are
// appended, except one equal to an element already there (same value and
// type, or the same address), which is merged into it.
func (in *input) addElements(attr string, value any) error {
	list, err := elements(attr, value)
	if err != nil {
		return err
	}
	cur := in.multi[attr]
	for _, e := range list {
		i := indexOf(cur, e)
		if i < 0 {
			cur = append(cur, e)
			i = len(cur) - 1
		} else {
			for k, v := range e {
				cur[i][k] = v
			}
		}
		if flag(e) {
			markOnePrimary(cur, i)
		}
	}
	in.multi[attr], in.set[attr] = cur, true
	return nil
}

func indexOf(list []element, e element) int {
	for i, have := range list {
		if str(have, "value") == str(e, "value") && str(have, "type") == str(e, "type") &&
			(str(e, "value") != "" || str(have, "streetaddress") == str(e, "streetaddress")) {
			return i
		}
	}
	return -1
}

// onPrimary is a sub-attribute path without a filter (emails.value): it
// applies to the primary element, else the first, else a new one.
func (in *input) onPrimary(attr, sub string, value any, remove bool) error {
	list := in.multi[attr]
	target := -1
	for i, e := range list {
		if flag(e) {
			target = i
		}
	}
	if target < 0 && len(list) > 0 {
		target = 0
	}
	if remove {
		if target >= 0 {
			in.removeSub(attr, target, sub)
		}
		return nil
	}
	if target < 0 {
		list = append(list, element{"primary": true})
		target = len(list) - 1
	}
	if err := list[target].set(attr, sub, value); err != nil {
		return err
	}
	if sub == "primary" && flag(list[target]) {
		markOnePrimary(list, target)
	}
	in.multi[attr], in.set[attr] = list, true
	return nil
}

// removeSub clears a sub-attribute of one element; an e-mail address or
// phone number without its value is no element at all, so it goes.
func (in *input) removeSub(attr string, i int, sub string) {
	list := in.multi[attr]
	if sub == "value" || sub == "" {
		list = append(list[:i:i], list[i+1:]...)
	} else {
		delete(list[i], sub)
	}
	in.multi[attr], in.set[attr] = list, true
}

// setElement sets one sub-attribute of a matched element, or (sub "") the
// members of an object value.
func setElement(e element, attr, sub, path string, value any) error {
	if sub != "" {
		return e.set(attr, sub, value)
	}
	m, ok := value.(map[string]any)
	if !ok {
		return badValue("%s needs an object value", path)
	}
	for k, v := range m {
		if err := e.set(attr, strings.ToLower(k), v); err != nil {
			return err
		}
	}
	return nil
}

// onFiltered applies an operation to the elements a value filter selects
// (RFC 7644 section 3.5.2). An add that selects nothing, with a filter of
// equalities only (type eq "work"), adds the element the filter describes:
// the way Microsoft Entra sets phoneNumbers[type eq "mobile"].value on a
// user who has none yet; a replace that selects nothing is noTarget (RFC
// 7644 section 3.5.2.3); a remove that selects nothing changes nothing.
func (in *input) onFiltered(op, attr string, filter expr, sub, path string, value any) error {
	remove := op == "remove"
	list := in.multi[attr]
	var matched []int
	for i, e := range list {
		ok, err := matchesElement(filter, e)
		if err != nil {
			return err
		}
		if ok {
			matched = append(matched, i)
		}
	}
	if remove {
		for j := len(matched) - 1; j >= 0; j-- {
			in.removeSub(attr, matched[j], sub)
		}
		return nil
	}
	if len(matched) == 0 {
		e, ok := elementOfFilter(attr, filter)
		if !ok || op == "replace" {
			return &scimError{status: 400, scimType: "noTarget", detail: "the filter in " + path + " matches nothing"}
		}
		list = append(list, e)
		matched = []int{len(list) - 1}
	}
	for _, i := range matched {
		if err := setElement(list[i], attr, sub, path, value); err != nil {
			return err
		}
	}
	if last := matched[len(matched)-1]; flag(list[last]) {
		markOnePrimary(list, last)
	}
	in.multi[attr], in.set[attr] = list, true
	return nil
}

// matchesElement evaluates a value filter against one element.
func matchesElement(e expr, el element) (bool, error) {
	switch e := e.(type) {
	case logicExpr:
		l, err := matchesElement(e.left, el)
		if err != nil {
			return false, err
		}
		r, err := matchesElement(e.right, el)
		if e.and {
			return l && r, err
		}
		return l || r, err
	case notExpr:
		v, err := matchesElement(e.inner, el)
		return !v, err
	case presentExpr:
		_, ok := el[e.path]
		return ok, nil
	case cmpExpr:
		have, ok := el[e.path]
		if !ok {
			if e.path == "primary" {
				have = false
			} else {
				have = ""
			}
		}
		return compareConst(have, e)
	}
	return false, invalidFilter("unsupported value filter")
}

// elementOfFilter is the element a filter of equalities joined by "and"
// describes; ok is false for any other filter.
func elementOfFilter(attr string, e expr) (element, bool) {
	out := element{}
	var walk func(expr) bool
	walk = func(e expr) bool {
		switch e := e.(type) {
		case logicExpr:
			return e.and && walk(e.left) && walk(e.right)
		case cmpExpr:
			return e.op == "eq" && hasSub(attr, e.path) && out.set(attr, e.path, e.value) == nil
		}
		return false
	}
	return out, walk(e)
}

// patchOf turns the touched attributes into the domain's partial update.
func patchOf(in *input) (user.Patch, error) {
	var p user.Patch
	targets := map[string]**string{
		user.FieldUsername: &p.Username, user.FieldGivenName: &p.GivenName, user.FieldFamilyName: &p.FamilyName,
		user.FieldMiddleName: &p.MiddleName, user.FieldHonorificPrefix: &p.HonorificPrefix,
		user.FieldHonorificSuffix: &p.HonorificSuffix, user.FieldFormattedName: &p.FormattedName,
		user.FieldDisplayName: &p.DisplayName, user.FieldNickName: &p.NickName, user.FieldProfileURL: &p.ProfileURL,
		user.FieldUserType: &p.UserType, user.FieldTitle: &p.Title, user.FieldDepartment: &p.Department,
		user.FieldManagerID: &p.ManagerID, user.FieldExternalID: &p.ExternalID,
		user.FieldEmployeeNumber: &p.EmployeeNumber, user.FieldCostCenter: &p.CostCenter,
		user.FieldOrganization: &p.Organization, user.FieldDivision: &p.Division,
		user.FieldPreferredLanguage: &p.PreferredLanguage, user.FieldLocale: &p.Locale, user.FieldTimeZone: &p.TimeZone,
	}
	for _, s := range scalars {
		if in.set[s.field] {
			v := *s.get(&in.fields)
			*targets[s.field] = &v
		}
	}
	c, err := in.contacts()
	if err != nil {
		return p, err
	}
	if in.set["emails"] {
		p.Emails = &c.Emails
	}
	if in.set["phonenumbers"] {
		p.PhoneNumbers = &c.PhoneNumbers
	}
	if in.set["addresses"] {
		p.Addresses = &c.Addresses
	}
	if in.set["active"] {
		s := in.status()
		p.Status = &s
	}
	return p, nil
}

func invalidPath(path string) error {
	return &scimError{status: http.StatusBadRequest, scimType: "invalidPath",
		detail: "the path " + path + " names no attribute of the User schemas (see /Schemas)"}
}
