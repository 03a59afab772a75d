package events

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkDecodeValidate decodes and checks a batch of 500 JSON Lines
// events; it reports the cost per event.
func BenchmarkDecodeValidate(b *testing.B) {
	var sb strings.Builder
	for i := 0; i < 500; i++ {
		fmt.Fprintf(&sb, `{"id":"e%d","type":"cart_updated","customer_id":"c-%d","timestamp":"2026-11-23T09:00:00Z","attributes":{"cart_value":%d},"traits":{"tier":"gold"}}`+"\n", i, i%97, i)
	}
	body := []byte(sb.String())
	schema := testSchema()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		raws, err := Decode(body, DefaultLimits)
		if err != nil {
			b.Fatal(err)
		}
		res := Validate(raws, schema, arrival, nil)
		for _, r := range res {
			if r.Rejected != nil {
				b.Fatal(r.Rejected.Reason)
			}
			r.Event.AppendBinary(nil)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*500), "ns/event")
}
