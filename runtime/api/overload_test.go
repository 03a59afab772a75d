package api_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/runtime/api"
	"github.com/waymarkhq/waymark/runtime/client"
	"github.com/waymarkhq/waymark/runtime/internal/fixture"
	"github.com/waymarkhq/waymark/runtime/service"
	"github.com/waymarkhq/waymark/runtime/store/memstore"
)

// TestOverload: a runtime whose engine is behind answers 429 with
// Retry-After and takes nothing, instead of queueing without bound.
func TestOverload(t *testing.T) {
	key := make([]byte, service.KeySize)
	svc, err := service.New(context.Background(), service.Config{Store: memstore.New(memstore.Options{}), SecretKey: key, MaxBacklog: 1000})
	if err != nil {
		t.Fatal(err)
	}
	// The engine is not running, so nothing is processed.
	srv := httptest.NewServer(api.New(svc, api.Options{Insecure: true, RetryAfter: 2}))
	defer srv.Close()
	c := client.New(srv.URL, "", nil)
	// Deploy waits for activation only as long as its context allows; the
	// deployment is durable either way.
	dctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := svc.Deploy(dctx, "growth", 0, fixture.Growth(), "test"); err != nil {
		t.Fatal(err)
	}
	line := `{"type":"cart_updated","customer_id":"c","attributes":{"cart_value":30}}` + "\n"
	res, err := c.SendEvents(ctxShort(t), []byte(strings.Repeat(line, 900)))
	if err != nil || res.Accepted != 900 {
		t.Fatalf("first batch: %+v %v", res, err)
	}
	_, err = c.SendEvents(ctxShort(t), []byte(strings.Repeat(line, 200)))
	ce, ok := err.(*client.Error)
	if !ok || ce.Status != 429 || ce.Code != "overloaded" || ce.RetryAfter != 2*time.Second {
		t.Fatalf("batch past the backlog: %v", err)
	}
}

func ctxShort(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return c
}

// TestTLS serves HTTPS when given a certificate.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	certPEM, keyPEM := selfSigned(t)
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, certPEM, 0o600)
	os.WriteFile(keyFile, keyPEM, 0o600)
	p := serve(t, filepath.Join(dir, "data"), "-tls-cert", certFile, "-tls-key", keyFile)
	if !strings.HasPrefix(p.addr, "https://") {
		t.Fatalf("address %s", p.addr)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	if _, err := client.New(p.addr, p.token, hc).History(ctx(t), "growth"); err != nil {
		t.Fatalf("over TLS: %v", err)
	}
	// Plain HTTP to the TLS port is not served.
	if resp, err := http.Get(strings.Replace(p.addr, "https://", "http://", 1) + "/healthz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Fatal("plain HTTP was served")
		}
	}
}

func selfSigned(t *testing.T) (certPEM, keyPEM []byte) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "waymark test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(k)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
}
