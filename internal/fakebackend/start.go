package fakebackend

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/refreshspec/refreshspec/fakebackend/control"
)

// StartOptions says where Start listens. An empty address means
// "127.0.0.1:0", a free loopback port.
type StartOptions struct {
	APIAddr, ControlAddr string
	// AllowRemoteControl lets the control API listen on a non-loopback
	// address. Only a container, whose ports the host maps, needs it: the
	// control API can reset and break the backend, so it is never exposed
	// by accident.
	AllowRemoteControl bool
}

// Running is a fake backend that Start is serving.
type Running struct {
	URL        string          // base URL of the API, such as http://127.0.0.1:41234
	ControlURL string          // base URL of the control API
	Server     *Server         // the backend itself
	Control    *control.Client // a client of ControlURL

	transport *http.Transport // Control's, whose idle connections Close ends
	servers   []*http.Server
	serving   sync.WaitGroup
	errs      chan error
	closeOnce sync.Once
	closeErr  error
}

// Start listens on opts' addresses and serves s.API and s.Control until
// Close. It returns once both listeners accept connections.
func Start(ctx context.Context, cfg Config, opts StartOptions) (*Running, error) {
	if err := CheckMapping(cfg.Mapping); err != nil {
		return nil, fmt.Errorf("fakebackend: mapping: %w", err)
	}
	apiAddr := orLoopback(opts.APIAddr)
	controlAddr := orLoopback(opts.ControlAddr)
	if !opts.AllowRemoteControl && !isLoopback(controlAddr) {
		return nil, fmt.Errorf("fakebackend: control address %q is not loopback; pass --allow-remote-control (StartOptions.AllowRemoteControl) to expose it", controlAddr)
	}
	var lc net.ListenConfig
	apiLn, err := lc.Listen(ctx, "tcp", apiAddr)
	if err != nil {
		return nil, fmt.Errorf("fakebackend: api listener: %w", err)
	}
	controlLn, err := lc.Listen(ctx, "tcp", controlAddr)
	if err != nil {
		_ = apiLn.Close()
		return nil, fmt.Errorf("fakebackend: control listener: %w", err)
	}
	s := MustNewServer(cfg) // the mapping was checked above
	r := &Running{
		URL:        "http://" + dialable(apiLn.Addr()),
		ControlURL: "http://" + dialable(controlLn.Addr()),
		Server:     s,
		errs:       make(chan error, 2),
	}
	r.transport = &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 16}
	r.Control = control.New(r.ControlURL, &http.Client{Transport: r.transport, Timeout: 10 * time.Second})
	for _, pair := range []struct {
		ln net.Listener
		h  http.Handler
	}{{apiLn, s.API()}, {controlLn, s.Control()}} {
		srv := &http.Server{Handler: pair.h, ReadHeaderTimeout: 10 * time.Second}
		r.servers = append(r.servers, srv)
		r.serving.Add(1)
		go func(srv *http.Server, ln net.Listener) {
			defer r.serving.Done()
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				r.errs <- err
			}
		}(srv, pair.ln)
	}
	return r, nil
}

// Close shuts both listeners down gracefully, waiting for requests in
// flight until ctx ends, then closes what is left and stops the server.
// Calling it again returns the first call's result.
func (r *Running) Close(ctx context.Context) error {
	r.closeOnce.Do(func() { r.closeErr = r.close(ctx) })
	return r.closeErr
}

func (r *Running) close(ctx context.Context) error {
	// Wake requests held by a delay fault first, or Shutdown waits for them.
	r.Server.Close()
	var errs []error
	for _, srv := range r.servers {
		if err := srv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("fakebackend: shutdown: %w", err))
			_ = srv.Close()
		}
	}
	r.serving.Wait()
	r.transport.CloseIdleConnections()
	close(r.errs)
	for err := range r.errs {
		errs = append(errs, fmt.Errorf("fakebackend: serve: %w", err))
	}
	return errors.Join(errs...)
}

func orLoopback(addr string) string {
	if addr == "" {
		return "127.0.0.1:0"
	}
	return addr
}

// isLoopback reports whether addr's host can only be reached from this
// machine. An empty host listens on every interface, so it is not.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// dialable is addr with an unspecified IP (0.0.0.0, ::) replaced by
// 127.0.0.1, so the URL printed can be used from this machine.
func dialable(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return addr.String()
	}
	ip := tcp.IP
	if ip == nil || ip.IsUnspecified() {
		// Go's listeners on 0.0.0.0 or :: take IPv4 and IPv6 alike.
		ip = net.IPv4(127, 0, 0, 1)
	}
	return net.JoinHostPort(ip.String(), fmt.Sprint(tcp.Port))
}
