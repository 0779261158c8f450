package fakebackend

import (
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/refreshspec/refreshspec/dialect"
)

// Server is one fake backend: the API of contract.md §1, the control API
// that tests drive it with, and the store both share. Everything lives in
// memory and is guarded by one mutex: the backend is a test double, where
// being obviously right matters more than scale.
type Server struct {
	cfg  Config
	log  *slog.Logger
	wire *wire // the mapping the API speaks; fixed for the server's life

	mu             sync.Mutex
	st             *state
	journalCap     int
	journalBodyCap int

	api     http.Handler
	control http.Handler

	held      atomic.Int32  // requests a delay fault holds, for tests
	done      chan struct{} // closed by Close: stops the sweeper, wakes delayed requests
	closeOnce sync.Once
	sweeper   sync.WaitGroup
}

// MustNewServer returns a fake backend configured by cfg and starts its
// background sweeper; Close stops it. It panics when cfg.Mapping is one
// CheckMapping refuses, as regexp.MustCompile does on a bad pattern: a
// mapping that comes from a user goes through CheckMapping, or Start, which
// return the error instead.
func MustNewServer(cfg Config) *Server {
	s, err := newServer(cfg, backgroundSweepPeriod)
	if err != nil {
		panic(err)
	}
	return s
}

func newServer(cfg Config, sweepPeriod time.Duration) (*Server, error) {
	if err := CheckMapping(cfg.Mapping); err != nil {
		return nil, fmt.Errorf("fakebackend: mapping: %w", err)
	}
	cfg.Mapping.ApplyDefaults()
	cfg.Users = cfg.seedUsers()
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		cfg:            cfg,
		log:            logger,
		st:             newState(cfg),
		journalCap:     defaultJournalCap,
		journalBodyCap: defaultJournalBodyCap,
		done:           make(chan struct{}),
		wire:           newWire(cfg.Mapping),
	}
	s.api = s.apiRoutes()
	s.control = s.controlRoutes()
	s.sweeper.Add(1)
	go s.sweepEvery(sweepPeriod)
	return s, nil
}

// Mapping is the dialect the API speaks, with its defaults applied.
func (s *Server) Mapping() dialect.Mapping { return s.wire.m }

// API is the backend of contract.md §1, in the dialect of Config.Mapping.
func (s *Server) API() http.Handler { return s.api }

// Control is the control API (fakebackend/control) and /healthz.
func (s *Server) Control() http.Handler { return s.control }

// Close stops the background sweeper and releases requests held by a delay
// fault. It is safe to call more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.done) })
	s.sweeper.Wait()
}

// now is the fake clock: real time plus the offset AdvanceClock grew.
// The caller holds s.mu.
func (s *Server) now() time.Time { return time.Now().Add(s.st.offset) }

func (s *Server) sweepEvery(period time.Duration) {
	defer s.sweeper.Done()
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
			s.mu.Lock()
			s.st.sweep(s.now())
			s.mu.Unlock()
		}
	}
}
