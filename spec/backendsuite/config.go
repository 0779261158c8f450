package backendsuite

import (
	"time"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/profile"
)

// Config configures the backend specs. It is read when the specs run, so a
// suite may fill it in BeforeSuite.
type Config struct {
	// BackendURL is the backend's base BackendURL.
	BackendURL string
	// Profile gives the dialect, paths, field names, credentials and the
	// rate-limit burst (B2.8 runs only when it is above 0); nil means
	// profile.Default().
	Profile *profile.Profile
	// Control is a fake backend's control API, when the backend under test
	// is one: checks that need time to pass then move its clock. Nil for a
	// real backend, where those checks wait for Profile.Backend.ShortAccessTTL
	// or are skipped with the reason.
	Control *control.Client
	// Strict makes SHOULD failures fail the run.
	Strict bool
	// RequestTimeout bounds every request (default 10 s), so a backend that
	// hangs fails the scenario at hand instead of hanging the suite.
	RequestTimeout time.Duration
}

func (c *Config) profile() *profile.Profile {
	if c.Profile == nil {
		return profile.Default()
	}
	return c.Profile
}

// RequestsEntry is the report entry in which every B spec records how
// many requests it sent to the backend under test (a Requests), so
// users can see what the suite costs a real backend.
const RequestsEntry = "refreshspec-backend-requests"

// Requests is the value of a RequestsEntry.
type Requests struct {
	// Spec is the number of requests the spec sent.
	Spec int `json:"spec"`
	// Run is the number the B specs sent so far in this run.
	Run int64 `json:"run"`
}
