package control_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/fakebackend"
)

func startBackend(t *testing.T) *fakebackend.Running {
	t.Helper()
	run, err := fakebackend.Start(context.Background(), fakebackend.Config{}, fakebackend.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = run.Close(context.Background()) })
	return run
}

// TestErrorCarriesStatusAndCode is what a caller of the client relies on:
// a refused call is an *Error whose status and code can be branched on, and
// whose message names the call.
func TestErrorCarriesStatusAndCode(t *testing.T) {
	run := startBackend(t)
	ctx := context.Background()
	negative := control.Duration(-time.Second)
	cases := []struct {
		name               string
		call               func() error
		status             int
		code, method, path string
		message            string
	}{
		{"unknown family", func() error { _, err := run.Control.Revoke(ctx, "f-404"); return err },
			http.StatusNotFound, "unknown_family", http.MethodPost, control.PathRevoke,
			"control: POST /control/revoke: 404 unknown_family: no family f-404"},
		{"bad settings", func() error {
			_, err := run.Control.UpdateSettings(ctx, control.SettingsPatch{GraceWindow: &negative})
			return err
		}, http.StatusBadRequest, "invalid_settings", http.MethodPatch, control.PathSettings,
			"control: PATCH /control/settings: 400 invalid_settings: grace_window must not be negative"},
		{"bad fault", func() error {
			return run.Control.QueueFault(ctx, control.Fault{Route: "GET /nowhere", Kind: control.FaultDrop})
		},
			http.StatusBadRequest, "invalid_fault", http.MethodPost, control.PathFaults, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.call()
			var ce *control.Error
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v (%T), want a *control.Error", err, err)
			}
			if ce.Status != c.status || ce.Code != c.code || ce.Method != c.method || ce.Path != c.path || ce.Success {
				t.Errorf("got status %d code %q call %s %s success %v, want %d %q %s %s false",
					ce.Status, ce.Code, ce.Method, ce.Path, ce.Success, c.status, c.code, c.method, c.path)
			}
			if ce.Message == "" {
				t.Error("the API's message was lost")
			}
			if c.message != "" && err.Error() != c.message {
				t.Errorf("Error() = %q, want %q", err.Error(), c.message)
			}
			if !strings.HasPrefix(err.Error(), "control: ") {
				t.Errorf("Error() = %q, want the package prefix", err.Error())
			}
		})
	}
}

// TestErrorFromAnAnswerThatIsNotTheAPIs covers a control URL that reaches
// something else (a proxy's error page): the status still comes through.
func TestErrorFromAnAnswerThatIsNotTheAPIs(t *testing.T) {
	page := "<html>" + strings.Repeat("bad gateway ", 50) + "</html>"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, page, http.StatusBadGateway)
	}))
	defer srv.Close()
	err := control.New(srv.URL, nil).Reset(context.Background())
	var ce *control.Error
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v (%T), want a *control.Error", err, err)
	}
	if ce.Status != http.StatusBadGateway || ce.Code != "" || ce.Path != control.PathReset {
		t.Errorf("got status %d code %q path %q, want 502, no code, %s", ce.Status, ce.Code, ce.Path, control.PathReset)
	}
	if !strings.HasPrefix(ce.Message, "<html>bad gateway") || len(ce.Message) > 210 {
		t.Errorf("message = %q, want the start of the body, cut to about 200 bytes", ce.Message)
	}
	if want := "control: POST /control/reset: 502: <html>bad gateway"; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("Error() = %q, want it to start with %q", err.Error(), want)
	}
}

// TestTransportErrorsStayWrapped: a call that got no answer is not an
// *Error, and the cause stays reachable with errors.Is and errors.As.
func TestTransportErrorsStayWrapped(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close() // nothing listens there now: the dial is refused

	err = control.New("http://"+addr, nil).Healthy(context.Background())
	var ce *control.Error
	var oe *net.OpError
	if err == nil || errors.As(err, &ce) || !errors.As(err, &oe) {
		t.Errorf("refused connection: err = %v (%T), want a wrapped *net.OpError and no *control.Error", err, err)
	}
	if err != nil && !strings.HasPrefix(err.Error(), "control: GET /healthz: ") {
		t.Errorf("Error() = %q, want the prefix and the call", err.Error())
	}

	run := startBackend(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := run.Control.Reset(ctx); !errors.Is(err, context.Canceled) || errors.As(err, &ce) {
		t.Errorf("cancelled context: err = %v, want context.Canceled and no *control.Error", err)
	}
}

// TestErrorWireFormat: the fields the client fills in never reach the wire,
// so the control API's JSON is what it was before the type carried them.
func TestErrorWireFormat(t *testing.T) {
	e := control.Error{Code: "unknown_family", Message: "no family f-9", Status: 404, Method: "POST", Path: control.PathRevoke}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"success":false,"error":"unknown_family","message":"no family f-9"}`; string(b) != want {
		t.Errorf("wire format %s, want %s", b, want)
	}
	var back control.Error
	if err := json.Unmarshal(b, &back); err != nil || back.Code != e.Code || back.Message != e.Message || back.Status != 0 {
		t.Errorf("round trip gave %+v, %v", back, err)
	}
}
