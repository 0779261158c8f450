package browsersuite_test

import (
	"github.com/onsi/ginkgo/v2"

	"github.com/refreshspec/refreshspec/fakebackend/control"
	"github.com/refreshspec/refreshspec/spec/browsersuite"
	"github.com/refreshspec/refreshspec/spec/proxysuite"
	"github.com/refreshspec/refreshspec/spec/target"
)

// The W specs drive the app in Chromium and share the proxy suite's config:
// the same target, fake backend and profile. Registered beside the P specs,
// they run against the same app; without Chromium they are skipped with the
// reason (set $REFRESHSPEC_CHROMIUM or Config.ChromiumPath to name one).
func ExampleRegister() {
	proxy := &proxysuite.Config{}
	proxysuite.Register(proxy)
	browsersuite.Register(&browsersuite.Config{Proxy: proxy})

	ginkgo.BeforeSuite(func() {
		// An app and a fake backend that run already; see proxysuite's
		// example for starting them from the suite.
		proxy.Target = target.URL("http://127.0.0.1:3000")
		proxy.Backend = control.New("http://127.0.0.1:9091", nil)
	})
}
