package container_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/testcontainers/testcontainers-go"

	"github.com/refreshspec/refreshspec/fakebackend/container"
	"github.com/refreshspec/refreshspec/fakebackend/control"
)

// Run starts the fake backend from the image `make images` builds; URL is
// what the app under test gets as BACKEND_URL, Control a client of the
// control API that moves the clock, expires tokens and reads the journal.
// It needs a Docker engine, so it is compiled but not run by go test.
func ExampleRun() {
	ctx := context.Background()

	ctr, err := container.Run(ctx, container.WithArgs("--access-ttl=1m"))
	// Terminate also when Run failed: the container may exist all the same.
	defer func() {
		if err := testcontainers.TerminateContainer(ctr); err != nil {
			log.Printf("terminate the fake backend: %v", err)
		}
	}()
	if err != nil {
		log.Printf("start the fake backend: %v", err)
		return
	}

	backendURL, err := ctr.URL(ctx) // such as http://127.0.0.1:32768
	if err != nil {
		log.Printf("backend URL: %v", err)
		return
	}
	controlURL, err := ctr.ControlURL(ctx)
	if err != nil {
		log.Printf("control URL: %v", err)
		return
	}
	fmt.Println("BACKEND_URL=" + backendURL)
	fmt.Println("control API at " + controlURL)

	ctl, err := ctr.Control(ctx)
	if err != nil {
		log.Printf("control client: %v", err)
		return
	}
	// Make an hour pass for every token the backend issued.
	if _, err := ctl.AdvanceClock(ctx, time.Hour); err != nil {
		log.Printf("advance the clock: %v", err)
		return
	}
	counts, err := ctl.Counts(ctx)
	if err != nil {
		log.Printf("counts: %v", err)
		return
	}
	fmt.Println("refreshes so far:", counts[control.RouteRefresh][control.OutcomeOK])
}

// Without `make images`, BuildBinary and WithStaticBinary build a FROM scratch
// image on the spot from this module's source; nothing is pulled. It needs a
// Docker engine and the go command, so it is compiled but not run by go test.
func ExampleWithStaticBinary() {
	ctx := context.Background()

	dir, err := os.MkdirTemp("", "fakebackend")
	if err != nil {
		log.Printf("temp dir: %v", err)
		return
	}
	defer os.RemoveAll(dir)
	bin, err := container.BuildBinary(ctx, dir)
	if err != nil {
		log.Printf("build the fake backend: %v", err)
		return
	}

	ctr, err := container.Run(ctx, container.WithStaticBinary(bin), container.WithArgs("--no-rate-limit"))
	defer func() {
		if err := testcontainers.TerminateContainer(ctr); err != nil {
			log.Printf("terminate the fake backend: %v", err)
		}
	}()
	if err != nil {
		log.Printf("start the fake backend: %v", err)
		return
	}
	backendURL, err := ctr.URL(ctx)
	if err != nil {
		log.Printf("backend URL: %v", err)
		return
	}
	fmt.Println("BACKEND_URL=" + backendURL)
}

// URL and ControlURL refuse a Docker host off loopback: testcontainers may
// pick a gateway address when it believes it runs in a container, and the
// suite's tokens and control commands must not leave this machine.
func ExampleCheckLoopback() {
	for _, host := range []string{"localhost", "127.0.0.1", "::1", "172.17.0.1"} {
		fmt.Println(host, container.CheckLoopback(host) == nil)
	}
	// Output:
	// localhost true
	// 127.0.0.1 true
	// ::1 true
	// 172.17.0.1 false
}
