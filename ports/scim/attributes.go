package scim

import (
	"strconv"
	"strings"
)

// Caps of an attributes or excludedAttributes list. The schema has a few
// dozen attribute paths, so a longer list can only be a waste of our time:
// it is refused rather than parsed (RFC 7644 lets a service refuse what it
// will not do).
const (
	maxAttrNames     = 100
	maxAttrListBytes = 8 << 10
)

// requested is a request's attributes or excludedAttributes, parsed once
// for all the resources of the answer.
type requested struct {
	sel     attrSelection
	include bool // attributes (else excludedAttributes, or nothing when sel is nil)
}

// parseRequested parses attributes (when given) or excludedAttributes; a
// list beyond the caps is 400 invalidValue.
func parseRequested(attributes, excluded string) (requested, error) {
	list, include := excluded, false
	if strings.TrimSpace(attributes) != "" {
		list, include = attributes, true
	}
	if strings.TrimSpace(list) == "" {
		return requested{}, nil
	}
	if len(list) > maxAttrListBytes || strings.Count(list, ",") >= maxAttrNames {
		return requested{}, &scimError{status: 400, scimType: "invalidValue", detail: "attributes and excludedAttributes take at most " +
			strconv.Itoa(maxAttrNames) + " names and " + strconv.Itoa(maxAttrListBytes) + " bytes"}
	}
	return requested{sel: parseAttrList(list), include: include}, nil
}

// apply projects one rendered resource.
func (rq requested) apply(res map[string]any) map[string]any {
	switch {
	case rq.sel == nil:
		return res
	case rq.include:
		return include(res, rq.sel)
	}
	return exclude(res, rq.sel)
}

// attrSelection is a parsed attributes or excludedAttributes list: top-level
// attribute (lower case) to its selected sub-attributes (none: the whole).
type attrSelection map[string]map[string]bool

func parseAttrList(list string) attrSelection {
	sel := attrSelection{}
	for _, item := range strings.Split(list, ",") {
		path := canonicalPath(strings.TrimSpace(item))
		if path == "" {
			continue
		}
		top, sub := path, ""
		if strings.HasPrefix(path, enterpriseURNLower) {
			top, sub = enterpriseURNLower, strings.TrimPrefix(strings.TrimPrefix(path, enterpriseURNLower), ":")
		} else if i := strings.IndexByte(path, '.'); i >= 0 {
			top, sub = path[:i], path[i+1:]
		}
		sub, _, _ = strings.Cut(sub, ".")
		if _, seen := sel[top]; !seen {
			sel[top] = map[string]bool{}
		}
		if sub == "" {
			sel[top] = map[string]bool{} // the whole attribute wins over parts of it
			sel[top][""] = true
			continue
		}
		if !sel[top][""] {
			sel[top][sub] = true
		}
	}
	return sel
}

// alwaysReturned are attributes RFC 7643 marks "returned: always".
var alwaysReturned = map[string]bool{"id": true, "schemas": true}

// projectRequested applies attributes (when given) or excludedAttributes
// (RFC 7644 section 3.9) to the one resource of an answer. A list beyond the
// caps is ignored there: the answer is that of a write already done, and
// the whole resource is a correct answer too.
func projectRequested(res map[string]any, attributes, excluded string) map[string]any {
	rq, err := parseRequested(attributes, excluded)
	if err != nil {
		return res
	}
	return rq.apply(res)
}

func include(res map[string]any, sel attrSelection) map[string]any {
	out := map[string]any{}
	for k, v := range res {
		lk := strings.ToLower(k)
		subs, ok := sel[lk]
		switch {
		case alwaysReturned[lk]:
			out[k] = v
		case !ok:
		case subs[""]:
			out[k] = v
		default:
			out[k] = filterSubs(v, func(sub string) bool { return subs[sub] })
		}
	}
	return out
}

func exclude(res map[string]any, sel attrSelection) map[string]any {
	out := map[string]any{}
	for k, v := range res {
		lk := strings.ToLower(k)
		subs, ok := sel[lk]
		switch {
		case alwaysReturned[lk] || !ok:
			out[k] = v
		case subs[""]:
		default:
			out[k] = filterSubs(v, func(sub string) bool { return !subs[sub] })
		}
	}
	return out
}

// filterSubs keeps the sub-attributes of a complex value (or of each
// element of a multi-valued one) for which keep is true.
func filterSubs(v any, keep func(sub string) bool) any {
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, sv := range v {
			if keep(strings.ToLower(k)) {
				out[k] = sv
			}
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, item := range v {
			out[i] = filterSubs(item, keep)
		}
		return out
	}
	return v
}
