package ddblocal

import "syscall"

// sysProcAttr puts java in its own process group (so Stop can kill the
// group) and has the kernel SIGKILL it if the parent dies first, e.g. when
// a test binary panics or hits -timeout before Stop runs.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
