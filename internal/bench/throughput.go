package bench

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/refreshspec/refreshspec/dialect"
)

// Targets of rows 1 and 3: what the table marks as met or missed.
const (
	minRefVsBareRate = 0.8  // the reference reaches at least 0.8x the bare proxy's req/s
	maxRefVsBareP50  = 1.25 // and at most 1.25x its p50
	minBackendVsRef  = 3.0  // the fake backend serves at least 3x the reference's req/s
	minOAuth2VsJSON  = 0.8  // its oauth2 dialect within 20% of its json dialect
)

// proxyRow is row 1: GET /api/me through the reference, through a bare
// ReverseProxy that only adds the Bearer header, and straight to the fake
// backend, interleaved in rounds.
func proxyRow(ctx context.Context, o Options) row {
	r := row{num: 1, title: fmt.Sprintf("GET /api/me: reference vs bare ReverseProxy vs direct (%d rounds × %d requests, %d clients; medians)", o.Rounds, o.Requests, o.Clients)}
	be, stopBE, err := startBackend(ctx)
	if err != nil {
		return r.fail(err)
	}
	defer stopBE()
	client, tr := newClient(o.Clients)
	defer tr.CloseIdleConnections()

	refURL, stopRef, err := startReference(be.URL)
	if err != nil {
		return r.fail(err)
	}
	defer stopRef()
	cookie, err := proxyLogin(ctx, client, refURL)
	if err != nil {
		return r.fail(err)
	}
	access, _, err := backendLogin(ctx, client, be.URL)
	if err != nil {
		return r.fail(err)
	}
	bareURL, stopBare, err := startBare(be.URL, access)
	if err != nil {
		return r.fail(err)
	}
	defer stopBare()

	loads := []load{
		refMeLoad(client, refURL, cookie),
		{name: "bare", do: func(ctx context.Context, _ int) error {
			_, err := proxyMe(ctx, client, bareURL, "")
			return err
		}},
		{name: "direct", do: func(ctx context.Context, _ int) error {
			return backendMe(ctx, client, be.URL, access)
		}},
	}
	rounds, err := interleaved(ctx, loads, o.Rounds, o.Requests, o.Clients, selfCPU)
	if err != nil {
		return r.fail(err)
	}
	ref, bare, direct := summarize(rounds[0]), summarize(rounds[1]), summarize(rounds[2])
	r.add("reference", ref.String()+cpuText(ref, 0), "", "")
	r.add("bare ReverseProxy", bare.String()+cpuText(bare, 0), "", "")
	r.add("direct to the fake backend", direct.String()+cpuText(direct, 0), "", "")
	rateRatio := median(roundRatios(rounds[0], rounds[1], rateOf))
	p50Ratio := median(roundRatios(rounds[0], rounds[1], p50Of))
	cpuRatio := median(roundRatios(rounds[0], rounds[1], cpuOf(0)))
	r.add("reference / bare: req/s", fmt.Sprintf("%.2fx (median of per-round ratios)", rateRatio), fmt.Sprintf("≥ %.2fx", minRefVsBareRate), verdict(rateRatio >= minRefVsBareRate))
	r.add("reference / bare: p50", fmt.Sprintf("%.2fx", p50Ratio), fmt.Sprintf("≤ %.2fx", maxRefVsBareP50), verdict(p50Ratio <= maxRefVsBareP50))
	r.add("reference / bare: CPU per request", fmt.Sprintf("%.2fx (client, proxy and backend in this process; the machine's noise cancels)", cpuRatio), "", "")
	r.add("direct / reference: req/s", fmt.Sprintf("%.2fx", median(roundRatios(rounds[2], rounds[0], rateOf))), "", "")
	if n := ref.failures + bare.failures + direct.failures; n > 0 {
		r.add("failed requests", fmt.Sprintf("%d (first: %v)", n, firstError(ref, bare, direct)), "0", "FAILED")
	}
	r.note(rounds[0])
	return r
}

