package personaldata

import "strings"

// member is one top-level member of a JSON object: its name (without the
// quotes) and its bytes from the opening quote of the name to the end of
// the value.
type member struct {
	name string
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
	for i < len(data) && data[i] == '"' {
		end := i + 1
		for end < len(data) && data[end] != '"' && data[end] != '\\' {
			end++
		}
		if end >= len(data) || data[end] != '"' {
			return nil, false // an escaped name: let the decoder unquote it
		}
		name := string(data[i+1 : end])
		j := skipSpace(data, end+1)
		if j >= len(data) || data[j] != ':' {
			return nil, false
		}
		v := skipValue(data, skipSpace(data, j+1))
		if v < 0 {
			return nil, false
		}
		members = append(members, member{name: name, raw: data[i:v]})
		i = skipSpace(data, v)
		if i < len(data) && data[i] == ',' {
			i = skipSpace(data, i+1)
			continue
		}
		if i < len(data) && data[i] == '}' {
			return members, skipSpace(data, i+1) == len(data)
		}
		return nil, false
	}
	return nil, false
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
