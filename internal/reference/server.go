package reference

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"
)

// Server is the reference proxy: an http.Handler serving the routes of
// contract.md §2.
type Server struct {
	cfg       Config
	log       *slog.Logger
	store     *sessionStore
	backend   *backendClient
	refresher *refresher
	handler   http.Handler
}

// NewServer checks cfg and builds the proxy. Call Close when done with it to
// drop its idle backend connections.
func NewServer(cfg Config) (*Server, error) {
	if cfg.BackendTimeout == 0 {
		cfg.BackendTimeout = DefaultBackendTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.now == nil {
		cfg.now = time.Now
	}
	cfg.Mapping.ApplyDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("reference config: %w", err)
	}
	store, err := newSessionStore(cfg)
	if err != nil {
		return nil, fmt.Errorf("reference config: %w", err)
	}
	backend := newBackendClient(cfg.BackendURL, cfg.Mapping, cfg.BackendTimeout)
	s := &Server{
		cfg:       cfg,
		log:       cfg.Logger,
		store:     store,
		backend:   backend,
		refresher: newRefresher(backend, cfg.Logger, cfg.now),
	}
	if cfg.RedisURL != "" {
		shared, err := newSharedRefresh(cfg.RedisURL, store.codecs, cfg.BackendTimeout, cfg.Logger)
		if err != nil {
			return nil, fmt.Errorf("reference config: %s: %w", EnvRedisURL, err)
		}
		s.refresher.shared = shared
	}
	s.handler = s.routes()
	return s, nil
}

// ServeHTTP serves one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

// Close drops the idle connections to the backend, and to Redis.
func (s *Server) Close() {
	s.backend.close()
	if s.refresher.shared != nil {
		_ = s.refresher.shared.close()
	}
}
