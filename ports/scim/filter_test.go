package scim

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/userservice/userservice/app/query"
)

func TestFilterTranslation(t *testing.T) {
	email := func(op query.Op, v string) query.Compare {
		return query.Compare{Attr: query.AttrEmail, Op: op, Value: v, IgnoreCase: true}
	}
	uname := func(op query.Op, v string) query.Compare {
		return query.Compare{Attr: query.AttrUsername, Op: op, Value: v, IgnoreCase: true}
	}
	active := query.Compare{Attr: query.AttrStatus, Op: query.OpEq, Value: "active"}
	when := time.Date(2026, 11, 28, 18, 0, 0, 0, time.UTC)
	cases := []struct {
		filter string
		want   query.Filter
	}{
		{`userName eq "Ada@X.io"`, uname(query.OpEq, "Ada@X.io")},
		{`USERNAME SW "a"`, uname(query.OpStartsWith, "a")},
		{`urn:ietf:params:scim:schemas:core:2.0:User:userName co "a"`, uname(query.OpContains, "a")},
		{`externalId eq "E"`, query.Compare{Attr: query.AttrExternalID, Op: query.OpEq, Value: "E"}},
		{`active eq true`, active},
		{`active eq "False"`, query.Compare{Attr: query.AttrStatus, Op: query.OpEq, Value: "deactivated"}},
		{`active ne true`, query.Not{Inner: active}},
		{`title pr`, query.Present{Attr: query.AttrTitle}},
		{`active pr`, query.Const(true)},
		{`emails[primary eq true].value eq "a@x.io"`, query.And{Left: query.Const(true), Right: email(query.OpEq, "a@x.io")}},
		{`emails[primary eq false]`, query.Const(false)},
		{`emails[primary eq true and value ew ".io"]`, query.And{Left: query.Const(true), Right: email(query.OpEndsWith, ".io")}},
		{`meta.lastModified ge "2026-11-28T18:00:00Z"`, query.Compare{Attr: query.AttrUpdated, Op: query.OpGe, Value: when}},
		{`a eq "1" or b eq "2"`, nil}, // unknown attributes: error, checked below
		{`userName eq "a" or userName eq "b" and active eq true`,
			query.Or{Left: uname(query.OpEq, "a"), Right: query.And{Left: uname(query.OpEq, "b"), Right: active}}},
		{`not (userName eq "a")`, query.Not{Inner: uname(query.OpEq, "a")}},
		{`((userName eq "a"))`, uname(query.OpEq, "a")},
		{`userName eq "quote \" and \\ backslash"`, uname(query.OpEq, `quote " and \ backslash`)},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "M"`,
			query.Compare{Attr: query.AttrManagerID, Op: query.OpEq, Value: "M", IgnoreCase: true}},
	}
	for _, c := range cases {
		parsed, err := parseFilter(c.filter)
		var got query.Filter
		if err == nil {
			got, err = toQueryFilter(parsed)
		}
		if c.want == nil {
			if err == nil {
				t.Errorf("%s: accepted as %#v", c.filter, got)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s:\n got %#v, %v\nwant %#v", c.filter, got, err, c.want)
		}
	}
}

func TestFilterRejections(t *testing.T) {
	for _, f := range []string{
		``, `userName`, `userName eq`, `userName eq "unterminated`, `userName zz "a"`, `(userName eq "a"`,
		`userName eq "a")`, `not userName eq "a"`, `userName eq "a" and`, `emails[type eq "work"`,
		`userName gt true`, `active co "t"`, `meta.created gt "not a time"`, `meta.created co "2026"`,
		`nickName eq "x"`, `groups[value eq "x"]`, `userName eq 'single'`,
		strings.Repeat("(", maxFilterDepth+2) + `userName eq "a"` + strings.Repeat(")", maxFilterDepth+2),
		`userName eq "` + strings.Repeat("a", maxFilterLen) + `"`,
	} {
		parsed, err := parseFilter(f)
		if err == nil {
			_, err = toQueryFilter(parsed)
		}
		var se *scimError
		if !errors.As(err, &se) || se.status != 400 || se.scimType != "invalidFilter" {
			t.Errorf("%q: %v, want a 400 invalidFilter", f, err)
		}
	}
}

// FuzzParseFilter: no input panics, and every refusal is a 400 invalidFilter.
func FuzzParseFilter(f *testing.F) {
	for _, seed := range []string{`userName eq "a"`, `emails[type eq "work"].value eq "x"`, `not (a pr) or (b eq 1 and c ne null)`,
		`meta.lastModified gt "2026-01-01T00:00:00Z"`, `((((`, `"\u0000"`} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		parsed, err := parseFilter(s)
		if err == nil {
			_, err = toQueryFilter(parsed)
		}
		var se *scimError
		if err != nil && (!errors.As(err, &se) || se.status != 400) {
			t.Fatalf("%q: %v", s, err)
		}
	})
}
