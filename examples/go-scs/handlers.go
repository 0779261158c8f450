package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"

	"github.com/alexedwards/scs/v2"
	"github.com/gorilla/csrf"
)

// Session keys: the tokens live in scs's store, the cookie holds only the
// session token scs generated.
const (
	keyAccess  = "access_token"
	keyRefresh = "refresh_token"
)

var (
	// errNoSession is a request without a session that holds tokens: no
	// cookie, or one whose session the store does not know.
	errNoSession = errors.New("no session")
	// errRefusedAfterRefresh is the resource answering 401 to the access
	// token the refresh just returned: the session cannot be recovered.
	errRefusedAfterRefresh = errors.New("the backend refused the refreshed access token")
)

// routeKind says how a lost session or a failure is answered: a page
// redirects to /login and renders its errors, an API route answers JSON.
type routeKind int

const (
	pageRoute routeKind = iota
	apiRoute
)

type app struct {
	cfg       config
	sessions  *scs.SessionManager
	backend   *backend
	refresher *refresher
	log       *slog.Logger
}

// routes wires contract.md §2. scs loads the session around every request
// and commits it when the handler first writes; gorilla/csrf checks every
// unsafe method (the login form, the profile update, the logout).
func (a *app) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", a.loginPage)
	mux.HandleFunc("POST /login", a.login)
	mux.HandleFunc("GET /profile", a.profilePage)
	mux.HandleFunc("GET /api/me", a.me)
	mux.HandleFunc("PATCH /api/profile", a.updateProfile)
	mux.HandleFunc("POST /logout", a.logout)

	protect := csrf.Protect(a.cfg.csrfKey,
		csrf.Secure(a.cfg.cookieSecure),
		csrf.Path("/"),
		csrf.SameSite(csrf.SameSiteLaxMode),
		csrf.ErrorHandler(http.HandlerFunc(a.csrfFailed)),
	)
	h := a.sessions.LoadAndSave(protect(noStore(mux)))
	if a.cfg.cookieSecure {
		return h
	}
	// gorilla/csrf takes every request for HTTPS and then insists on a
	// same-origin https Referer or Origin; COOKIE_SECURE=false says the
	// app is served over plain HTTP, which the library must be told.
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, csrf.PlaintextHTTPRequest(r))
	})
}

