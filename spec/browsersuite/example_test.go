package browsersuite_test

import (
	"errors"
	"fmt"
	"io/fs"

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
// It needs the app and its fake backend, so it is compiled but not run by go
// test.
func ExampleRegister() {
	proxy := &proxysuite.Config{}
	proxysuite.Register(proxy)
	browsersuite.Register(&browsersuite.Config{Proxy: proxy})

	ginkgo.BeforeSuite(func() {
		// An app and a fake backend that run already; see proxysuite's
		// example for starting them from the suite.
		proxy.Target = target.URL("http://127.0.0.1:3000")
		proxy.Control = control.New("http://127.0.0.1:8081", nil)
		proxy.BackendURL = "http://127.0.0.1:8080"
	})
}

// FindChromium says which browser the W specs would run. A browser that was
// named but cannot be run is an error of its own, not ErrChromiumNotFound
// (which only means that nothing was named and none is on PATH), so that a
// typo in Config.ChromiumPath fails loudly instead of skipping the W specs.
func ExampleFindChromium() {
	_, err := browsersuite.FindChromium("/opt/no-such-chromium/chrome")
	fmt.Println(errors.Is(err, browsersuite.ErrChromiumNotFound))
	fmt.Println(errors.Is(err, fs.ErrNotExist))
	fmt.Println(err)
	// Output:
	// false
	// true
	// browsersuite.Config.ChromiumPath="/opt/no-such-chromium/chrome" cannot be run: exec: "/opt/no-such-chromium/chrome": stat /opt/no-such-chromium/chrome: no such file or directory
}
