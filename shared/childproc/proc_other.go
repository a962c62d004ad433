//go:build !unix

package childproc

import (
	"os/exec"
	"syscall"
)

func sysProcAttr() *syscall.SysProcAttr { return nil }

// signalGroup kills the child (no process groups here).
func signalGroup(cmd *exec.Cmd, _ bool) error { return cmd.Process.Kill() }
