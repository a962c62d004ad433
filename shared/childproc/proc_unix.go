//go:build unix && !linux

package childproc

import "syscall"

// sysProcAttr gives the child its own process group.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
