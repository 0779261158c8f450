package fakebackend

import (
	"encoding/json"
	"net/http"
	"path"

	"github.com/refreshspec/refreshspec/fakebackend/control"
)

// writeJSON answers status with v as JSON, for the control API (the API's
// answers are shaped by the mapping: see shape). Marshalling the types of
// this package cannot fail, so an error here is a bug worth a plain 500.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, `{"success":false,"error":"server_error","message":"encoding the answer failed"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// cleanPathsOnly sends requests whose path ServeMux would redirect (such as
// "/auth//login" or "/a/../auth/login") and "*" to notFound, so that every
// answer stays JSON.
func cleanPathsOnly(mux http.Handler, notFound http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if r.RequestURI == "*" || r.Method == http.MethodConnect || p == "" || p[0] != '/' || path.Clean(p) != p {
			notFound.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func writeControlError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, control.Error{Success: false, Code: code, Message: message})
}

func controlNotFound(w http.ResponseWriter, r *http.Request) {
	writeControlError(w, http.StatusNotFound, "not_found", "no control route "+r.Method+" "+r.URL.Path)
}

func controlMethodNotAllowed(w http.ResponseWriter, r *http.Request) {
	writeControlError(w, http.StatusMethodNotAllowed, "method_not_allowed", r.Method+" is not allowed on "+r.URL.Path)
}
