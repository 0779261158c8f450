package proxysuite

import (
	"errors"
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/fakebackend/control"
)

// What the specs do to the fake backend (expire, revoke, queue a fault)
// and to the target (restart it with other settings).

// expire expires the access tokens of a family now, through the backend's control API.
func (s *suite) expire(family string) {
	GinkgoHelper()
	_, err := s.backend().Expire(s.ctx, family, control.Access)
	Expect(err).NotTo(HaveOccurred(), "expiring the family's access tokens through the fake backend's control API")
}

// queue queues a fault on the fake backend.
func (s *suite) queue(f control.Fault) {
	GinkgoHelper()
	Expect(s.backend().QueueFault(s.ctx, f)).To(Succeed(), "queueing a fault on the fake backend")
}

// restart restarts the target with some variables changed. It returns
// ErrNotRestartable as is, so that the spec can skip.
func (s *suite) restart(env map[string]string) error {
	for _, ss := range s.sessions {
		ss.close()
	}
	err := s.cfg.Target.Restart(s.ctx, env)
	if err != nil && !errors.Is(err, ErrNotRestartable) {
		return fmt.Errorf("restarting the target with %v: %w", envKeys(env), err)
	}
	return err
}

func envKeys(env map[string]string) []string {
	var ks []string
	for k := range env {
		ks = append(ks, k)
	}
	return ks
}

// revoke revokes a family through the control API, so that its next refresh
// is answered invalid_grant.
func (s *suite) revoke(family string) {
	GinkgoHelper()
	_, err := s.backend().Revoke(s.ctx, family)
	Expect(err).NotTo(HaveOccurred(), "revoking the family through the fake backend's control API")
}
