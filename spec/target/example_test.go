package target_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/refreshspec/refreshspec/spec/target"
)

// A target that runs already is reached by its URL. The suite did not start
// it, so it cannot restart it with other settings: the scenarios that need a
// restart (P1.2's Secure check, P8.2, P8.3) are skipped with that reason.
func ExampleURL() {
	var app target.Target = target.URL("http://127.0.0.1:3000/")
	fmt.Println(app.URL())

	err := app.Restart(context.Background(), map[string]string{target.EnvCookieSecure: "true"})
	fmt.Println(errors.Is(err, target.ErrNotRestartable))
	fmt.Println(app.Env() == nil)
	// Output:
	// http://127.0.0.1:3000
	// true
	// true
}

// The suite starts the app under test with the variables of contract.md §2
// (a free PORT and a random SESSION_SECRET unless given), waits until it
// answers, and can restart it with some of them changed, on the same port.
// It needs the app (here a Node app in ../my-bff) and the fake backend it
// talks to, so it is compiled but not run by go test.
func ExampleStartProcess() {
	ctx := context.Background()
	app, err := target.StartProcess(ctx, target.ProcessOptions{
		Command:   "npm run start",
		Dir:       "../my-bff",
		Env:       map[string]string{target.EnvBackendURL: "http://127.0.0.1:8080"},
		ReadyPath: "/login",
	})
	if errors.Is(err, target.ErrStartTimeout) {
		log.Printf("the app did not answer within its start timeout: %v", err)
		return
	}
	if err != nil {
		log.Printf("start the app: %v", err) // with the last lines it printed
		return
	}
	defer app.Stop(ctx)
	fmt.Println(app.URL()) // such as http://127.0.0.1:41237

	// P1.2 checks the Secure flag with COOKIE_SECURE on; the other variables
	// keep their values.
	if err := app.Restart(ctx, map[string]string{target.EnvCookieSecure: "true"}); err != nil {
		log.Printf("restart the app: %v", err)
		return
	}
	fmt.Println(app.Env()[target.EnvCookieSecure])
}
