package api_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/runtime/apiv1"
	"github.com/waymarkhq/waymark/runtime/store/boltstore"
)

// TestSensitiveAtRest: a customer's sensitive attribute, sent as a trait
// and kept in the profile, is nowhere in the store file in plaintext; the
// runtime still reads it back after a restart.
func TestSensitiveAtRest(t *testing.T) {
	data := t.TempDir()
	p := serve(t, data)
	c := p.client(p.token)
	if _, err := c.Deploy(ctx(t), "growth", 0, growth()); err != nil {
		t.Fatal(err)
	}
	const email = "ana.secret@example.com"
	stamp := time.Now().UTC().Add(-time.Minute).Format(time.RFC3339Nano)
	ev := fmt.Sprintf(`{"id":"e1","type":"cart_updated","customer_id":"c-42","timestamp":%q,"attributes":{"cart_value":80},"traits":{"tier":"gold","email":%q}}`, stamp, email)
	if res, err := c.SendEvents(ctx(t), []byte(ev)); err != nil || res.Accepted != 1 {
		t.Fatalf("send: %+v %v", res, err)
	}
	if err := c.Sync(ctx(t)); err != nil {
		t.Fatal(err)
	}
	p.stop()
	file, err := os.ReadFile(filepath.Join(data, boltstore.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(file, []byte("c-42")) {
		t.Fatal("the store file does not hold the customer at all: the test reads the wrong file")
	}
	if bytes.Contains(file, []byte(email)) {
		t.Fatal("the sensitive email is in the store file in plaintext")
	}
	// The profile is read back, decrypted, after a restart.
	p2 := serve(t, data)
	var cu *apiv1.Customer
	// The deployment is activated again as the log is read.
	eventually(t, 20*time.Second, func() error {
		var err error
		cu, err = p2.client(p.token).Customer(ctx(t), "c-42")
		if err != nil || cu.Profile["tier"] != "gold" {
			return fmt.Errorf("after restart: %+v %v", cu, err)
		}
		return nil
	})
	if e, _ := cu.Profile["email"].(map[string]any); e["sensitive"] != true {
		t.Fatalf("the email after restart: %v", cu.Profile["email"])
	}
}
