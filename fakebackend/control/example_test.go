package control_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/fakebackend"
)

// A test starts a fake backend, puts the app under test in front of it, and
// scripts the backend through the control API: here the "app" is a plain
// HTTP client, so the journal shows the pattern's own sequence.
func Example() {
	ctx := context.Background()
	backend, err := fakebackend.Start(ctx, fakebackend.Config{}, fakebackend.StartOptions{})
	if err != nil {
		log.Fatal(err)
	}
	defer backend.Close(ctx)
	ctl := backend.Control // or control.New(controlURL, nil) for a container

	family, access, refresh := login(backend.URL)
	// The access token expires now, without waiting 15 minutes.
	if _, err := ctl.Expire(ctx, family, control.Access); err != nil {
		log.Fatal(err)
	}
	// What the app under test must do: 401, one refresh, retry with the new token.
	fmt.Println(get(backend.URL+"/api/user/me", access))
	newAccess := refreshTokens(backend.URL, refresh)
	fmt.Println(get(backend.URL+"/api/user/me", newAccess))

	// The journal decides: which route, which token, what the backend answered.
	entries, err := ctl.Journal(ctx, 0)
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range entries {
		fmt.Printf("%d %s %s generation %d: %d %s\n", e.Seq, e.Route, e.Family, e.Generation, e.Status, e.Outcome)
	}
	// Output:
	// 401
	// 200
	// 1 POST /auth/login  generation 0: 200 ok
	// 2 GET /api/user/me f-1 generation 0: 401 invalid_token
	// 3 POST /auth/refresh f-1 generation 0: 200 ok
	// 4 GET /api/user/me f-1 generation 1: 200 ok
}

