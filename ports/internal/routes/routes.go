// Package routes lists what a gorilla/mux router serves, for the ports'
// Routes functions: tests that must cover every route (roles, tenant
// isolation, documentation) enumerate the router instead of a hand-kept list
// that a new route could slip past.
package routes

import (
	"fmt"

	"github.com/gorilla/mux"
)

// Route is one method and path template a router serves.
type Route struct {
	Method string
	Path   string
}

// String is "METHOD /path/{template}".
func (r Route) String() string { return r.Method + " " + r.Path }

// List walks the router. Every route must name its methods: one that accepts
// any method could not be listed, so it is an error.
func List(router *mux.Router) ([]Route, error) {
	var list []Route
	err := router.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		if route.GetHandler() == nil {
			return nil // a PathPrefix holding a subrouter: Walk visits its routes next
		}
		path, err := route.GetPathTemplate()
		if err != nil {
			return err
		}
		methods, err := route.GetMethods()
		if err != nil {
			return fmt.Errorf("route %s: every route must name its methods: %w", path, err)
		}
		for _, m := range methods {
			list = append(list, Route{Method: m, Path: path})
		}
		return nil
	})
	return list, err
}
