package main

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// TestSCIMBulkOperationsCountAgainstTheRateLimit sends one Bulk request of
// 20 creates with a token allowed a burst of 5 requests: the request and its
// operations share that budget, so 5 operations run and the other 15 are
// answered 429 inside the BulkResponse without running (a Bulk request used
// to count once whatever its size).
func TestSCIMBulkOperationsCountAgainstTheRateLimit(t *testing.T) {
	t.Parallel()
	s := startService(t, "api", "API_RATE_LIMIT", "0.01", "API_RATE_BURST", "5")
	tn := newSCIMTenant(t, 50)
	ops := make([]any, 20)
	for i := range ops {
		ops[i] = map[string]any{"method": "POST", "bulkId": "u" + strconv.Itoa(i), "path": "/Users", "data": map[string]any{
			"schemas": []string{coreURN}, "userName": "bulk-rate-" + strconv.Itoa(i) + "@example.com",
			"name": map[string]any{"givenName": "Bulk", "familyName": "Rate"}}}
	}
	r := s.scimCall("POST", "/Bulk", tn.scim, map[string]any{
		"schemas": []any{"urn:ietf:params:scim:api:messages:2.0:BulkRequest"}, "Operations": ops}).want(t, 200, "")
	statuses := map[string]int{}
	for _, op := range r.body["Operations"].([]any) {
		st, _ := op.(map[string]any)["status"].(string)
		statuses[st]++
	}
	if statuses["201"] != 5 || statuses["429"] != 15 {
		t.Errorf("operation statuses %v, want 5 created and 15 refused 429", statuses)
	}
	list := s.scimCall("GET", "/Users?filter="+url.QueryEscape(`userName sw "bulk-rate-"`), tn.admin, nil)
	if list.status == http.StatusTooManyRequests {
		return // the budget is spent, as it should be; the statuses above said what ran
	}
	if n, _ := list.body["totalResults"].(float64); n != 5 {
		t.Errorf("%v users created, want 5", list.body["totalResults"])
	}
}

// TestSCIMAttributeListsAreCapped asks for pages with attribute lists far
// beyond any schema's size: refused 400 before any work, instead of parsed
// again for each of up to 1,000 resources.
func TestSCIMAttributeListsAreCapped(t *testing.T) {
	t.Parallel()
	s := startService(t, "api")
	tn := newSCIMTenant(t, 5)
	names := strings.Repeat("name.givenName,", 2000) + "userName"
	s.scimCall("GET", "/Users?attributes="+url.QueryEscape(names), tn.scim, nil).want(t, 400, "invalidValue")
	list := make([]string, 5000)
	for i := range list {
		list[i] = "urn:x:" + strconv.Itoa(i)
	}
	s.scimCall("POST", "/Users/.search", tn.scim, map[string]any{
		"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:SearchRequest"}, "excludedAttributes": list,
	}).want(t, 400, "invalidValue")
	// An ordinary list still works.
	s.scimCall("GET", "/Users?attributes=userName,name.givenName", tn.scim, nil).want(t, 200, "")
}
