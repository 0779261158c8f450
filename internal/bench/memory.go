package bench

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/refreshspec/refreshspec/fakebackend/control"
)

// memSessions is how many sessions (reference) and families (fake backend)
// row 4 creates.
const memSessions = 10_000

// memoryRow is row 4: resident memory of the reference binary with 10k live
// sessions (near its idle size: the sessions live in cookies), and of the
// fake backend binary per 10k families, before and after a sweep.
func memoryRow(ctx context.Context, o Options) row {
	r := row{num: 4, title: fmt.Sprintf("resident memory (VmRSS) of the binaries: reference with %d live sessions, fake backend per %d families", memSessions, memSessions)}
	if o.ReferenceBin == "" || o.FakebackendBin == "" {
		return r.fail(fmt.Errorf("the reference and fake backend binaries were not built"))
	}
	if err := fakebackendMemory(ctx, o, &r); err != nil {
		r.add("fake backend", "not available: "+err.Error(), "", "")
	}
	if err := referenceMemory(ctx, o, &r); err != nil {
		r.add("reference", "not available: "+err.Error(), "", "")
	}
	return r
}

// startFakebackendProcess runs the fake backend binary on free loopback
// ports with the rate limit off, and returns it with a control client.
func startFakebackendProcess(ctx context.Context, bin string, extra ...string) (*process, string, *control.Client, error) {
	var apiURL, controlURL string
	args := append([]string{"--addr", "127.0.0.1:0", "--control-addr", "127.0.0.1:0", "--log-format", "json"}, extra...)
	p, _, err := startProcess(ctx, bin, args, nil, func(l string) (string, bool) {
		if v, ok := strings.CutPrefix(l, "api: "); ok {
			apiURL = v
		}
		if v, ok := strings.CutPrefix(l, "control: "); ok {
			controlURL = v
		}
		return "", apiURL != "" && controlURL != ""
	})
	if err != nil {
		return nil, "", nil, err
	}
	client, _ := newClient(4)
	return p, apiURL, control.New(controlURL, client), nil
}

func fakebackendMemory(ctx context.Context, o Options, r *row) error {
	p, apiURL, ctl, err := startFakebackendProcess(ctx, o.FakebackendBin, "--no-rate-limit")
	if err != nil {
		return err
	}
	defer p.stop()
	if err := ctl.Healthy(ctx); err != nil {
		return err
	}
	idle, err := p.rssKiB()
	if err != nil {
		return err
	}
	client, tr := newClient(o.Clients)
	defer tr.CloseIdleConnections()
	logins := func() error {
		return forEach(ctx, memSessions, o.Clients, func(ctx context.Context, _ int) error {
			_, _, err := backendLogin(ctx, client, apiURL)
			return err
		})
	}
	if err := logins(); err != nil {
		return fmt.Errorf("%d logins: %w", memSessions, err)
	}
	full, err := p.rssKiB()
	if err != nil {
		return err
	}
	stats, err := ctl.Stats(ctx)
	if err != nil {
		return err
	}
	settings, err := ctl.Settings(ctx)
	if err != nil {
		return err
	}
	// Past the refresh TTL every family is dead; the sweep drops them.
	if _, err := ctl.AdvanceClock(ctx, settings.RefreshTTL.Std()+time.Hour); err != nil {
		return err
	}
	swept, err := ctl.Sweep(ctx)
	if err != nil {
		return err
	}
	afterSweep, err := p.rssKiB()
	if err != nil {
		return err
	}
	// The Go runtime keeps freed memory for a while before it returns it
	// to the system, so RSS right after the sweep says little; what shows
	// that the sweep freed the families is that as many new ones fit in
	// the same memory.
	if err := logins(); err != nil {
		return fmt.Errorf("%d more logins: %w", memSessions, err)
	}
	again, err := p.rssKiB()
	if err != nil {
		return err
	}
	stats2, err := ctl.Stats(ctx)
	if err != nil {
		return err
	}
	r.add("fake backend idle", mib(idle), "", "")
	r.add(fmt.Sprintf("fake backend with %d families", stats.Families),
		fmt.Sprintf("%s (+%s: %.1f KiB per family, with %d tokens and %d journal entries)", mib(full), mib(full-idle), float64(full-idle)/float64(max(stats.Families, 1)), stats.Tokens, stats.JournalEntries), "", "")
	r.add("fake backend after AdvanceClock past the refresh TTL + Sweep",
		fmt.Sprintf("%s (%d families, %d tokens left; RSS does not drop: the Go runtime keeps freed heap for reuse)", mib(afterSweep), swept.Families, swept.Tokens), "", "")
	r.add(fmt.Sprintf("fake backend after %d new families", stats2.Families),
		fmt.Sprintf("%s (%+.1f MiB, against %+.1f MiB for the first %d: their freed memory is reused; the journal, which no sweep drops, holds %d entries)", mib(again), float64(again-full)/1024, float64(full-idle)/1024, memSessions, stats2.JournalEntries), "", "")
	return nil
}

