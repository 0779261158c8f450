package target

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// Instance is one copy of a target the suite started: a Process or a
// Container. Several of them, sharing SESSION_SECRET and whatever store the
// target needs, are the deployment P7.4 spreads a session over.
type Instance interface {
	Target
	Stop(ctx context.Context) error
}

var (
	_ Instance = (*Process)(nil)
	_ Instance = (*Container)(nil)
)

// StartInstances starts n instances with start, all at once (a target that
// is slow to start costs its start-up once, not n times), and returns them
// in order. start gets the instance's index; it must give each instance a
// port of its own (StartProcess and StartContainer pick a free one when
// the environment names none), and the caller shares the rest of the
// environment. On error the instances that started are stopped.
func StartInstances(ctx context.Context, n int, start func(ctx context.Context, i int) (Instance, error)) ([]Instance, error) {
	if n < 1 {
		return nil, fmt.Errorf("target: %d instances: want at least 1", n)
	}
	out := make([]Instance, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i], errs[i] = start(ctx, i)
			if errs[i] != nil && n > 1 {
				errs[i] = fmt.Errorf("instance %d of %d: %w", i+1, n, errs[i])
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		var started []Instance
		for i, inst := range out {
			if errs[i] == nil {
				started = append(started, inst)
			}
		}
		return nil, errors.Join(err, StopAll(context.WithoutCancel(ctx), started))
	}
	return out, nil
}

// StopAll stops every instance, and returns what failed.
func StopAll(ctx context.Context, instances []Instance) error {
	var errs []error
	for i, inst := range instances {
		if err := inst.Stop(ctx); err != nil {
			errs = append(errs, fmt.Errorf("instance %d: %w", i+1, err))
		}
	}
	return errors.Join(errs...)
}