// refMeLoad is GET /api/me through the reference with one session.
func refMeLoad(client *http.Client, refURL, cookie string) load {
	return load{name: "reference", do: func(ctx context.Context, _ int) error {
		resp, err := proxyMe(ctx, client, refURL, cookie)
		if err == nil && sessionCookie(resp) != "" {
			return fmt.Errorf("reference /api/me: unexpected Set-Cookie (a refresh?) during the throughput rounds")
		}
		return err
	}}
}

// backendRow is row 3: the fake backend binary alone, refresh/s and
// /api/user/me/s, interleaved with GET /api/me through the reference binary
// in front of it, so that the ratio is taken on the same machine state.
// Both are separate processes, which lets the row also read each one's CPU
// time per request: on a machine where the load generator, the reference
// and the backend share two cores, wall-clock throughput measures them
// together, while CPU per request says how many requests each could serve
// per core, which is what decides which one a load test saturates first.
// A second fake backend process speaks the oauth2 dialect (benchOAuth2),
// its refresh_token grants and resource calls interleaved with the json
// dialect's, for the ratio of the two.
func backendRow(ctx context.Context, o Options) row {
	r := row{num: 3, title: fmt.Sprintf("fake backend binary alone (json and oauth2 dialects) vs the reference binary's /api/me in front of it (%d rounds × %d requests, %d clients; medians)", o.Rounds, o.Requests, o.Clients)}
	if o.ReferenceBin == "" || o.FakebackendBin == "" {
		return r.fail(fmt.Errorf("the reference and fake backend binaries were not built"))
	}
	beProc, beURL, _, err := startFakebackendProcess(ctx, o.FakebackendBin, "--no-rate-limit")
	if err != nil {
		return r.fail(err)
	}
	defer beProc.stop()
	oauth2Flag, err := mappingFlag(benchOAuth2)
	if err != nil {
		return r.fail(err)
	}
	oaProc, oaURL, _, err := startFakebackendProcess(ctx, o.FakebackendBin, "--no-rate-limit", oauth2Flag)
	if err != nil {
		return r.fail(err)
	}
	defer oaProc.stop()
	refProc, refURL, err := startProcess(ctx, o.ReferenceBin, nil, []string{
		"BACKEND_URL=" + beURL, "PORT=0", "SESSION_SECRET=" + randomSecret(), "COOKIE_SECURE=false",
	}, referenceReady)
	if err != nil {
		return r.fail(err)
	}
	defer refProc.stop()
	client, tr := newClient(o.Clients)
	defer tr.CloseIdleConnections()
	cookie, err := proxyLogin(ctx, client, refURL)
	if err != nil {
		return r.fail(err)
	}
	loads := []load{refMeLoad(client, refURL, cookie)}
	for _, peer := range []dialectPeer{newDialectPeer(dialect.Mapping{}, beURL), newDialectPeer(benchOAuth2, oaURL)} {
		backendLoads, err := dialectLoads(ctx, client, peer, o.Clients)
		if err != nil {
			return r.fail(err)
		}
		loads = append(loads, backendLoads...)
	}
	const refMeter, beMeter, oaMeter, genMeter = 0, 1, 2, 3
	const refLoad, refreshLoad, meLoad, oaRefreshLoad, oaMeLoad = 0, 1, 2, 3, 4
	rounds, err := interleaved(ctx, loads, o.Rounds, o.Requests, o.Clients,
		processCPU(refProc.cmd.Process.Pid), processCPU(beProc.cmd.Process.Pid), processCPU(oaProc.cmd.Process.Pid), selfCPU)
	if err != nil {
		return r.fail(err)
	}
	st := make([]stats, len(rounds))
	for i := range rounds {
		st[i] = summarize(rounds[i])
	}
	ref := st[refLoad]
	r.add("reference GET /api/me", fmt.Sprintf("%s  CPU/req: reference %s, backend %s, load generator %s", ref, us(ref.cpu[refMeter]), us(ref.cpu[beMeter]), us(ref.cpu[genMeter])), "", "")
	for _, c := range []struct {
		label     string
		load, cpu int
	}{
		{"fake backend POST /auth/refresh", refreshLoad, beMeter},
		{"fake backend GET /api/user/me", meLoad, beMeter},
		{"fake backend (oauth2) POST /oauth/token refresh_token grant", oaRefreshLoad, oaMeter},
		{"fake backend (oauth2) GET /api/user/me", oaMeLoad, oaMeter},
	} {
		r.add(c.label, fmt.Sprintf("%s  CPU/req: backend %s, load generator %s", st[c.load], us(st[c.load].cpu[c.cpu]), us(st[c.load].cpu[genMeter])), "", "")
	}
	target := fmt.Sprintf("≥ %.1fx", minBackendVsRef)
	for _, c := range []struct {
		label string
		i     int
	}{{"refresh", refreshLoad}, {"me", meLoad}} {
		wall := median(roundRatios(rounds[c.i], rounds[refLoad], rateOf))
		r.add(fmt.Sprintf("backend %s/s / reference req/s (wall clock, all on 2 cores)", c.label), fmt.Sprintf("%.2fx", wall), target, verdict(wall >= minBackendVsRef))
	}
	for _, c := range []struct {
		label string
		i     int
	}{{"refresh", refreshLoad}, {"me", meLoad}} {
		// The reference's CPU per request over the backend's: how many more
		// requests the backend serves per CPU-second.
		capacity := median(crossRatios(rounds[refLoad], rounds[c.i], cpuOf(refMeter), cpuOf(beMeter)))
		r.add(fmt.Sprintf("backend %s / reference per CPU-second (reference CPU/req ÷ backend CPU/req)", c.label), fmt.Sprintf("%.2fx", capacity), target, verdict(capacity >= minBackendVsRef))
	}
	dialectTarget := fmt.Sprintf("≥ %.2fx", minOAuth2VsJSON)
	for _, c := range []struct {
		label        string
		json, oauth2 int
	}{{"refresh", refreshLoad, oaRefreshLoad}, {"me", meLoad, oaMeLoad}} {
		wall := median(roundRatios(rounds[c.oauth2], rounds[c.json], rateOf))
		capacity := median(crossRatios(rounds[c.json], rounds[c.oauth2], cpuOf(beMeter), cpuOf(oaMeter)))
		r.add(fmt.Sprintf("oauth2 / json dialect: backend %s/s (wall clock; per CPU-second %.2fx)", c.label, capacity),
			fmt.Sprintf("%.2fx (median of per-round ratios)", wall), dialectTarget, verdict(wall >= minOAuth2VsJSON))
	}
	failures := 0
	for _, s := range st {
		failures += s.failures
	}
	if failures > 0 {
		r.add("failed requests", fmt.Sprintf("%d (first: %v)", failures, firstError(st...)), "0", "FAILED")
	}
	r.note(rounds[refLoad])
	return r
}

