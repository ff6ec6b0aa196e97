// Package allow answers which methods a gorilla/mux router accepts for a
// path, for the Allow header RFC 9110 requires on a 405. Both HTTP ports
// (the admin API, SCIM) use it.
package allow

import (
	"net/http"

	"github.com/gorilla/mux"
)

// Methods lists the methods router would accept for r's path.
func Methods(router *mux.Router, r *http.Request) []string {
	var allowed []string
	_ = router.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		methods, err := route.GetMethods()
		if err != nil {
			return nil // a route without a method matcher accepts any method
		}
		for _, m := range methods {
			probe := r.Clone(r.Context())
			probe.Method = m
			var match mux.RouteMatch
			if route.Match(probe, &match) {
				allowed = append(allowed, m)
			}
		}
		return nil
	})
	return allowed
}
