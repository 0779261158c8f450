// Package distcheck checks the release as users get it, in go test ./...
// (make test, CI); NPMTarballs hands the npm packages it builds to the
// Next.js example's test (internal/corpus/nextjstest), which runs
// `npx refreshspec proxy` from the example's folder as a Next.js team
// would.
//
// They run `make dist npm` into a temporary directory, for this machine's
// linux platform only (PLATFORMS; make dist alone builds all six) and
// without -trimpath (TRIMPATH=0), so that the build reuses what the other
// tests compiled and mostly links. Then they verify the checksums file
// against the archives, run the archived binary (version, list), build the
// image refreshspec/refreshspec with `make image` and run its CLI and its
// fake backend, install the npm tarballs into an empty project and run
// `npx refreshspec` there (the launcher, REFRESHSPEC_BINARY, argv, stdin,
// signals and the exit status).
//
// Without a Docker engine the image checks skip, unless
// REFRESHSPEC_REQUIRE_DOCKER=1; without npm the npm checks skip, unless
// REFRESHSPEC_REQUIRE_EXAMPLES=1 (CI sets both). go test -short skips them
// all.
package distcheck
