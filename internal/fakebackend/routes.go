package fakebackend

import (
	"net/http"
	"strings"

	"github.com/refreshspec/refreshspec/dialect"

	"github.com/refreshspec/refreshspec/fakebackend/control"
)

// apiRoutes is the whole surface of contract.md §1, at the routes of the
// server's mapping: in the json dialect one route per role; in the oauth2
// dialect the token endpoint for login and refresh, and the revocation
// endpoint for logout. A path registered without a method catches the
// other methods, so that they get a JSON 405 instead of ServeMux's text
// one; "/" catches every unknown path with a JSON 404.
func (s *Server) apiRoutes() http.Handler {
	m := &s.wire.m
	mux := http.NewServeMux()
	if s.wire.oauth2 {
		mux.Handle(pattern(m.Refresh), s.serve(tokenRole, tokenEndpoint))
		mux.Handle(pattern(m.Logout), s.route(control.RouteLogout, revoke))
	} else {
		mux.Handle(pattern(m.Login), s.route(control.RouteLogin, login))
		mux.Handle(pattern(m.Refresh), s.route(control.RouteRefresh, refresh))
		mux.Handle(pattern(m.Logout), s.route(control.RouteLogout, logout))
	}
	mux.Handle(pattern(m.Me), s.route(control.RouteMe, me))
	mux.Handle(pattern(m.Profile), s.route(control.RouteProfile, profile))
	for p := range s.wire.allow {
		mux.Handle(exactPath(p), s.route(control.RouteOther, methodNotAllowed))
	}
	mux.Handle("/", s.route(control.RouteOther, notFound))
	return cleanPathsOnly(mux, s.route(control.RouteOther, notFound))
}

// apiRouteList is every role of contract.md §1: what faults can be queued for.
var apiRouteList = []control.Route{
	control.RouteLogin, control.RouteRefresh, control.RouteLogout, control.RouteMe, control.RouteProfile,
}

// pattern is e's ServeMux pattern, matching its path exactly.
func pattern(e dialect.Endpoint) string { return e.Method + " " + exactPath(e.Path) }

// exactPath keeps a path that ends in / from matching everything under it.
func exactPath(p string) string {
	if strings.HasSuffix(p, "/") {
		return p + "{$}"
	}
	return p
}

// controlRoutes is the control API that fakebackend/control's Client calls.
func (s *Server) controlRoutes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+control.PathHealth, s.healthz)
	mux.HandleFunc("POST "+control.PathReset, s.controlReset)
	mux.HandleFunc("GET "+control.PathSettings, s.controlSettings)
	mux.HandleFunc("PATCH "+control.PathSettings, s.controlUpdateSettings)
	mux.HandleFunc("GET "+control.PathClock, s.controlClock)
	mux.HandleFunc("POST "+control.PathAdvance, s.controlAdvance)
	mux.HandleFunc("POST "+control.PathExpire, s.controlExpire)
	mux.HandleFunc("POST "+control.PathRevoke, s.controlRevoke)
	mux.HandleFunc("POST "+control.PathFaults, s.controlQueueFault)
	mux.HandleFunc("DELETE "+control.PathFaults, s.controlClearFaults)
	mux.HandleFunc("GET "+control.PathJournal, s.controlJournal)
	mux.HandleFunc("GET "+control.PathTokens, s.controlTokens)
	mux.HandleFunc("GET "+control.PathCounts, s.controlCounts)
	mux.HandleFunc("GET "+control.PathStats, s.controlStats)
	mux.HandleFunc("POST "+control.PathSweep, s.controlSweep)
	for _, path := range []string{
		control.PathHealth, control.PathReset, control.PathSettings, control.PathClock, control.PathAdvance,
		control.PathExpire, control.PathRevoke, control.PathFaults, control.PathJournal, control.PathTokens,
		control.PathCounts, control.PathStats, control.PathSweep,
	} {
		mux.HandleFunc(path, controlMethodNotAllowed)
	}
	mux.HandleFunc("/", controlNotFound)
	return cleanPathsOnly(mux, http.HandlerFunc(controlNotFound))
}
