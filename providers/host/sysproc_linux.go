package host

import "syscall"

// sysProcAttr makes the kernel kill a provider when the thread that started
// it exits, which for a Go program is when the host process dies (even of
// SIGKILL, which go-plugin cannot notice).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
