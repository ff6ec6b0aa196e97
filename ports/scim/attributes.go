package scim

import "strings"

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
// (RFC 7644 section 3.9) to a rendered resource.
func projectRequested(res map[string]any, attributes, excluded string) map[string]any {
	switch {
	case strings.TrimSpace(attributes) != "":
		return include(res, parseAttrList(attributes))
	case strings.TrimSpace(excluded) != "":
		return exclude(res, parseAttrList(excluded))
	}
	return res
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
