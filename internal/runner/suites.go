package runner

import (
	"errors"

	"github.com/onsi/ginkgo/v2"
	"github.com/refreshspec/refreshspec/spec/backendsuite"
	"github.com/refreshspec/refreshspec/spec/browsersuite"
	"github.com/refreshspec/refreshspec/spec/proxysuite"
)

// suiteSpecs returns the function that registers the specs of opts.Suite,
// with the run's strictness set in their config.
func suiteSpecs(opts *Options) (func(), error) {
	switch opts.Suite {
	case "P":
		if opts.Proxy == nil {
			return nil, errors.New("runner: suite P needs Options.Proxy")
		}
		opts.Proxy.Strict = opts.Strict
		if opts.Browser != nil {
			opts.Browser.Proxy = opts.Proxy
			// Ginkgo shuffles top-level containers; SpecPriority runs
			// the proxy specs first, which reads best.
			return func() {
				ginkgo.Describe("refreshspec", ginkgo.SpecPriority(1), func() { proxysuite.Register(opts.Proxy) })
				ginkgo.Describe("refreshspec", func() { browsersuite.Register(opts.Browser) })
			}, nil
		}
		return func() { proxysuite.Register(opts.Proxy) }, nil
	case "B":
		if opts.Backend == nil {
			return nil, errors.New("runner: suite B needs Options.Backend")
		}
		opts.Backend.Strict = opts.Strict
		return func() { backendsuite.Register(opts.Backend) }, nil
	}
	return nil, errors.New("runner: suite must be P or B")
}
