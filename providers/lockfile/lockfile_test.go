package lockfile

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const (
	hashA = "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	hashB = "sha256:60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752"
)

func TestBytesGolden(t *testing.T) {
	f := New()
	f.Providers["acme/slack"] = &Provider{Source: "acme/slack", Version: "1.2.0", Constraints: "~> 1.2", Hashes: []string{hashB, hashA, hashA}}
	f.Providers["acme/sms"] = &Provider{Source: "acme/sms", Version: "0.3.1", Hashes: []string{hashA}}
	got := f.Bytes()
	golden := filepath.Join("testdata", "lock.golden.hcl")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("lock file differs from %s (run with -update to accept):\n%s", golden, got)
	}

	back, diags := Parse(got, "lock.hcl")
	if diags.HasErrors() {
		t.Fatalf("parse of written lock: %s", diags)
	}
	p := back.Providers["acme/slack"]
	if p == nil || p.Version != "1.2.0" || p.Constraints != "~> 1.2" || len(p.Hashes) != 2 || !p.HasHash(hashA) || !p.HasHash(hashB) {
		t.Errorf("round trip of acme/slack = %+v", p)
	}
	if !bytes.Equal(back.Bytes(), got) {
		t.Errorf("writing a parsed lock changed it")
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, src, want string
		line            int
	}{
		{"bad version", "provider \"a/b\" {\n  version = \"one\"\n}\n", "Invalid provider version", 2},
		{"bad constraint", "provider \"a/b\" {\n  version = \"1.0.0\"\n  constraints = \"~~ 1\"\n}\n", "Invalid version constraints", 3},
		{"bad hash", "provider \"a/b\" {\n  version = \"1.0.0\"\n  hashes = [\"md5:abc\"]\n}\n", "Invalid provider hash", 3},
		{"duplicate", "provider \"a/b\" {\n  version = \"1.0.0\"\n}\nprovider \"a/b\" {\n  version = \"1.0.0\"\n}\n", "Duplicate provider lock", 4},
		{"missing version", "provider \"a/b\" {\n}\n", "Missing required argument", 1},
		{"unknown block", "module \"x\" {}\n", "Unsupported block type", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := Parse([]byte(tt.src), "x.hcl")
			if !diags.HasErrors() {
				t.Fatalf("no error")
			}
			d := diags[0]
			if !strings.Contains(d.Summary, tt.want) {
				t.Errorf("summary %q, want %q", d.Summary, tt.want)
			}
			if d.Subject == nil || d.Subject.Start.Line != tt.line {
				t.Errorf("subject %v, want line %d", d.Subject, tt.line)
			}
		})
	}
}

func TestLoadMissingAndSave(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	f, diags := Load(path)
	if diags.HasErrors() || len(f.Providers) != 0 {
		t.Fatalf("missing lock: %v %v", f, diags)
	}
	f.Providers["a/b"] = &Provider{Source: "a/b", Version: "1.0.0", Hashes: []string{hashA}}
	if err := f.Save(path); err != nil {
		t.Fatal(err)
	}
	g, diags := Load(path)
	if diags.HasErrors() || g.Providers["a/b"].Version != "1.0.0" {
		t.Fatalf("reload: %v %v", g, diags)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("save left temporary files: %v", entries)
	}
}

func TestHashFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x")
	if err := os.WriteFile(path, []byte("test"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := HashFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != hashA { // sha256("test")
		t.Errorf("HashFile = %s, want %s", got, hashA)
	}
}
