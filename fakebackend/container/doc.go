// Package container is a testcontainers-go module for the fake backend of
// contract.md §1: it starts the fake backend's image (fakebackend/Dockerfile,
// built by `make images`) or an image built on the spot from a static binary
// (WithStaticBinary, BuildBinary), waits until both of its listeners answer,
// and hands out the base URLs of the backend API and of the control API.
//
// Everything here stays on this machine: the images are FROM scratch with one
// static binary, so nothing is pulled from a registry; the ports are published
// on the host's 127.0.0.1 only; and URL and ControlURL refuse a host that is
// not a loopback address (see CheckLoopback for why).
//
// Tests that need a Docker engine call RequireDocker, which skips them when no
// engine answers unless REFRESHSPEC_REQUIRE_DOCKER=1 (CI sets it), so that CI
// cannot pass by skipping.
package container