// Reset between tests: every family, token, journal entry, count and queued
// fault is forgotten, and the settings the backend started with come back.
func ExampleClient_Reset() {
	ctx := context.Background()
	backend := startFakeBackend() // as in the package's example
	defer backend.Close(ctx)
	ctl := backend.Control

	login(backend.URL)
	if err := ctl.Reset(ctx); err != nil {
		log.Fatal(err)
	}
	stats, err := ctl.Stats(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("families %d, tokens %d, journal entries %d\n", stats.Families, stats.Tokens, stats.JournalEntries)
	// Output:
	// families 0, tokens 0, journal entries 0
}

// Expire ends a family's access tokens (or refresh tokens) now; the next
// resource call with them is a 401, which is what makes the app refresh.
func ExampleClient_Expire() {
	ctx := context.Background()
	backend := startFakeBackend() // as in the package's example
	defer backend.Close(ctx)

	family, access, _ := login(backend.URL)
	n, err := backend.Control.Expire(ctx, family, control.Access)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("expired %d access token of %s\n", n, family)
	fmt.Println(get(backend.URL+"/api/user/me", access))
	// Output:
	// expired 1 access token of f-1
	// 401
}

// QueueFault makes the next calls of a route fail as a real backend can:
// a status, a malformed body, a delay, a dropped connection. The refresh
// token a faulted call carries is not consumed, so the session can recover.
func ExampleClient_QueueFault() {
	ctx := context.Background()
	backend := startFakeBackend() // as in the package's example
	defer backend.Close(ctx)
	ctl := backend.Control

	_, _, refresh := login(backend.URL)
	err := ctl.QueueFault(ctx, control.Fault{
		Route: control.RouteRefresh, Kind: control.FaultStatus, Status: http.StatusServiceUnavailable,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(post(backend.URL+"/auth/refresh", map[string]string{"refresh_token": refresh}))
	fmt.Println(post(backend.URL+"/auth/refresh", map[string]string{"refresh_token": refresh}))

	counts, err := ctl.Counts(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("faulted:", counts[control.RouteRefresh][control.OutcomeFault], "rotated:", counts[control.RouteRefresh][control.OutcomeOK])
	// Output:
	// 503
	// 200
	// faulted: 1 rotated: 1
}

// Journal(ctx, since) returns what reached the backend after entry since:
// a spec notes the last Seq before acting and reads only what its action caused.
func ExampleClient_Journal() {
	ctx := context.Background()
	backend := startFakeBackend() // as in the package's example
	defer backend.Close(ctx)
	ctl := backend.Control

	_, access, _ := login(backend.URL)
	before, err := ctl.Journal(ctx, 0)
	if err != nil {
		log.Fatal(err)
	}
	get(backend.URL+"/api/user/me", access)
	get(backend.URL+"/api/user/me", "not-a-token")

	entries, err := ctl.Journal(ctx, before[len(before)-1].Seq)
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range entries {
		fmt.Println(e.Seq, e.Route, e.Outcome, e.Token == access)
	}
	// Output:
	// 2 GET /api/user/me ok true
	// 3 GET /api/user/me invalid_token false
}

// A call the control API refuses is a *control.Error: branch on its status
// or code with errors.As.
func ExampleError() {
	ctx := context.Background()
	backend := startFakeBackend() // as in the package's example
	defer backend.Close(ctx)

	_, err := backend.Control.Revoke(ctx, "f-42")
	var ce *control.Error
	if errors.As(err, &ce) {
		fmt.Println(ce.Status, ce.Code)
	}
	fmt.Println(err)
	// Output:
	// 404 unknown_family
	// control: POST /control/revoke: 404 unknown_family: no family f-42
}

// Fingerprint is how a token may appear in a failure message or a log: the
// first eight hex digits of its SHA-256, as the fake backend's log lines and
// the journal's Authorization header show it, and nothing of the token itself.
func ExampleFingerprint() {
	fmt.Println(control.Fingerprint("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl"))
	fmt.Println(control.Fingerprint("rt-1a2b3c"))
	fmt.Printf("%q\n", control.Fingerprint(""))
	// Output:
	// 626ba527
	// 0857f2c2
	// ""
}

// startFakeBackend starts an in-process fake backend on free loopback ports.
func startFakeBackend() *fakebackend.Running {
	backend, err := fakebackend.Start(context.Background(), fakebackend.Config{}, fakebackend.StartOptions{})
	if err != nil {
		log.Fatal(err)
	}
	return backend
}

// login signs Alice in (the fake backend's default user) and returns her
// token family and tokens.
func login(backendURL string) (family, access, refresh string) {
	var answer struct {
		Data struct {
			Authorization struct {
				AccessToken  string `json:"access_token"`
				RefreshToken string `json:"refresh_token"`
			} `json:"authorization"`
		} `json:"data"`
	}
	call(http.MethodPost, backendURL+"/auth/login", "",
		map[string]string{"email": "alice@example.com", "password": "correct horse"}, &answer)
	// The first family since a reset is f-1, the next f-2, and so on.
	return "f-1", answer.Data.Authorization.AccessToken, answer.Data.Authorization.RefreshToken
}

// refreshTokens rotates refresh and returns the new access token.
func refreshTokens(backendURL, refresh string) string {
	var answer struct {
		Data struct {
			Authorization struct {
				AccessToken string `json:"access_token"`
			} `json:"authorization"`
		} `json:"data"`
	}
	call(http.MethodPost, backendURL+"/auth/refresh", "", map[string]string{"refresh_token": refresh}, &answer)
	return answer.Data.Authorization.AccessToken
}

func get(url, bearer string) int { return call(http.MethodGet, url, bearer, nil, nil) }

func post(url string, body any) int { return call(http.MethodPost, url, "", body, nil) }

// call sends one JSON request and returns the status, decoding a 200's body into out.
func call(method, url, bearer string, body, out any) int {
	var payload bytes.Buffer
	if body != nil {
		if err := json.NewEncoder(&payload).Encode(body); err != nil {
			log.Fatal(err)
		}
	}
	req, err := http.NewRequest(method, url, &payload)
	if err != nil {
		log.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil && resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			log.Fatal(err)
		}
	}
	return resp.StatusCode
}
