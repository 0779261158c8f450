package target

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrStartTimeout is what the error of a target that did not answer within
// its own start timeout (ProcessOptions.StartTimeout,
// ContainerOptions.StartTimeout) matches with errors.Is, so that a caller
// can say where that timeout came from. A wait that the caller's context
// ended first does not match it.
var ErrStartTimeout = errors.New("target: start timeout elapsed")

// notReady is the error of a wait for a target that ended without an
// answer below 500.
type notReady struct {
	msg          string
	startTimeout bool  // its start timeout ended it
	err          error // what the wait met, if it wraps it
}

func (e *notReady) Error() string { return e.msg }

func (e *notReady) Unwrap() error { return e.err }

func (e *notReady) Is(target error) bool { return e.startTimeout && target == ErrStartTimeout }

// ReadyBound says, for an error, what ended a wait for a target to answer:
// its start timeout, or parent, the caller's context, when that ended first
// (a run's --timeout, Ctrl-C), with its cause. A message that named the
// start timeout when the run's deadline cut the wait short would send the
// user to the wrong setting.
func ReadyBound(parent context.Context, startTimeout time.Duration) string {
	if parent.Err() == nil {
		return fmt.Sprintf("within its start timeout of %s", startTimeout)
	}
	return fmt.Sprintf("before the run's context ended (%v), earlier than its start timeout of %s", context.Cause(parent), startTimeout)
}

// newNotReady is the error of a wait that began at began and ended
// without an answer; msg says what did not answer, with ReadyBound, and err
// is what it met, if any.
func newNotReady(parent context.Context, startTimeout time.Duration, began time.Time, msg string, err error) error {
	elapsed := parent.Err() == nil && time.Since(began) >= startTimeout
	return &notReady{msg: msg, startTimeout: elapsed, err: err}
}
