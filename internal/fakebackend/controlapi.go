package fakebackend

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/refreshspec/refreshspec/dialect"
	"github.com/refreshspec/refreshspec/fakebackend/control"
)

// decodeControl reads the JSON body of a control request strictly: unknown
// fields are errors, so that a typo in a test does not pass silently. An
// empty body leaves dst as it is when allowEmpty.
func decodeControl(w http.ResponseWriter, r *http.Request, dst any, allowEmpty bool) bool {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
	switch {
	case err != nil:
		writeControlError(w, http.StatusBadRequest, "invalid_request", "reading the body: "+err.Error())
		return false
	case len(body) > maxRequestBody:
		writeControlError(w, http.StatusRequestEntityTooLarge, "too_large", "the body is over 1 MiB")
		return false
	case len(bytes.TrimSpace(body)) == 0:
		if allowEmpty {
			return true
		}
		writeControlError(w, http.StatusBadRequest, "invalid_request", "the body is empty")
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		writeControlError(w, http.StatusBadRequest, "invalid_request", "decoding the body: "+err.Error())
		return false
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		writeControlError(w, http.StatusBadRequest, "invalid_request", "the body has data after the JSON value")
		return false
	}
	return true
}

type okBody struct {
	Success bool   `json:"success"`
	Status  string `json:"status,omitempty"`
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, okBody{Success: true, Status: "ok"})
}

// controlReset brings the backend back to how it started: settings, users,
// clock, store, journal, counts, faults and rate-limit counters.
func (s *Server) controlReset(w http.ResponseWriter, r *http.Request) {
	if !decodeControl(w, r, &struct{}{}, true) {
		return
	}
	s.mu.Lock()
	s.st = newState(s.cfg)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, okBody{Success: true})
}

func (s *Server) controlSettings(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	set := s.st.settings
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, set)
}

func (s *Server) controlUpdateSettings(w http.ResponseWriter, r *http.Request) {
	var p settingsPatch
	if !decodeControl(w, r, &p, false) {
		return
	}
	s.mu.Lock()
	set, err := applyPatch(s.st.settings, p)
	if err == nil {
		s.st.settings = set
	}
	s.mu.Unlock()
	if err != nil {
		writeControlError(w, http.StatusBadRequest, "invalid_settings", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, set)
}

// applyPatch returns set changed by p, or why p is not acceptable.
func applyPatch(set settings, p settingsPatch) (settings, error) {
	if p.AccessTTL != nil {
		if *p.AccessTTL <= 0 {
			return set, errors.New("access_ttl must be positive")
		}
		set.AccessTTL = *p.AccessTTL
	}
	if p.RefreshTTL != nil {
		if *p.RefreshTTL <= 0 {
			return set, errors.New("refresh_ttl must be positive")
		}
		set.RefreshTTL = *p.RefreshTTL
	}
	if p.Rotation != nil {
		if err := checkRules(*p.Rotation); err != nil {
			return set, err
		}
		set.Rotation = *p.Rotation
		set.mirrorGrace()
	}
	if p.GraceWindow != nil {
		if *p.GraceWindow < 0 {
			return set, errors.New("grace_window must not be negative")
		}
		set.Rotation.GracePeriod = dialect.Grace(*p.GraceWindow)
		set.mirrorGrace()
	}
	if p.RateLimit != nil {
		rl := *p.RateLimit
		if rl.PerFamily <= 0 || rl.PerAddress <= 0 || rl.Window <= 0 {
			return set, errors.New("rate_limit needs positive per_family, per_address and window")
		}
		set.RateLimit = rl
	}
	if p.Breaks != nil {
		breaks := []Break{}
		for _, b := range *p.Breaks {
			if !knownBreak(b) {
				return set, fmt.Errorf("unknown break %q (known: %s)", b, breakNames())
			}
			breaks = append(breaks, b)
		}
		set.Breaks = breaks
	}
	return set, nil
}

func (s *Server) clock() control.Clock {
	return control.Clock{Now: s.now(), Offset: control.Duration(s.st.offset)}
}

func (s *Server) controlClock(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	k := s.clock()
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, k)
}

func (s *Server) controlAdvance(w http.ResponseWriter, r *http.Request) {
	var req control.AdvanceRequest
	if !decodeControl(w, r, &req, false) {
		return
	}
	if req.By < 0 {
		writeControlError(w, http.StatusBadRequest, "invalid_request", "the clock only moves forward: by must not be negative")
		return
	}
	s.mu.Lock()
	s.st.offset += req.By.Std()
	k := s.clock()
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, k)
}

