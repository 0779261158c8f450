// Package freeport finds free ports on this machine's loopback, where every
// process the project starts for a test or a run listens: targets, Redis.
package freeport

import (
	"fmt"
	"net"
)

// Loopback asks the kernel for a port on 127.0.0.1 that is free now. The
// caller hands it to a process that listens on it a moment later, so
// another process may take it first; a start that fails on it says so.
func Loopback() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free loopback port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
