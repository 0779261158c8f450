package fakebackend

import "time"

// NewServerSweepingEvery is NewServer with a faster background sweeper, so
// a test can watch it work without waiting a minute.
func NewServerSweepingEvery(cfg Config, period time.Duration) (*Server, error) {
	return newServer(cfg, period)
}

// SetJournalCaps lowers the journal's bounds so a test can reach them.
func (s *Server) SetJournalCaps(entries, bodyBytes int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.journalCap, s.journalBodyCap = entries, bodyBytes
}

// Held is the number of requests a delay fault holds right now.
func (s *Server) Held() int { return int(s.held.Load()) }
