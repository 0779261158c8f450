package fakebackend

import (
	"net/http"

	"github.com/refreshspec/refreshspec/fakebackend/control"
)

// apiRoutes is the whole surface of contract.md §1. A path registered
// without a method catches the other methods, so that they get a JSON 405
// instead of ServeMux's text one; "/" catches every unknown path with a
// JSON 404.
func (s *Server) apiRoutes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /auth/login", s.route(control.RouteLogin, login))
	mux.Handle("POST /auth/refresh", s.route(control.RouteRefresh, refresh))
	mux.Handle("POST /auth/logout", s.route(control.RouteLogout, logout))
	mux.Handle("GET /api/user/me", s.route(control.RouteMe, me))
	mux.Handle("PATCH /api/user/profile", s.route(control.RouteProfile, profile))
	for _, r := range apiRouteList {
		mux.Handle(routePath(r), s.route(control.RouteOther, methodNotAllowed))
	}
	mux.Handle("/", s.route(control.RouteOther, notFound))
	return cleanPathsOnly(mux, s.route(control.RouteOther, notFound))
}

// apiRouteList is every route of contract.md §1, for the 405 catch-alls and
// their Allow header.
var apiRouteList = []control.Route{
	control.RouteLogin, control.RouteRefresh, control.RouteLogout, control.RouteMe, control.RouteProfile,
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
