package main

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestSCIMFiltersPagingAndAttributes runs a table of filters (every
// operator, and/or/not, grouping, the attribute paths IdPs use) against five
// users, then paging, attributes/excludedAttributes and POST /.search.
func TestSCIMFiltersPagingAndAttributes(t *testing.T) {
	t.Parallel()
	s := startService(t, "api")
	tn := newSCIMTenant(t, 10)
	people := []struct {
		email, given, family, ext, dept, title string
		active                                 bool
	}{
		{"ada@example.com", "Ada", "Lovelace", "E-1", "Maths", "Countess", true},
		{"grace@example.com", "Grace", "Hopper", "E-2", "Navy", "", true},
		{"alan@example.com", "Alan", "Turing", "E-3", "Maths", "", false},
		{"edsger@example.org", "Edsger", "Dijkstra", "", "Computing", "Professor", true},
		{"barbara@example.org", "Barbara", "Liskov", "e-2", "Computing", "", false},
	}
	ids := map[string]string{}
	for _, p := range people {
		extra := map[string]any{enterpriseURN: map[string]any{"department": p.dept}, "active": p.active}
		if p.ext != "" {
			extra["externalId"] = p.ext
		}
		if p.title != "" {
			extra["title"] = p.title
		}
		ids[p.email] = s.scimCall("POST", "/Users", tn.scim, scimUser(p.email, p.given, p.family, extra)).want(t, 201, "").str("id")
	}
	mark := time.Now().UTC()
	time.Sleep(20 * time.Millisecond) // lastModified after mark, on any clock resolution
	s.scimCall("PATCH", "/Users/"+ids["grace@example.com"], tn.scim,
		patchOp(map[string]any{"op": "replace", "path": "title", "value": "Rear Admiral"})).want(t, 200, "")

	filters := []struct {
		filter string
		want   string // sorted userNames, space-separated
	}{
		{`userName eq "ADA@Example.COM"`, "ada@example.com"}, // caseExact=false
		{`username Eq "ada@example.com"`, "ada@example.com"}, // attribute names and operators are case-insensitive
		{`userName ne "ada@example.com"`, "alan@example.com barbara@example.org edsger@example.org grace@example.com"},
		{`userName co "EXAMPLE.ORG"`, "barbara@example.org edsger@example.org"},
		{`userName sw "a"`, "ada@example.com alan@example.com"},
		{`userName ew ".org"`, "barbara@example.org edsger@example.org"},
		{`externalId eq "E-2"`, "grace@example.com"}, // caseExact=true
		{`externalId eq "e-2"`, "barbara@example.org"},
		{`externalId pr`, "ada@example.com alan@example.com barbara@example.org grace@example.com"},
		{`not (externalId pr)`, "edsger@example.org"},
		{`active eq false`, "alan@example.com barbara@example.org"}, // inactive users are found, not hidden
		{`active eq "False"`, "alan@example.com barbara@example.org"},
		{`active ne true`, "alan@example.com barbara@example.org"},
		{`emails[type eq "work"].value eq "Grace@example.com"`, "grace@example.com"},
		{`emails[type eq "work" and value co "grace"]`, "grace@example.com"},
		{`emails[type eq "home"].value eq "grace@example.com"`, ""},
		{`emails.value sw "ed"`, "edsger@example.org"},
		{`name.familyName gt "M"`, "alan@example.com"},
		{`name.familyName ge "Lovelace"`, "ada@example.com alan@example.com"},
		{`name.familyName lt "H"`, "edsger@example.org"},
		{`name.familyName le "hopper"`, "edsger@example.org grace@example.com"},
		{`name.givenName co "a" and name.givenName ew "a"`, "ada@example.com barbara@example.org"},
		{`(userName sw "a" or userName sw "g") and active eq true`, "ada@example.com grace@example.com"},
		{`userName sw "a" or userName sw "g" and active eq false`, "ada@example.com alan@example.com"}, // and binds tighter
		{`not (userName sw "a" or active eq false)`, "edsger@example.org grace@example.com"},
		{`` + enterpriseURN + `:department eq "maths"`, "ada@example.com alan@example.com"},
		{`title pr and not (title eq "Countess")`, "edsger@example.org grace@example.com"},
		{`meta.lastModified gt "` + mark.Format(time.RFC3339Nano) + `"`, "grace@example.com"},
		{`meta.created lt "` + mark.Format(time.RFC3339Nano) + `" and userName eq "ada@example.com"`, "ada@example.com"},
		{`meta.resourceType eq "User" and id eq "` + ids["alan@example.com"] + `"`, "alan@example.com"},
		{`id eq "not-a-uuid"`, ""},
		{`userName eq "x' OR '1'='1" or displayName co "%"`, ""}, // values are bind parameters, never SQL
		{`userName co "_"`, ""},
	}
	for _, f := range filters {
		r := s.scimCall("GET", "/Users?filter="+url.QueryEscape(f.filter), tn.scim, nil).want(t, 200, "")
		if got := strings.Join(r.userNames(), " "); got != f.want {
			t.Errorf("filter %s: got [%s], want [%s]", f.filter, got, f.want)
		}
		if int(r.body["totalResults"].(float64)) != len(r.userNames()) {
			t.Errorf("filter %s: totalResults %v", f.filter, r.body["totalResults"])
		}
	}
	for _, bad := range []string{`userName xx "a"`, `nickName eq "a"`, `userName eq`, `(userName eq "a"`,
		`meta.lastModified gt "yesterday"`, `active gt true`, `userName eq "a" and`, `phoneNumbers[type eq "work"].value eq "1"`,
		strings.Repeat("(", 40) + `userName eq "a"` + strings.Repeat(")", 40)} {
		s.scimCall("GET", "/Users?filter="+url.QueryEscape(bad), tn.scim, nil).want(t, 400, "invalidFilter")
	}

	// Paging: a stable order (creation), 1-based startIndex, totals.
	var paged []string
	for start := 1; start <= 5; start += 2 {
		r := s.scimCall("GET", fmt.Sprintf("/Users?startIndex=%d&count=2", start), tn.scim, nil).want(t, 200, "")
		if r.body["totalResults"].(float64) != 5 || int(r.body["startIndex"].(float64)) != start {
			t.Fatalf("page at %d: %s", start, r.raw)
		}
		for _, res := range r.body["Resources"].([]any) {
			paged = append(paged, res.(map[string]any)["userName"].(string))
		}
	}
	var created []string
	for _, p := range people {
		created = append(created, p.email)
	}
	if strings.Join(paged, " ") != strings.Join(created, " ") {
		t.Fatalf("pages %v, want creation order %v", paged, created)
	}
	if r := s.scimCall("GET", "/Users?startIndex=0&count=0", tn.scim, nil).want(t, 200, ""); r.body["totalResults"].(float64) != 5 ||
		len(r.body["Resources"].([]any)) != 0 || r.body["startIndex"].(float64) != 1 {
		t.Fatalf("count=0: %s", r.raw)
	}
	if r := s.scimCall("GET", "/Users?startIndex=9", tn.scim, nil).want(t, 200, ""); len(r.body["Resources"].([]any)) != 0 {
		t.Fatalf("past the end: %s", r.raw)
	}
	s.scimCall("GET", "/Users?count=many", tn.scim, nil).want(t, 400, "invalidValue")

	// attributes and excludedAttributes.
	only := s.scimCall("GET", "/Users/"+ids["ada@example.com"]+"?attributes=userName,name.familyName,"+url.QueryEscape(enterpriseURN+":department"),
		tn.scim, nil).want(t, 200, "")
	if only.str("id") == "" || only.str("userName") != "ada@example.com" || only.str("name|familyName") != "Lovelace" ||
		only.get("name|givenName") != nil || only.get("emails") != nil || only.get("meta") != nil ||
		only.str(enterpriseURN+"|department") != "Maths" || only.get("schemas") == nil {
		t.Fatalf("attributes: %s", only.raw)
	}
	without := s.scimCall("GET", "/Users?filter="+url.QueryEscape(`userName eq "ada@example.com"`)+"&excludedAttributes=emails,name.givenName,id",
		tn.scim, nil).want(t, 200, "")
	res := without.body["Resources"].([]any)[0].(map[string]any)
	name, _ := res["name"].(map[string]any)
	if res["emails"] != nil || name["givenName"] != nil || name["familyName"] != "Lovelace" || res["id"] == nil {
		t.Fatalf("excludedAttributes: %s", without.raw)
	}

	// POST /Users/.search takes the same in a body.
	search := s.scimCall("POST", "/Users/.search", tn.scim, map[string]any{
		"schemas": []any{"urn:ietf:params:scim:api:messages:2.0:SearchRequest"},
		"filter":  `active eq true`, "startIndex": 2, "count": 1, "attributes": []any{"userName"},
	}).want(t, 200, "")
	if search.body["totalResults"].(float64) != 3 || strings.Join(search.userNames(), " ") != "grace@example.com" {
		t.Fatalf(".search: %s", search.raw)
	}
	s.scimCall("POST", "/Users/.search", tn.scim, map[string]any{"filter": `userName zz "x"`}).want(t, 400, "invalidFilter")
}
