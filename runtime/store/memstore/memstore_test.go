package memstore_test

import (
	"testing"
	"time"

	"github.com/waymarkhq/waymark/runtime/store"
	"github.com/waymarkhq/waymark/runtime/store/memstore"
	"github.com/waymarkhq/waymark/runtime/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Opener{
		Open: func(t *testing.T, now func() time.Time) store.Store {
			return memstore.New(memstore.Options{DedupWindow: storetest.Window, Now: now})
		},
	})
}