// controlExpire ends now the life of the access or refresh tokens of one
// family, or of all, as if their time had come; it counts the tokens that
// were active until then.
func (s *Server) controlExpire(w http.ResponseWriter, r *http.Request) {
	var req control.ExpireRequest
	if !decodeControl(w, r, &req, false) {
		return
	}
	if req.Kind != control.Access && req.Kind != control.Refresh {
		writeControlError(w, http.StatusBadRequest, "invalid_request", `kind must be "access" or "refresh"`)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	var families []*family
	if req.Family == "" {
		for _, f := range s.st.families {
			families = append(families, f)
		}
	} else if f := s.st.families[req.Family]; f != nil {
		families = []*family{f}
	} else {
		writeControlError(w, http.StatusNotFound, "unknown_family", "no family "+req.Family)
		return
	}
	n := 0
	for _, f := range families {
		for _, t := range f.tokens {
			if t.kind == req.Kind && !t.expired(now) {
				if t.state(now) == control.StateActive {
					n++ // what stops working; used and revoked tokens expire too
				}
				t.expiresAt = now
			}
		}
	}
	writeJSON(w, http.StatusOK, control.Affected{Tokens: n})
}

func (s *Server) controlRevoke(w http.ResponseWriter, r *http.Request) {
	var req control.RevokeRequest
	if !decodeControl(w, r, &req, false) {
		return
	}
	if req.Family == "" {
		writeControlError(w, http.StatusBadRequest, "invalid_request", "family is required")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.st.families[req.Family]
	if f == nil {
		writeControlError(w, http.StatusNotFound, "unknown_family", "no family "+req.Family)
		return
	}
	writeJSON(w, http.StatusOK, control.Affected{Tokens: s.st.revoke(f, s.now())})
}

// validateFault fills the defaults of f and says what is wrong with it.
func validateFault(f *control.Fault) error {
	known := false
	for _, r := range apiRouteList {
		known = known || r == f.Route
	}
	if !known {
		return fmt.Errorf("unknown route %q", f.Route)
	}
	if f.Count == 0 {
		f.Count = 1
	}
	if f.Count < 0 {
		return errors.New("count must not be negative")
	}
	switch f.Kind {
	case control.FaultStatus:
		if f.Body == "" {
			f.Body = control.BodyJSON
		}
		if f.Body != control.BodyJSON && f.Body != control.BodyHTML && f.Body != control.BodyTruncated && !isBrokenSuccess(f.Body) {
			return fmt.Errorf("unknown body %q", f.Body)
		}
		if f.Status != 0 && (f.Status < 200 || f.Status > 599) {
			return fmt.Errorf("status %d is not between 200 and 599", f.Status)
		}
	case control.FaultDelay:
		if f.Delay <= 0 {
			return errors.New("a delay fault needs a positive delay")
		}
	case control.FaultDrop:
	default:
		return fmt.Errorf("unknown kind %q", f.Kind)
	}
	return nil
}

func (s *Server) controlQueueFault(w http.ResponseWriter, r *http.Request) {
	var f control.Fault
	if !decodeControl(w, r, &f, false) {
		return
	}
	if err := validateFault(&f); err != nil {
		writeControlError(w, http.StatusBadRequest, "invalid_fault", err.Error())
		return
	}
	s.mu.Lock()
	queued := f
	s.st.faults[f.Route] = append(s.st.faults[f.Route], &queued)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, f)
}

func (s *Server) controlClearFaults(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	clear(s.st.faults)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, okBody{Success: true})
}

func (s *Server) controlJournal(w http.ResponseWriter, r *http.Request) {
	since := 0
	if v := r.URL.Query().Get("since"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			writeControlError(w, http.StatusBadRequest, "invalid_request", "since must be a number, 0 or more")
			return
		}
		since = n
	}
	s.mu.Lock()
	es := s.st.journalSince(since)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, es)
}

func (s *Server) controlTokens(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	now := s.now()
	ts := make([]control.Token, len(s.st.issued))
	for i, t := range s.st.issued {
		ts[i] = t.wire(now)
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, ts)
}

func (s *Server) controlCounts(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	cs := make(control.Counts, len(s.st.counts))
	for route, byOutcome := range s.st.counts {
		m := make(map[control.Outcome]int, len(byOutcome))
		for o, n := range byOutcome {
			m[o] = n
		}
		cs[route] = m
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, cs)
}

func (s *Server) controlStats(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	st := s.st.stats(s.now())
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) controlSweep(w http.ResponseWriter, r *http.Request) {
	if !decodeControl(w, r, &struct{}{}, true) {
		return
	}
	s.mu.Lock()
	now := s.now()
	s.st.sweep(now)
	st := s.st.stats(now)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, st)
}
