package service

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadKey(t *testing.T) {
	dir := t.TempDir()
	k1, created, err := LoadKey("", "", dir)
	if err != nil || !created || len(k1) != KeySize {
		t.Fatalf("first start: %v %v %d", err, created, len(k1))
	}
	fi, err := os.Stat(filepath.Join(dir, KeyFileName))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi, err)
	}
	k2, created, err := LoadKey("", "", dir)
	if err != nil || created || string(k2) != string(k1) {
		t.Fatalf("second start: %v %v", err, created)
	}
	env := strings.Repeat("ab", KeySize)
	k3, _, err := LoadKey("", env, dir)
	if err != nil || hex.EncodeToString(k3) != env {
		t.Fatalf("WAYMARK_SECRET_KEY: %v", err)
	}
	file := filepath.Join(dir, "other.key")
	os.WriteFile(file, []byte(strings.Repeat("cd", KeySize)+"\n"), 0o600)
	if k4, _, err := LoadKey(file, env, dir); err != nil || k4[0] != 0xcd {
		t.Fatalf("-secret-key-file wins: %v", err)
	}
	if _, _, err := LoadKey("", "short", dir); err == nil || strings.Contains(err.Error(), "short") {
		t.Fatalf("a bad key: %v (must not echo the key)", err)
	}
}

func TestSealAndDigest(t *testing.T) {
	k, _ := newKeys(make([]byte, KeySize))
	sealed := k.seal([]byte("secret document"))
	if strings.Contains(string(sealed), "secret") {
		t.Fatal("sealed data holds the plain text")
	}
	if plain, err := k.open(sealed); err != nil || string(plain) != "secret document" {
		t.Fatalf("open: %q %v", plain, err)
	}
	other, _ := newKeys([]byte(strings.Repeat("x", KeySize)))
	if _, err := other.open(sealed); err == nil {
		t.Fatal("another key opened the data")
	}
	if k.hmac([]byte("a")) != k.hmac([]byte("a")) || k.hmac([]byte("a")) == other.hmac([]byte("a")) {
		t.Fatal("digests must be stable per key and differ between keys")
	}
}

func TestReplaceAt(t *testing.T) {
	var v any
	json.Unmarshal([]byte(`{"config":{"password":"p","host":"h"},"exits":[{"condition":"a"},{"condition":"b"}]}`), &v)
	mask := func(any) any { return "MASKED" }
	replaceAt(v, []string{"config", "password"}, mask)
	replaceAt(v, []string{"exits", "1", "condition"}, mask)
	replaceAt(v, []string{"exits", "7", "condition"}, mask)
	replaceAt(v, []string{"nothing", "here"}, mask)
	b, _ := json.Marshal(v)
	if string(b) != `{"config":{"host":"h","password":"MASKED"},"exits":[{"condition":"a"},{"condition":"MASKED"}]}` {
		t.Fatalf("got %s", b)
	}
}
