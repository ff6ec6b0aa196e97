package scim

import (
	"strconv"
	"strings"
)

// etag is the weak entity tag of a version (meta.version, ETag): W/"3".
func etag(version int) string { return `W/"` + strconv.Itoa(version) + `"` }

// preconditions is a parsed If-Match or If-None-Match header (RFC 7232
// section 3): "*" or a list of entity tags, weak or strong.
type preconditions struct {
	any bool
	// versions are the versions the tags name; a tag this service did not
	// issue names none (it can match no version, which is not an error).
	versions []int
}

// parsePreconditions reads a header value; ok is false when it is not a
// list of entity tags at all (then the request is 400).
func parsePreconditions(header string) (p preconditions, ok bool) {
	s := strings.TrimSpace(header)
	if s == "*" {
		return preconditions{any: true}, true
	}
	for s != "" {
		s = strings.TrimLeft(s, " \t")
		s = strings.TrimPrefix(s, "W/")
		if !strings.HasPrefix(s, `"`) {
			return p, false
		}
		end := strings.IndexByte(s[1:], '"')
		if end < 0 {
			return p, false
		}
		opaque := s[1 : end+1]
		s = strings.TrimLeft(s[end+2:], " \t")
		if s != "" {
			if s[0] != ',' {
				return p, false
			}
			s = s[1:]
		}
		if v, err := strconv.Atoi(opaque); err == nil && v >= 0 && strings.Trim(opaque, "0123456789") == "" {
			p.versions = append(p.versions, v)
		}
	}
	return p, true
}

// matches reports whether the current version satisfies the list. The
// comparison is weak (the opaque tags are equal): SCIM's entity tags are
// weak (RFC 7644 section 3.14), and RFC 7232's strong comparison would make
// every If-Match fail.
func (p preconditions) matches(version int) bool {
	if p.any {
		return true
	}
	for _, v := range p.versions {
		if v == version {
			return true
		}
	}
	return false
}
