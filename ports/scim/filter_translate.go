package scim

import (
	"strings"
	"time"

	"github.com/userservice/userservice/app/query"
	"github.com/userservice/userservice/domain/user"
)

// filterAttrs maps the SCIM attribute paths a list filter may use to the
// read model's attributes. caseExact follows RFC 7643's User schema: only
// id, externalId and the manager's id compare case-sensitively.
var filterAttrs = map[string]struct {
	attr      query.Attribute
	caseExact bool
}{
	"id":                                  {query.AttrID, true},
	"externalid":                          {query.AttrExternalID, true},
	"username":                            {query.AttrUsername, false},
	"emails":                              {query.AttrEmail, false},
	"emails.value":                        {query.AttrEmail, false},
	"emails.type":                         {query.AttrEmailType, false},
	"name.givenname":                      {query.AttrGivenName, false},
	"name.familyname":                     {query.AttrFamilyName, false},
	"displayname":                         {query.AttrDisplayName, false},
	"title":                               {query.AttrTitle, false},
	"locale":                              {query.AttrLocale, false},
	"timezone":                            {query.AttrTimeZone, false},
	enterpriseURNLower + ":department":    {query.AttrDepartment, false},
	enterpriseURNLower + ":manager":       {query.AttrManagerID, false},
	enterpriseURNLower + ":manager.value": {query.AttrManagerID, false},
	"meta.created":                        {query.AttrCreated, true},
	"meta.lastmodified":                   {query.AttrUpdated, true},
}

// constAttrs are attributes every user has the same value of: a filter on
// them is decided here, without the database. An e-mail filter looks at the
// primary address (the one that is unique in the tenant): emails.value and
// emails.type are its value and type; the other addresses are not searched.
var constAttrs = map[string]any{
	"emails.primary":    true,
	"meta.resourcetype": "User",
	"schemas":           coreUserURN,
}

// toQueryFilter translates a parsed filter into the application's typed
// filter. Unknown attributes and ill-typed values are invalidFilter errors.
func toQueryFilter(e expr) (query.Filter, error) {
	switch e := e.(type) {
	case logicExpr:
		l, err := toQueryFilter(e.left)
		if err != nil {
			return nil, err
		}
		r, err := toQueryFilter(e.right)
		if err != nil {
			return nil, err
		}
		if e.and {
			return query.And{Left: l, Right: r}, nil
		}
		return query.Or{Left: l, Right: r}, nil
	case notExpr:
		inner, err := toQueryFilter(e.inner)
		return query.Not{Inner: inner}, err
	case valuePathExpr:
		return valuePathFilter(e)
	case presentExpr:
		return presentFilter(e.path)
	case cmpExpr:
		return compareFilter(e)
	}
	return nil, invalidFilter("unsupported filter")
}

// valuePathFilter: emails[F] is F on the one e-mail; emails[F].sub op v is
// that and the comparison.
func valuePathFilter(e valuePathExpr) (query.Filter, error) {
	if e.attr != "emails" {
		return nil, invalidFilter("%q is not a multi-valued attribute this service filters on", e.attr)
	}
	inner, err := toQueryFilter(prefixed(e.filter, e.attr+"."))
	if err != nil || e.then == nil {
		return inner, err
	}
	then, err := toQueryFilter(e.then)
	if err != nil {
		return nil, err
	}
	return query.And{Left: inner, Right: then}, nil
}

// prefixed qualifies the sub-attribute paths inside a value filter.
func prefixed(e expr, prefix string) expr {
	switch e := e.(type) {
	case logicExpr:
		return logicExpr{and: e.and, left: prefixed(e.left, prefix), right: prefixed(e.right, prefix)}
	case notExpr:
		return notExpr{inner: prefixed(e.inner, prefix)}
	case presentExpr:
		return presentExpr{path: prefix + e.path}
	case cmpExpr:
		e.path = prefix + e.path
		return e
	}
	return e
}

func presentFilter(path string) (query.Filter, error) {
	switch path {
	case "active", "emails", "name", "meta", "username", "name.givenname", "name.familyname",
		"meta.created", "meta.lastmodified", "meta.resourcetype", "emails.primary", "emails.value", "id":
		return query.Const(true), nil
	}
	a, ok := filterAttrs[path]
	if !ok {
		return nil, invalidFilter("unknown or unsupported attribute %q", path)
	}
	return query.Present{Attr: a.attr}, nil
}

func compareFilter(e cmpExpr) (query.Filter, error) {
	if e.path == "active" {
		return activeFilter(e)
	}
	if v, ok := constAttrs[e.path]; ok {
		match, err := compareConst(v, e)
		return query.Const(match), err
	}
	a, ok := filterAttrs[e.path]
	if !ok {
		return nil, invalidFilter("unknown or unsupported attribute %q", e.path)
	}
	s, ok := e.value.(string)
	if !ok {
		return nil, invalidFilter("%q takes a string value", e.path)
	}
	if a.attr == query.AttrCreated || a.attr == query.AttrUpdated {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil, invalidFilter("%q takes a date-time such as 2026-11-28T18:00:00Z", e.path)
		}
		if e.op == "co" || e.op == "sw" || e.op == "ew" {
			return nil, invalidFilter("%q cannot be compared with %s", e.path, e.op)
		}
		return query.Compare{Attr: a.attr, Op: query.Op(e.op), Value: t}, nil
	}
	return query.Compare{Attr: a.attr, Op: query.Op(e.op), Value: s, IgnoreCase: !a.caseExact}, nil
}

// activeFilter maps the boolean onto the status. Entra's string spelling
// ("True"/"False") is accepted here too.
func activeFilter(e cmpExpr) (query.Filter, error) {
	b, ok := boolValue(e.value)
	if !ok || (e.op != "eq" && e.op != "ne") {
		return nil, invalidFilter(`"active" takes eq or ne and true or false`)
	}
	status := user.StatusDeactivated
	if b {
		status = user.StatusActive
	}
	f := query.Compare{Attr: query.AttrStatus, Op: query.OpEq, Value: string(status)}
	if e.op == "ne" {
		return query.Not{Inner: f}, nil
	}
	return f, nil
}

// compareConst decides "attr op value" for an attribute of known value.
func compareConst(have any, e cmpExpr) (bool, error) {
	switch h := have.(type) {
	case bool:
		b, ok := boolValue(e.value)
		if !ok || (e.op != "eq" && e.op != "ne") {
			return false, invalidFilter("%q takes eq or ne and true or false", e.path)
		}
		return (h == b) == (e.op == "eq"), nil
	case string:
		s, ok := e.value.(string)
		if !ok {
			return false, invalidFilter("%q takes a string value", e.path)
		}
		return compareStrings(strings.ToLower(h), e.op, strings.ToLower(s)), nil
	}
	return false, invalidFilter("%q cannot be compared", e.path)
}

func compareStrings(a, op, b string) bool {
	switch op {
	case "eq":
		return a == b
	case "ne":
		return a != b
	case "co":
		return strings.Contains(a, b)
	case "sw":
		return strings.HasPrefix(a, b)
	case "ew":
		return strings.HasSuffix(a, b)
	case "gt":
		return a > b
	case "ge":
		return a >= b
	case "lt":
		return a < b
	case "le":
		return a <= b
	}
	return false
}

// boolValue accepts a JSON boolean or its spelling as a string in any case
// (Microsoft Entra sends "active": "False").
func boolValue(v any) (bool, bool) {
	switch v := v.(type) {
	case bool:
		return v, true
	case string:
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return false, false
}