// noStore marks every answer as one no cache may keep: they carry the
// user's data, or a session cookie (which scs marks no-cache="Set-Cookie"
// only, and which a shared cache must not store either).
func noStore(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

func (a *app) loginPage(w http.ResponseWriter, r *http.Request) {
	a.render(w, http.StatusOK, "login", loginView{CSRFField: csrf.TemplateField(r)})
}

// login takes a JSON body or a form, as contract.md §2 allows.
func (a *app) login(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	form := isForm(r)
	email, password, err := readCredentials(r, form)
	if err != nil {
		a.refuseLogin(w, r, form, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	t, user, err := a.backend.login(ctx, email, password)
	if errors.Is(err, errBadCredentials) {
		a.refuseLogin(w, r, form, http.StatusUnauthorized, "invalid_credentials", "Wrong email or password.")
		return
	}
	if err != nil {
		a.backendFailed(w, r, kindOf(form), err)
		return
	}
	// A new session token at login against session fixation, as scs's
	// README does it.
	if err := a.sessions.RenewToken(ctx); err != nil {
		a.internalError(w, r, err)
		return
	}
	a.putTokens(ctx, t)
	if form {
		http.Redirect(w, r, "/profile", http.StatusSeeOther)
		return
	}
	if len(user) == 0 {
		user = json.RawMessage("null")
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "user": user})
}

func (a *app) refuseLogin(w http.ResponseWriter, r *http.Request, form bool, status int, code, message string) {
	if form {
		a.render(w, status, "login", loginView{CSRFField: csrf.TemplateField(r), Error: message})
		return
	}
	writeJSON(w, status, map[string]any{"success": false, "error": code, "message": message})
}

func (a *app) profilePage(w http.ResponseWriter, r *http.Request) {
	call := resourceCall{method: http.MethodGet, path: "/api/user/me"}
	a.forward(w, r, pageRoute, call, func(resp *response) {
		if resp.status != http.StatusOK {
			a.renderError(w, clientStatus(resp.status), "The backend answered "+http.StatusText(resp.status)+".")
			return
		}
		var me struct {
			Data struct {
				FirstName string `json:"firstName"`
			} `json:"data"`
		}
		if err := json.Unmarshal(resp.body, &me); err != nil {
			a.log.Warn("profile: unreadable /api/user/me answer", "err", err)
			a.renderError(w, http.StatusBadGateway, "The backend's answer could not be read.")
			return
		}
		a.render(w, http.StatusOK, "profile", profileView{FirstName: me.Data.FirstName, CSRFField: csrf.TemplateField(r)})
	})
}

func (a *app) me(w http.ResponseWriter, r *http.Request) {
	a.forward(w, r, apiRoute, resourceCall{method: http.MethodGet, path: "/api/user/me"}, a.relay(w))
}

func (a *app) updateProfile(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		writeJSON(w, http.StatusRequestEntityTooLarge, map[string]any{"success": false, "error": "too_large"})
		return
	}
	call := resourceCall{method: http.MethodPatch, path: "/api/user/profile", contentType: r.Header.Get("Content-Type"), body: body}
	a.forward(w, r, apiRoute, call, a.relay(w))
}

// relay hands the backend's answer to an API client as it came, but for a
// 5xx, which becomes 502: the fault is upstream.
func (a *app) relay(w http.ResponseWriter) func(*response) {
	return func(resp *response) {
		if resp.status >= 500 {
			writeJSON(w, http.StatusBadGateway, map[string]any{"success": false, "error": "backend_error"})
			return
		}
		if resp.contentType != "" {
			w.Header().Set("Content-Type", resp.contentType)
		}
		w.WriteHeader(resp.status)
		_, _ = w.Write(resp.body)
	}
}

// logout ends the session here and at the backend, with the session's
// current refresh token.
func (a *app) logout(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	t, ok := a.sessionTokens(ctx)
	if err := a.sessions.Destroy(ctx); err != nil {
		a.internalError(w, r, err)
		return
	}
	if ok {
		if err := a.backend.logout(context.WithoutCancel(ctx), t.refresh); err != nil {
			a.log.Warn("logout: the backend did not revoke the tokens", "err", err)
		}
	}
	if isForm(r) {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true})
}

// forward makes call for the session, refreshing once on a 401 (see
// callForSession), saves a rotation before anything is written, and hands
// a usable answer to answer. A lost session and a backend failure are
// answered here, as the route's kind wants.
func (a *app) forward(w http.ResponseWriter, r *http.Request, kind routeKind, call resourceCall, answer func(*response)) {
	ctx := r.Context()
	resp, rotated, err := a.callForSession(ctx, call)
	lateSave := rotated != nil && a.cfg.plantedBug == "put-after-write"
	if rotated != nil && !lateSave {
		if err := a.saveRotation(ctx, *rotated); err != nil {
			a.internalError(w, r, err)
			return
		}
	}
	switch {
	case err == nil:
		answer(resp)
	case errors.Is(err, errNoSession), errors.Is(err, errInvalidGrant), errors.Is(err, errRefusedAfterRefresh):
		a.endSession(w, r, kind, err)
	default:
		a.backendFailed(w, r, kind, err)
	}
	if lateSave {
		// PLANTED_BUG=put-after-write: LoadAndSave committed the session
		// at the first write above; this Put reaches no store.
		_ = a.saveRotation(ctx, *rotated)
	}
}

// callForSession calls the resource with the session's access token. On a
// 401 it refreshes once (shared with concurrent requests of the session)
// and retries once with the new token and the same method, body and
// Content-Type. rotated is the pair to save when a refresh succeeded.
func (a *app) callForSession(ctx context.Context, call resourceCall) (resp *response, rotated *tokens, err error) {
	t, ok := a.sessionTokens(ctx)
	if !ok {
		return nil, nil, errNoSession
	}
	resp, err = a.backend.resource(ctx, call, t.access)
	if err != nil || resp.status != http.StatusUnauthorized {
		return resp, nil, err
	}
	fresh, err := a.refresher.refresh(ctx, t.refresh)
	if err != nil {
		return nil, nil, err
	}
	resp, err = a.backend.resource(ctx, call, fresh.access)
	if err == nil && resp.status == http.StatusUnauthorized {
		err = errRefusedAfterRefresh
	}
	return resp, &fresh, err
}

