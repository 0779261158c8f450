package proxysuite

import (
	"errors"
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/internal/harness"
	"github.com/refreshspec/refreshspec/spec/target"
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

// restart restarts the target with some variables changed; what says
// which, for messages ("COOKIE_SECURE=true", "SESSION_SECRET=new,old"),
// since a secret's value says nothing. Every failure the spec reports after
// it names the restart (harness.Note), and an error of the restart itself
// does too. It returns target.ErrNotRestartable as is, so that the spec can skip.
func (s *suite) restart(what string, env map[string]string) error {
	for _, ss := range s.sessions {
		ss.close()
	}
	err := s.cfg.Target.Restart(s.ctx, env)
	if errors.Is(err, target.ErrNotRestartable) {
		return err
	}
	s.restarts++
	harness.Note(fmt.Sprintf("after restart %d of the target in this spec, with %s", s.restarts, what))
	if err != nil {
		return fmt.Errorf("restart %d of the target in this spec, with %s: %w", s.restarts, what, err)
	}
	return nil
}

// revoke revokes a family through the control API, so that its next refresh
// is answered invalid_grant.
func (s *suite) revoke(family string) {
	GinkgoHelper()
	_, err := s.backend().Revoke(s.ctx, family)
	Expect(err).NotTo(HaveOccurred(), "revoking the family through the fake backend's control API")
}

// rateLimitOff turns the backend's refresh rate limit off for a spec that
// refreshes one family more often than a user would (why says which); the
// suite restores the backend's settings before the next spec.
func (s *suite) rateLimitOff(why string) {
	GinkgoHelper()
	settings, err := s.backend().Settings(s.ctx)
	Expect(err).NotTo(HaveOccurred(), "reading the backend's settings")
	off := settings.RateLimit
	off.Enabled = false
	_, err = s.backend().UpdateSettings(s.ctx, control.SettingsPatch{RateLimit: &off})
	Expect(err).NotTo(HaveOccurred(), "turning the backend's rate limit off for %s", why)
}
