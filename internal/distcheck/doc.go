// Package distcheck holds only tests: they check the release as users get
// it, in go test ./... (make test, CI).
//
// They run `make dist npm` into a temporary directory, for this machine's
// linux platform only (PLATFORMS; make dist alone builds all six) and
// without -trimpath (TRIMPATH=0), so that the build reuses what the other
// tests compiled and mostly links. Then they verify the checksums file
// against the archives, run the archived binary (version, list), build the
// image refreshspec/refreshspec with `make image` and run its CLI and its
// fake backend, install the npm tarballs into an empty project and run
// `npx refreshspec` there (the launcher, REFRESHSPEC_BINARY, argv, stdin,
// signals and the exit status), and run `npx refreshspec proxy` against the
// Next.js example from a copy of its folder, as a Next.js team would.
//
// Without a Docker engine the image checks skip, unless
// REFRESHSPEC_REQUIRE_DOCKER=1; without npm the npm checks skip, unless
// REFRESHSPEC_REQUIRE_EXAMPLES=1 (CI sets both). go test -short skips them
// all.
package distcheck