// dialectLoads are a fake backend's refresh and me loads in its dialect.
// One family per client: each client follows its own rotation chain, as a
// real session does, so no refresh is ever reuse.
func dialectLoads(ctx context.Context, client *http.Client, peer dialectPeer, clients int) ([]load, error) {
	access, _, err := peer.login(ctx, client)
	if err != nil {
		return nil, err
	}
	chains := make([]string, clients)
	for i := range chains {
		if _, chains[i], err = peer.login(ctx, client); err != nil {
			return nil, err
		}
	}
	name := "backend " + string(peer.m.Dialect)
	return []load{
		{name: name + " refresh", do: func(ctx context.Context, c int) error {
			next, err := peer.refresh(ctx, client, chains[c])
			if err == nil {
				chains[c] = next
			}
			return err
		}},
		{name: name + " me", do: func(ctx context.Context, _ int) error {
			return peer.me(ctx, client, access)
		}},
	}, nil
}

// cpuText shows meter i's CPU per request.
func cpuText(s stats, i int) string {
	if i >= len(s.cpu) {
		return ""
	}
	return "  CPU/req " + us(s.cpu[i])
}

// us formats a duration in microseconds.
func us(d time.Duration) string {
	return fmt.Sprintf("%.0fµs", float64(d)/float64(time.Microsecond))
}

func firstError(ss ...stats) error {
	for _, s := range ss {
		if s.firstErr != nil {
			return s.firstErr
		}
	}
	return nil
}

func (s stats) String() string {
	return fmt.Sprintf("%7.0f req/s   p50 %-8s p99 %-8s", s.rate, ms(s.p50), ms(s.p99))
}
