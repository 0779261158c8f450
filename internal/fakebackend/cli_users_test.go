package fakebackend_test

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/refreshspec/refreshspec/internal/fakebackend"
)

// --users-json seeds the users inline, as refreshspec proxy does in the
// container's command line with its profile's credentials.
func TestMainSeedsUsersFromUsersJSON(t *testing.T) {
	api := runMain(t, `--users-json=[{"id":"u-1","email":"alice@example.com","password":"correct horse","firstName":"Alice"},`+
		`{"email":"bob@example.com","password":"another pass","firstName":"Bob","lastName":"Tester"}]`)
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	for body, want := range map[string]int{
		`{"email":"bob@example.com","password":"another pass"}`:    http.StatusOK,
		`{"email":"alice@example.com","password":"correct horse"}`: http.StatusOK,
		`{"email":"bob@example.com","password":"correct horse"}`:   http.StatusUnauthorized,
	} {
		resp, err := (&http.Client{Transport: tr}).Post(api+"/auth/login", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("login %s: %d, want %d", body, resp.StatusCode, want)
		}
		if want == http.StatusOK && strings.Contains(body, "bob") && !strings.Contains(string(raw), `"firstName":"Bob"`) {
			t.Errorf("login as Bob answered %s, want his first name", raw)
		}
	}
}

func TestMainRejectsBadUsersJSON(t *testing.T) {
	for _, args := range [][]string{
		{"--users-json=not json"},
		{"--users-json=[]"},
		{`--users-json=[{"email":"bob@example.com"}]`},
		{`--users-json=[{"email":"bob@example.com","password":"p","role":"admin"}]`},
		{"--users=/tmp/users.json", `--users-json=[{"email":"bob@example.com","password":"p"}]`},
	} {
		err := fakebackend.Main(bg, args, func(string) string { return "" }, io.Discard, io.Discard)
		var usage *fakebackend.UsageError
		if !errors.As(err, &usage) || !strings.Contains(err.Error(), "users-json") {
			t.Errorf("%q: err = %v, want a UsageError naming -users-json", args, err)
		}
	}
}