func (a *app) sessionTokens(ctx context.Context) (tokens, bool) {
	t := tokens{access: a.sessions.GetString(ctx, keyAccess), refresh: a.sessions.GetString(ctx, keyRefresh)}
	return t, t.access != "" && t.refresh != ""
}

func (a *app) putTokens(ctx context.Context, t tokens) {
	a.sessions.Put(ctx, keyAccess, t.access)
	a.sessions.Put(ctx, keyRefresh, t.refresh)
}

// saveRotation puts a rotated pair into the session; LoadAndSave commits it
// to the store when the answer is first written. The session token stays:
// a refresh changes no privilege, and a new token would strand the
// session's other requests in flight.
func (a *app) saveRotation(ctx context.Context, t tokens) error {
	if a.cfg.plantedBug == "renew-on-refresh" {
		// PLANTED_BUG=renew-on-refresh: scs deletes the session under the
		// old token, which concurrent requests still carry.
		if err := a.sessions.RenewToken(ctx); err != nil {
			return err
		}
	}
	a.putTokens(ctx, t)
	return nil
}

// endSession destroys the session (the cookie cleared, when the client sent
// one) and sends a page to /login, an API client a 401.
func (a *app) endSession(w http.ResponseWriter, r *http.Request, kind routeKind, why error) {
	if _, err := r.Cookie(a.sessions.Cookie.Name); err == nil {
		if err := a.sessions.Destroy(r.Context()); err != nil {
			a.internalError(w, r, err)
			return
		}
	}
	if !errors.Is(why, errNoSession) {
		a.log.Info("session ended", "path", r.URL.Path, "why", why)
	}
	if kind == pageRoute {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	writeJSON(w, http.StatusUnauthorized, map[string]any{"success": false, "error": "unauthenticated"})
}

// backendFailed answers a failure that says nothing about the session,
// which is kept as it was: 502, 503 (with Retry-After) or 504.
func (a *app) backendFailed(w http.ResponseWriter, r *http.Request, kind routeKind, err error) {
	status := http.StatusBadGateway
	var be *backendError
	if errors.As(err, &be) {
		status = be.status
		if be.retryAfter != "" {
			w.Header().Set("Retry-After", be.retryAfter)
		}
	}
	a.log.Warn("backend failure", "path", r.URL.Path, "status", status, "err", err)
	if kind == pageRoute {
		a.renderError(w, status, "The service is unavailable for a moment. Try again shortly.")
		return
	}
	writeJSON(w, status, map[string]any{"success": false, "error": "backend_unavailable"})
}

func (a *app) csrfFailed(w http.ResponseWriter, r *http.Request) {
	a.log.Warn("CSRF check failed", "path", r.URL.Path, "reason", csrf.FailureReason(r))
	if isForm(r) {
		a.renderError(w, http.StatusForbidden, "The form expired. Load the page again and retry.")
		return
	}
	writeJSON(w, http.StatusForbidden, map[string]any{"success": false, "error": "csrf", "message": csrf.FailureReason(r).Error()})
}

func (a *app) internalError(w http.ResponseWriter, r *http.Request, err error) {
	a.log.Error("internal error", "path", r.URL.Path, "err", err)
	writeJSON(w, http.StatusInternalServerError, map[string]any{"success": false, "error": "internal"})
}

// clientStatus is what a page shows for a resource's answer: its own
// status, but 502 for a 5xx.
func clientStatus(status int) int {
	if status >= 500 {
		return http.StatusBadGateway
	}
	return status
}

func kindOf(form bool) routeKind {
	if form {
		return pageRoute
	}
	return apiRoute
}

func isForm(r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt == "application/x-www-form-urlencoded" || mt == "multipart/form-data"
}

func readCredentials(r *http.Request, form bool) (email, password string, err error) {
	if form {
		email, password = r.PostFormValue("email"), r.PostFormValue("password")
	} else {
		var body struct {
			Email    string `json:"email"`
			Password string `json:"password"`
		}
		dec := json.NewDecoder(io.LimitReader(r.Body, maxBody))
		if err := dec.Decode(&body); err != nil {
			return "", "", errors.New("the body is neither a form nor a JSON object with email and password")
		}
		email, password = body.Email, body.Password
	}
	if strings.TrimSpace(email) == "" || password == "" {
		return "", "", errors.New("email and password are required")
	}
	return email, password, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
