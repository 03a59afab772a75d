package deploy

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Sensitive values are never shown by the runtime's API: where a Document
// leaves the runtime, each value at one of an object's Sensitive paths is
// withheld and a digest stands in its place, encoded as
// {"sensitive": true, "digest": "<hex>"}. The planner compares a desired
// value with a deployed one by computing the digest of the desired value
// with SensitiveDigest and the same key.

// Withheld is what stands in place of a sensitive value in the runtime's
// API.
type Withheld struct {
	Sensitive bool   `json:"sensitive"`
	Digest    string `json:"digest"`
}

// Digests holds the digests of withheld values: by object address, then by
// attribute path.
type Digests map[string]map[string]string

// Digest returns the digest of the value withheld at address and path.
func (d Digests) Digest(address, path string) (string, bool) {
	s, ok := d[address][path]
	return s, ok
}

// SensitiveDigest returns the digest that stands for a sensitive value: the
// hex HMAC-SHA256, keyed by the stack's digest key, of the value's canonical
// JSON. value is a generic JSON value as Object.Attributes returns it, or a
// json.RawMessage. Canonical JSON is compact, with object keys sorted, no
// HTML escaping and numbers as written.
func SensitiveDigest(key []byte, value any) (string, error) {
	b, err := CanonicalJSON(value)
	if err != nil {
		return "", err
	}
	m := hmac.New(sha256.New, key)
	m.Write(b)
	return hex.EncodeToString(m.Sum(nil)), nil
}

