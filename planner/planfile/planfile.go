package planfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/planner/plans"
)

// Kind marks a file as a Waymark plan.
const Kind = "waymark-plan"

// MaxSize bounds the size of a plan file that Read reads.
const MaxSize = 256 << 20

type file struct {
	Kind            string                    `json:"kind"`
	FormatVersion   int                       `json:"format_version"`
	WaymarkVersion  string                    `json:"waymark_version"`
	Stack           string                    `json:"stack"`
	BaseSerial      int64                     `json:"base_serial"`
	CreatedAt       time.Time                 `json:"created_at"`
	Destroy         bool                      `json:"destroy,omitempty"`
	Variables       map[string]plans.Variable `json:"variables,omitempty"`
	Prior           json.RawMessage           `json:"prior"`
	Desired         json.RawMessage           `json:"desired"`
	Changes         []plans.Change            `json:"changes"`
	ProviderChanges []plans.ProviderChange    `json:"provider_changes,omitempty"`
}

// Write saves the plan at path with mode 0600, replacing any file there
// atomically.
func Write(path string, p *plans.Plan) error {
	if p.Desired == nil {
		return fmt.Errorf("writing plan file %s: the plan has no configuration", path)
	}
	desired, err := p.Desired.Encode()
	if err != nil {
		return fmt.Errorf("writing plan file %s: %w", path, err)
	}
	prior := []byte("null")
	if p.Prior != nil {
		if prior, err = p.Prior.Encode(); err != nil {
			return fmt.Errorf("writing plan file %s: %w", path, err)
		}
	}
	f := file{
		Kind: Kind, FormatVersion: plans.FormatVersion, WaymarkVersion: p.WaymarkVersion,
		Stack: p.Stack, BaseSerial: p.BaseSerial, CreatedAt: p.CreatedAt, Destroy: p.Destroy,
		Variables: p.Variables, Prior: prior, Desired: desired,
		Changes: p.Changes, ProviderChanges: p.ProviderChanges,
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&f); err != nil {
		return fmt.Errorf("writing plan file %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".waymark-plan-*")
	if err != nil {
		return fmt.Errorf("writing plan file %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // after the rename, there is nothing to remove
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("writing plan file %s: %w", path, err)
	}
	if _, err := tmp.Write(buf.Bytes()); err != nil {
		tmp.Close()
		return fmt.Errorf("writing plan file %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing plan file %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing plan file %s: %w", path, err)
	}
	return nil
}

// Read reads a plan written by Write, refusing a file that is not a plan or
// that was written in another format version.
func Read(path string) (*plans.Plan, error) {
	b, err := readLimited(path)
	if err != nil {
		return nil, err
	}
	var probe struct {
		Kind           string `json:"kind"`
		FormatVersion  int    `json:"format_version"`
		WaymarkVersion string `json:"waymark_version"`
	}
	if err := json.Unmarshal(b, &probe); err != nil || probe.Kind != Kind {
		return nil, fmt.Errorf("%s is not a Waymark plan file", path)
	}
	if probe.FormatVersion != plans.FormatVersion {
		return nil, fmt.Errorf("plan file %s has format version %d (written by waymark %s); this waymark reads format version %d only: make the plan again with this version",
			path, probe.FormatVersion, probe.WaymarkVersion, plans.FormatVersion)
	}
	var f file
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("reading plan file %s: %w", path, err)
	}
	desired, err := deploy.Decode(f.Desired)
	if err != nil {
		return nil, fmt.Errorf("reading plan file %s: %w", path, err)
	}
	var prior *deploy.Document
	if len(f.Prior) > 0 && string(f.Prior) != "null" {
		if prior, err = deploy.Decode(f.Prior); err != nil {
			return nil, fmt.Errorf("reading plan file %s: %w", path, err)
		}
	}
	if desired.Stack != f.Stack {
		return nil, fmt.Errorf("reading plan file %s: its configuration is for stack %q, not %q", path, desired.Stack, f.Stack)
	}
	return &plans.Plan{
		FormatVersion: f.FormatVersion, WaymarkVersion: f.WaymarkVersion,
		Stack: f.Stack, BaseSerial: f.BaseSerial, Prior: prior, Desired: desired,
		Changes: f.Changes, ProviderChanges: f.ProviderChanges, Variables: f.Variables,
		Destroy: f.Destroy, CreatedAt: f.CreatedAt,
	}, nil
}

func readLimited(path string) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading plan file: %w", err)
	}
	defer fh.Close()
	info, err := fh.Stat()
	if err != nil {
		return nil, fmt.Errorf("reading plan file: %w", err)
	}
	if info.Size() > MaxSize {
		return nil, fmt.Errorf("plan file %s is %d bytes; a plan file may be at most %d", path, info.Size(), MaxSize)
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(fh); err != nil {
		return nil, fmt.Errorf("reading plan file %s: %w", path, err)
	}
	if buf.Len() == 0 {
		return nil, errors.New("plan file " + path + " is empty")
	}
	return buf.Bytes(), nil
}