func referenceMemory(ctx context.Context, o Options, r *row) error {
	be, stopBE, err := startBackend(ctx)
	if err != nil {
		return err
	}
	defer stopBE()
	p, base, err := startProcess(ctx, o.ReferenceBin, nil, []string{
		"BACKEND_URL=" + be.URL, "PORT=0", "SESSION_SECRET=" + randomSecret(), "COOKIE_SECURE=false",
	}, referenceReady)
	if err != nil {
		return err
	}
	defer p.stop()
	client, tr := newClient(o.Clients)
	defer tr.CloseIdleConnections()
	idle, err := p.rssKiB()
	if err != nil {
		return err
	}
	// Each session logs in and then uses its cookie once, so that every one
	// of them is live: opened, checked and answered. RSS after the first
	// tenth against RSS after all of them separates what sessions cost from
	// what serving a load costs (buffers, goroutines, garbage not yet
	// collected).
	sessions := func(n int) error {
		return forEach(ctx, n, o.Clients, func(ctx context.Context, _ int) error {
			c, err := proxyLogin(ctx, client, base)
			if err != nil {
				return err
			}
			_, err = proxyMe(ctx, client, base, c)
			return err
		})
	}
	first := memSessions / 10
	if err := sessions(first); err != nil {
		return fmt.Errorf("%d sessions: %w", first, err)
	}
	tenth, err := p.rssKiB()
	if err != nil {
		return err
	}
	if err := sessions(memSessions - first); err != nil {
		return fmt.Errorf("%d sessions: %w", memSessions, err)
	}
	full, err := p.rssKiB()
	if err != nil {
		return err
	}
	perSession := float64(full-tenth) * 1024 / float64(memSessions-first)
	r.add("reference idle (started, no request yet)", mib(idle), "", "")
	r.add(fmt.Sprintf("reference after %d live sessions", first), fmt.Sprintf("%s (%+.1f MiB over idle)", mib(tenth), float64(tenth-idle)/1024), "", "")
	r.add(fmt.Sprintf("reference after %d live sessions", memSessions), fmt.Sprintf("%s (%+.1f MiB over idle; %+.0f bytes per session from %d to %d)", mib(full), float64(full-idle)/1024, perSession, first, memSessions),
		"near idle", verdict(perSession < maxBytesPerSession))
	return nil
}

// maxBytesPerSession is what "near its idle size" is held to: the proxy
// keeps no session state, so 9,000 more sessions may not cost more than a
// few hundred bytes each (a bounded cache of opened cookies, noise).
const maxBytesPerSession = 256

// referenceReady reads the reference's "listening on http://[::]:port"
// line and returns a loopback URL of it.
func referenceReady(line string) (string, bool) {
	_, rest, ok := strings.Cut(line, "listening on ")
	if !ok {
		return "", false
	}
	raw, _, _ := strings.Cut(rest, " ")
	u, err := url.Parse(raw)
	if err != nil || u.Port() == "" {
		return "", false
	}
	return "http://127.0.0.1:" + u.Port(), true
}
