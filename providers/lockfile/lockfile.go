package lockfile

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"

	"github.com/hashicorp/go-version"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// FileName is the lock file's name, in the configuration's directory.
const FileName = ".waymark.lock.hcl"

// File is the content of a lock file.
type File struct {
	// Providers by source address.
	Providers map[string]*Provider
}

// Provider is one locked provider.
type Provider struct {
	Source      string
	Version     string
	Constraints string
	// Hashes are the accepted hashes of the executable, one per platform,
	// sorted.
	Hashes []string
	// DeclRange is where the provider block is, when read from a file.
	DeclRange hcl.Range
}

// HasHash reports whether h is one of p's hashes.
func (p *Provider) HasHash(h string) bool { return slices.Contains(p.Hashes, h) }

// New returns an empty lock.
func New() *File { return &File{Providers: map[string]*Provider{}} }

// Load reads the lock file at path; a missing file is an empty lock.
func Load(path string) (*File, hcl.Diagnostics) {
	src, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return New(), nil
	}
	if err != nil {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read the lock file", Detail: err.Error()}}
	}
	return Parse(src, path)
}

var hashPattern = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

type providerBody struct {
	Version     string   `hcl:"version"`
	Constraints string   `hcl:"constraints,optional"`
	Hashes      []string `hcl:"hashes,optional"`
}

// Parse reads a lock file's content.
func Parse(src []byte, filename string) (*File, hcl.Diagnostics) {
	f, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, diags
	}
	content, more := f.Body.Content(&hcl.BodySchema{
		Blocks: []hcl.BlockHeaderSchema{{Type: "provider", LabelNames: []string{"source"}}},
	})
	diags = append(diags, more...)
	out := New()
	for _, b := range content.Blocks {
		src := b.Labels[0]
		if prev, ok := out.Providers[src]; ok {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate provider lock",
				Detail:   fmt.Sprintf("Provider %q is locked twice; the first is at %s.", src, prev.DeclRange),
				Subject:  b.DefRange.Ptr(),
			})
			continue
		}
		var pb providerBody
		if more := gohcl.DecodeBody(b.Body, nil, &pb); more.HasErrors() {
			diags = append(diags, more...)
			continue
		}
		attrs, _ := b.Body.JustAttributes()
		rangeOf := func(name string) *hcl.Range {
			if a, ok := attrs[name]; ok {
				return a.Expr.Range().Ptr()
			}
			return b.DefRange.Ptr()
		}
		if _, err := version.NewVersion(pb.Version); err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid provider version", Detail: fmt.Sprintf("Provider %q: %s.", src, err), Subject: rangeOf("version")})
		}
		if pb.Constraints != "" {
			if _, err := version.NewConstraint(pb.Constraints); err != nil {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid version constraints", Detail: fmt.Sprintf("Provider %q: %s.", src, err), Subject: rangeOf("constraints")})
			}
		}
		for _, h := range pb.Hashes {
			if !hashPattern.MatchString(h) {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid provider hash", Detail: fmt.Sprintf("Provider %q: %q is not a hash of the form sha256:<64 hex digits>.", src, h), Subject: rangeOf("hashes")})
			}
		}
		hashes := append([]string(nil), pb.Hashes...)
		sort.Strings(hashes)
		out.Providers[src] = &Provider{Source: src, Version: pb.Version, Constraints: pb.Constraints, Hashes: slices.Compact(hashes), DeclRange: b.DefRange}
	}
	return out, diags
}

// Bytes renders the lock in canonical form, providers sorted by source.
func (f *File) Bytes() []byte {
	w := hclwrite.NewEmptyFile()
	body := w.Body()
	srcs := make([]string, 0, len(f.Providers))
	for s := range f.Providers {
		srcs = append(srcs, s)
	}
	sort.Strings(srcs)
	for i, s := range srcs {
		p := f.Providers[s]
		if i > 0 {
			body.AppendNewline()
		}
		b := body.AppendNewBlock("provider", []string{s}).Body()
		b.SetAttributeValue("version", cty.StringVal(p.Version))
		if p.Constraints != "" {
			b.SetAttributeValue("constraints", cty.StringVal(p.Constraints))
		}
		hashes := append([]string(nil), p.Hashes...)
		sort.Strings(hashes)
		b.SetAttributeRaw("hashes", listTokens(slices.Compact(hashes)))
	}
	var buf bytes.Buffer
	buf.WriteString("# This file is maintained by \"waymark init\".\n# Manual edits may be lost when it next runs.\n\n")
	buf.Write(hclwrite.Format(w.Bytes()))
	return buf.Bytes()
}

// listTokens renders strings as a list with one element per line, as
// Terraform writes hashes.
func listTokens(elems []string) hclwrite.Tokens {
	toks := hclwrite.Tokens{
		{Type: hclsyntax.TokenOBrack, Bytes: []byte("[")},
		{Type: hclsyntax.TokenNewline, Bytes: []byte("\n")},
	}
	for _, e := range elems {
		toks = append(toks, hclwrite.TokensForValue(cty.StringVal(e))...)
		toks = append(toks,
			&hclwrite.Token{Type: hclsyntax.TokenComma, Bytes: []byte(",")},
			&hclwrite.Token{Type: hclsyntax.TokenNewline, Bytes: []byte("\n")},
		)
	}
	return append(toks, &hclwrite.Token{Type: hclsyntax.TokenCBrack, Bytes: []byte("]")})
}

// Save writes the lock to path, replacing it atomically.
func (f *File) Save(path string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".waymark.lock.*.tmp")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(f.Bytes()); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// HashFile returns the lock's hash of the file at path: "sha256:" and the
// hex SHA-256 of its content.
func HashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hashing %s: %w", path, err)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}
