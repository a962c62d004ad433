package childproc

import "syscall"

// sysProcAttr gives the child its own process group and has the kernel
// SIGKILL it if the parent dies first.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
