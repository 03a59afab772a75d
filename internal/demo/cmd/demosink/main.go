// Command demosink runs the demo's delivery sink (an SMTP server and a
// webhook receiver on loopback) until it is interrupted, then prints what
// it received.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"syscall"

	"github.com/waymarkhq/waymark/internal/demo/sink"
)

func main() {
	smtpAddr := flag.String("smtp", "127.0.0.1:1025", "where to receive email")
	httpAddr := flag.String("http", "127.0.0.1:8099", "where to receive webhooks")
	flag.Parse()
	s, err := sink.Start(*smtpAddr, *httpAddr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "demosink:", err)
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	c := s.Counts()
	s.Close()
	fmt.Printf("The sink received %d emails and %d webhooks (%d repeated deliveries dropped by idempotency key).\n", c.Emails, c.Webhooks, c.Duplicates)
	fmt.Printf("%d of the emails offered one-click unsubscribe (RFC 8058) with their recipient's own link (receipts, being transactional, do not).\n", c.OneClick)
	// Deliveries race; the ids count the KPI's changes in order.
	sort.Slice(c.Alerts, func(i, j int) bool { return c.Alerts[i].Key < c.Alerts[j].Key })
	for _, a := range c.Alerts {
		fmt.Printf("  KPI alert %s: %s, %.3g against a target of %.3g\n", a.Key, a.State, a.Value, a.Target)
	}
}
