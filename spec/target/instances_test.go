package target

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Instances started together get a port each and the environment they
// were given, the same SESSION_SECRET included.
func TestStartInstancesSharesTheEnvironment(t *testing.T) {
	ctx := context.Background()
	secret := RandomSecret()
	instances, err := StartInstances(ctx, 3, func(ctx context.Context, i int) (Instance, error) {
		return StartProcess(ctx, ProcessOptions{
			Command: helperCommand(t), Env: map[string]string{"SESSION_SECRET": secret, "EXTRA": "shared-store-url"},
			ReadyPath: "/env", StartTimeout: 20 * time.Second,
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	defer StopAll(ctx, instances)
	urls := map[string]bool{}
	for i, inst := range instances {
		urls[inst.URL()] = true
		env := getEnv(t, inst.URL())
		if !strings.Contains(env, "SESSION_SECRET="+secret) || !strings.Contains(env, "EXTRA=shared-store-url") {
			t.Errorf("instance %d runs with:\n%s", i+1, env)
		}
	}
	if len(urls) != 3 {
		t.Errorf("3 instances listen on %d URLs: %v", len(urls), urls)
	}
	if err := StopAll(ctx, instances); err != nil {
		t.Fatal(err)
	}
	for _, inst := range instances {
		if _, err := http.Get(inst.URL() + "/env"); err == nil {
			t.Errorf("%s still answers after StopAll", inst.URL())
		}
	}
}

// One instance that fails to start fails the whole, names itself, and
// leaves none of the others running.
func TestStartInstancesStopsTheOthersOnError(t *testing.T) {
	ctx := context.Background()
	var started []Instance
	_, err := StartInstances(ctx, 2, func(ctx context.Context, i int) (Instance, error) {
		if i == 1 {
			return nil, errors.New("no such image")
		}
		p, err := StartProcess(ctx, ProcessOptions{Command: helperCommand(t), ReadyPath: "/env", StartTimeout: 20 * time.Second})
		if err == nil {
			started = append(started, p)
		}
		return p, err
	})
	if err == nil || !strings.Contains(err.Error(), "instance 2 of 2: no such image") {
		t.Fatalf("want an error naming instance 2, got %v", err)
	}
	if len(started) != 1 {
		t.Fatalf("instance 1 did not start")
	}
	if _, err := http.Get(started[0].URL() + "/env"); err == nil {
		t.Error("instance 1 still answers after instance 2 failed")
	}
	if _, err := StartInstances(ctx, 0, nil); err == nil {
		t.Error("StartInstances(0) succeeded")
	}
}
