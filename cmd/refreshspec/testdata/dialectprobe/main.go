// Command dialectprobe is the smallest proxy that logs in through a backend
// speaking a dialect.Mapping (given as JSON in DIALECT_MAPPING_JSON), for the
// CLI's tests: it passes the P1 scenarios only if the fake backend that
// `refreshspec proxy` started speaks the profile's dialect. It keeps no
// tokens: its session cookie is random, as an encrypted one looks.
package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"

	"github.com/refreshspec/refreshspec/dialect"
)

func main() {
	m, err := dialect.ParseJSON([]byte(os.Getenv("DIALECT_MAPPING_JSON")))
	if err != nil {
		fmt.Fprintln(os.Stderr, "dialectprobe:", err)
		os.Exit(2)
	}
	backend, secure := os.Getenv("BACKEND_URL"), os.Getenv("COOKIE_SECURE") != "false"
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<form method="post"><input name="email"><input name="password"><button type="submit">Log in</button></form>`)
	})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		var creds struct{ Email, Password string }
		if json.NewDecoder(r.Body).Decode(&creds) != nil {
			http.Error(w, `{"success":false}`, http.StatusBadRequest)
			return
		}
		req, err := m.NewLoginRequest(r.Context(), backend, creds.Email, creds.Password)
		if err != nil {
			http.Error(w, `{"success":false}`, http.StatusInternalServerError)
			return
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, `{"success":false}`, http.StatusBadGateway)
			return
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		w.Header().Set("Content-Type", "application/json")
		if _, err := m.ReadTokens(raw); resp.StatusCode != http.StatusOK || err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"success":false}`)
			return
		}
		session := make([]byte, 48)
		_, _ = rand.Read(session)
		http.SetCookie(w, &http.Cookie{Name: "probe_session", Value: base64.RawURLEncoding.EncodeToString(session),
			Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: secure})
		fmt.Fprint(w, `{"success":true}`)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:"+os.Getenv("PORT"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "dialectprobe:", err)
		os.Exit(1)
	}
	fmt.Fprintln(os.Stderr, "dialectprobe: listening on", ln.Addr())
	_ = http.Serve(ln, mux)
}
