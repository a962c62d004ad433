//go:build !unix

package ddblocal

import (
	"os/exec"
	"syscall"
)

func sysProcAttr() *syscall.SysProcAttr { return nil }

// signalGroup kills the java process (no process groups here).
func signalGroup(cmd *exec.Cmd, _ bool) error { return cmd.Process.Kill() }
