//go:build !linux

package host

import "syscall"

// sysProcAttr is empty where there is no parent-death signal; sdk.Serve's
// watch of its parent process ends orphaned providers there.
func sysProcAttr() *syscall.SysProcAttr { return nil }
