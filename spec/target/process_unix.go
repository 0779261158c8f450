//go:build unix

package target

import (
	"os/exec"
	"syscall"
)

// inOwnGroup starts cmd in a process group of its own, so that stopping it
// stops what its shell started too (npm run start, go run, a dev server's
// workers).
func inOwnGroup(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} }

// terminateGroup asks cmd's process group to stop (SIGTERM).
func terminateGroup(cmd *exec.Cmd) { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }

// killGroup stops cmd's process group at once (SIGKILL).
func killGroup(cmd *exec.Cmd) { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
