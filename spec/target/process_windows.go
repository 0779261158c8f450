package target

import "os/exec"

// On Windows there are no process groups to signal: the target's own
// process is stopped, and a grandchild it started may outlive it.

func inOwnGroup(*exec.Cmd) {}

func terminateGroup(cmd *exec.Cmd) { _ = cmd.Process.Kill() }

func killGroup(cmd *exec.Cmd) { _ = cmd.Process.Kill() }
