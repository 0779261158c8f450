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
	p, _, err := startProcess(ctx, bin, args, []string{"LOG_LEVEL=warn"}, func(l string) (string, bool) {
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
	if err := forEach(ctx, memSessions, o.Clients, func(ctx context.Context, _ int) error {
		_, _, err := backendLogin(ctx, client, apiURL)
		return err
	}); err != nil {
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
	after, err := p.rssKiB()
	if err != nil {
		return err
	}
	r.add("fake backend idle", mib(idle), "", "")
	r.add(fmt.Sprintf("fake backend with %d families", stats.Families),
		fmt.Sprintf("%s (+%s; %d tokens, %d journal entries)", mib(full), mib(full-idle), stats.Tokens, stats.JournalEntries), "", "")
	r.add("fake backend after AdvanceClock past the refresh TTL + Sweep",
		fmt.Sprintf("%s (%d families, %d tokens left; the journal keeps %d entries)", mib(after), swept.Families, swept.Tokens, swept.JournalEntries), "", "")
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
	// of them is live: opened, checked and answered.
	if err := forEach(ctx, memSessions, o.Clients, func(ctx context.Context, _ int) error {
		c, err := proxyLogin(ctx, client, base)
		if err != nil {
			return err
		}
		_, err = proxyMe(ctx, client, base, c)
		return err
	}); err != nil {
		return fmt.Errorf("%d sessions: %w", memSessions, err)
	}
	full, err := p.rssKiB()
	if err != nil {
		return err
	}
	r.add("reference idle", mib(idle), "", "")
	r.add(fmt.Sprintf("reference with %d live sessions", memSessions), fmt.Sprintf("%s (%+.1f MiB, %.2fx idle)", mib(full), float64(full-idle)/1024, float64(full)/float64(idle)), "near idle", "")
	return nil
}

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
