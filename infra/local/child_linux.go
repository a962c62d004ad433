package main

import "syscall"

// sysProcAttr gives the child its own process group and has the kernel
// SIGKILL it when the stack dies first.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
