package sdk

import (
	"sync/atomic"
	"testing"
	"time"
)

func TestWatchParent(t *testing.T) {
	var ppid atomic.Int64
	ppid.Store(100)
	gone := make(chan struct{})
	stop := watchParent(func() int { return int(ppid.Load()) }, time.Millisecond, func() { close(gone) })
	defer stop()
	select {
	case <-gone:
		t.Fatal("gone called while the parent lives")
	case <-time.After(20 * time.Millisecond):
	}
	ppid.Store(1) // re-parented to init
	select {
	case <-gone:
	case <-time.After(2 * time.Second):
		t.Fatal("gone not called after the parent changed")
	}
}

func TestDebugRequested(t *testing.T) {
	for args, want := range map[string]bool{"": false, "-debug": true, "--debug": true, "-debugger": false} {
		if got := debugRequested([]string{args}); got != want {
			t.Errorf("debugRequested(%q) = %v", args, got)
		}
	}
}
