package personaldata

import "strings"

// member is one top-level member of a JSON object: its name (without the
// quotes) and its bytes from the opening quote of the name to the end of
// the value.
type member struct {
	name []byte // not a string: a registration has a dozen members, and Seal compares names only
	raw  []byte
}

// topLevelMembers splits a JSON object into its members without decoding
// them: Seal moves raw bytes, so a sealed event costs one pass over its data
// instead of a decode into a map and two encodes (the import's importer
// spent a sixth of its CPU there). ok is false for what it does not take
// (not an object, a name with escapes, a trailing byte): callers then use
// the decoding path. The data must be valid JSON (json.Valid).
func topLevelMembers(data []byte) (members []member, ok bool) {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return nil, false
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return nil, skipSpace(data, i+1) == len(data)
	}
	members = make([]member, 0, 16)
	for {
		m, next, ok := readMember(data, i)
		if !ok {
			return nil, false
		}
		members = append(members, m)
		if i = skipSpace(data, next); i >= len(data) {
			return nil, false
		}
		switch data[i] {
		case ',':
			i = skipSpace(data, i+1)
		case '}':
			return members, skipSpace(data, i+1) == len(data)
		default:
			return nil, false
		}
	}
}

// readMember reads the member whose name opens at i, and returns the index
// just past its value.
func readMember(data []byte, i int) (member, int, bool) {
	if i >= len(data) || data[i] != '"' {
		return member{}, 0, false
	}
	end := i + 1
	for end < len(data) && data[end] != '"' && data[end] != '\\' {
		end++
	}
	if end >= len(data) || data[end] != '"' {
		return member{}, 0, false // an escaped name: let the decoder unquote it
	}
	colon := skipSpace(data, end+1)
	if colon >= len(data) || data[colon] != ':' {
		return member{}, 0, false
	}
	v := skipValue(data, skipSpace(data, colon+1))
	if v < 0 {
		return member{}, 0, false
	}
	return member{name: data[i+1 : end], raw: data[i:v]}, v, true
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && strings.IndexByte(" \t\r\n", data[i]) >= 0 {
		i++
	}
	return i
}

// skipValue returns the index just past the JSON value at i (-1: none).
func skipValue(data []byte, i int) int {
	if i >= len(data) {
		return -1
	}
	switch data[i] {
	case '"':
		return skipString(data, i)
	case '{', '[':
		return skipContainer(data, i)
	default: // a number, true, false or null
		end := i
		for end < len(data) && strings.IndexByte(",}] \t\r\n", data[end]) < 0 {
			end++
		}
		if end == i {
			return -1
		}
		return end
	}
}

// skipContainer returns the index just past the object or array at i (-1:
// none), stepping over the strings inside, whose brackets do not count.
func skipContainer(data []byte, i int) int {
	depth := 0
	for ; i < len(data); i++ {
		switch data[i] {
		case '"':
			end := skipString(data, i)
			if end < 0 {
				return -1
			}
			i = end - 1
		case '{', '[':
			depth++
		case '}', ']':
			if depth--; depth == 0 {
				return i + 1
			}
		}
	}
	return -1
}

// skipString returns the index just past the string starting at i (-1: none).
func skipString(data []byte, i int) int {
	for i++; i < len(data); i++ {
		switch data[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return -1
}