// CanonicalJSON encodes a generic JSON value compactly, with object keys
// sorted, without HTML escaping and with numbers as written.
func CanonicalJSON(value any) ([]byte, error) {
	if raw, ok := value.(json.RawMessage); ok {
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		var v any
		if err := d.Decode(&v); err != nil {
			return nil, fmt.Errorf("reading a value to digest: %w", err)
		}
		value = v
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(value); err != nil {
		return nil, fmt.Errorf("encoding a value to digest: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// EncodeWithheld encodes d as the runtime's API returns it: the canonical
// JSON of the Document, indented, in which each sensitive value is replaced
// by {"sensitive": true, "digest": SensitiveDigest(key, value)}.
func EncodeWithheld(d *Document, key []byte) ([]byte, error) {
	plain, err := d.Encode()
	if err != nil {
		return nil, err
	}
	withhold := false
	for i := range d.Objects {
		withhold = withhold || len(d.Objects[i].Sensitive) > 0
	}
	if !withhold {
		return plain, nil
	}
	return rewriteObjects(plain, func(address string, paths []string, body map[string]any) error {
		for _, path := range paths {
			v, ok := PathValue(body, path)
			if !ok || IsWithheld(v) {
				continue
			}
			digest, err := SensitiveDigest(key, v)
			if err != nil {
				return fmt.Errorf("%s: %w", address, err)
			}
			SetPathValue(body, path, map[string]any{"sensitive": true, "digest": digest})
		}
		return nil
	}, true)
}

// DecodeWithheld reads a Document as the runtime's API returns it. Each
// withheld value is removed from the Document (its field is left empty) and
// its digest returned in Digests; sensitive values given in the clear stay.
func DecodeWithheld(b []byte) (*Document, Digests, error) {
	digests := Digests{}
	if !bytes.Contains(b, []byte(`"digest"`)) {
		doc, err := Decode(b) // nothing withheld
		return doc, digests, err
	}
	plain, err := rewriteObjects(b, func(address string, paths []string, body map[string]any) error {
		for _, path := range paths {
			v, ok := PathValue(body, path)
			if !ok || !IsWithheld(v) {
				continue
			}
			if digests[address] == nil {
				digests[address] = map[string]string{}
			}
			digests[address][path] = v.(map[string]any)["digest"].(string)
			deletePath(body, path)
		}
		return nil
	}, false)
	if err != nil {
		return nil, nil, err
	}
	doc, err := Decode(plain)
	if err != nil {
		return nil, nil, err
	}
	return doc, digests, nil
}

// rewriteObjects applies f to the body of each object of an encoded
// Document that lists sensitive paths, and returns the Document encoded
// again. The other objects are copied as they are.
func rewriteObjects(b []byte, f func(address string, paths []string, body map[string]any) error, indent bool) ([]byte, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		return nil, fmt.Errorf("reading deployment: %w", err)
	}
	var objs []json.RawMessage
	if raw, ok := top["objects"]; ok && string(raw) != "null" {
		if err := json.Unmarshal(raw, &objs); err != nil {
			return nil, fmt.Errorf("reading deployment: %w", err)
		}
	}
	changed := false
	for i, raw := range objs {
		if !bytes.Contains(raw, []byte(`"sensitive"`)) {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil {
			return nil, fmt.Errorf("reading deployment: %w", err)
		}
		address, _ := obj["address"].(string)
		kind, _ := obj["kind"].(string)
		body, _ := obj[kind].(map[string]any)
		var paths []string
		list, _ := obj["sensitive"].([]any)
		for _, s := range list {
			if p, ok := s.(string); ok {
				paths = append(paths, p)
			}
		}
		if body == nil || len(paths) == 0 {
			continue
		}
		if err := f(address, paths, body); err != nil {
			return nil, err
		}
		out, err := marshal(obj)
		if err != nil {
			return nil, err
		}
		objs[i] = bytes.TrimSuffix(out, []byte("\n"))
		changed = true
	}
	if !changed {
		return b, nil
	}
	// The parts are valid JSON already: join them without encoding again.
	var list bytes.Buffer
	list.WriteByte('[')
	for i, o := range objs {
		if i > 0 {
			list.WriteByte(',')
		}
		list.Write(o)
	}
	list.WriteByte(']')
	top["objects"] = list.Bytes()
	keys := make([]string, 0, len(top))
	for k := range top {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out bytes.Buffer
	out.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			out.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		out.Write(kb)
		out.WriteByte(':')
		out.Write(top[k])
	}
	out.WriteByte('}')
	if !indent {
		return out.Bytes(), nil
	}
	var ind bytes.Buffer
	if err := json.Indent(&ind, out.Bytes(), "", "  "); err != nil {
		return nil, fmt.Errorf("encoding deployment: %w", err)
	}
	ind.WriteByte('\n')
	return ind.Bytes(), nil
}

func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encoding deployment: %w", err)
	}
	return buf.Bytes(), nil
}

// IsWithheld reports whether a generic JSON value is a withheld sensitive
// value: {"sensitive": true, "digest": "<hex>"}.
func IsWithheld(v any) bool {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 2 {
		return false
	}
	s, _ := m["sensitive"].(bool)
	_, d := m["digest"].(string)
	return s && d
}

// PathValue returns the value at a sensitive path (object keys and list
// indexes joined with dots) in a generic JSON value.
func PathValue(v any, path string) (any, bool) {
	for _, step := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			c, ok := x[step]
			if !ok {
				return nil, false
			}
			v = c
		case []any:
			i, err := strconv.Atoi(step)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// SetPathValue sets the value at path in a generic JSON value, creating the
// objects on the way that are missing; it reports whether it could.
func SetPathValue(v any, path string, value any) bool {
	steps := strings.Split(path, ".")
	for i, step := range steps {
		last := i == len(steps)-1
		switch x := v.(type) {
		case map[string]any:
			if last {
				x[step] = value
				return true
			}
			c, ok := x[step]
			if !ok || c == nil {
				c = map[string]any{}
				x[step] = c
			}
			v = c
		case []any:
			n, err := strconv.Atoi(step)
			if err != nil || n < 0 || n >= len(x) {
				return false
			}
			if last {
				x[n] = value
				return true
			}
			v = x[n]
		default:
			return false
		}
	}
	return false
}

// deletePath removes the value at path: an object key is deleted, a list
// element set to null.
func deletePath(v any, path string) {
	i := strings.LastIndexByte(path, '.')
	parent, leaf := v, path
	if i >= 0 {
		var ok bool
		if parent, ok = PathValue(v, path[:i]); !ok {
			return
		}
		leaf = path[i+1:]
	}
	switch x := parent.(type) {
	case map[string]any:
		delete(x, leaf)
	case []any:
		if n, err := strconv.Atoi(leaf); err == nil && n >= 0 && n < len(x) {
			x[n] = nil
		}
	}
}
