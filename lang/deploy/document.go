package deploy

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
)

// FormatVersion is the version of the Document format this package writes.
// A reader refuses a Document of a newer version.
const FormatVersion = 1

// Document is the whole desired state of one stack.
type Document struct {
	FormatVersion int    `json:"format_version"`
	Stack         string `json:"stack"`
	// WaymarkVersion is the version of the CLI that built the Document.
	WaymarkVersion string `json:"waymark_version,omitempty"`
	// Providers the channels use, sorted by local name.
	Providers []Provider `json:"providers"`
	// Objects sorted by address.
	Objects []Object `json:"objects"`
	// Moves are the configuration's moved blocks, in the order written.
	Moves []Move `json:"moves,omitempty"`
}

// Provider is a provider the stack's channels use.
type Provider struct {
	Name    string   `json:"name"`   // local name: smtp
	Source  string   `json:"source"` // waymark/smtp
	Version string   `json:"version,omitempty"`
	Hashes  []string `json:"hashes,omitempty"`
}

// Move is a moved block: customers in flight at From go to To.
type Move struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// Object is one deployable object. Exactly one of the kind-specific fields is
// set, the one that Kind names.
type Object struct {
	Address string `json:"address"`
	Kind    Kind   `json:"kind"`
	// Sensitive lists the attributes (by JSON name, nested ones joined with
	// dots) that hold sensitive values.
	Sensitive []string `json:"sensitive,omitempty"`

	CustomerAttribute *CustomerAttribute `json:"customer_attribute,omitempty"`
	Event             *Event             `json:"event,omitempty"`
	Channel           *Channel           `json:"channel,omitempty"`
	Segment           *Segment           `json:"segment,omitempty"`
	Journey           *Journey           `json:"journey,omitempty"`
	Stage             *Stage             `json:"stage,omitempty"`
	Action            *Action            `json:"action,omitempty"`
	KPI               *KPI               `json:"kpi,omitempty"`
	Arbitration       *Arbitration       `json:"arbitration,omitempty"`
}

// Body returns the kind-specific part of the object.
func (o *Object) Body() any {
	switch o.Kind {
	case KindCustomerAttribute:
		return o.CustomerAttribute
	case KindEvent:
		return o.Event
	case KindChannel:
		return o.Channel
	case KindSegment:
		return o.Segment
	case KindJourney:
		return o.Journey
	case KindStage:
		return o.Stage
	case KindAction:
		return o.Action
	case KindKPI:
		return o.KPI
	case KindArbitration:
		return o.Arbitration
	}
	return nil
}

// Attributes returns the kind-specific part of the object as a generic JSON
// value (maps, slices, strings, float64 numbers, bools), for diffing.
func (o *Object) Attributes() (map[string]any, error) {
	b, err := json.Marshal(o.Body())
	if err != nil {
		return nil, fmt.Errorf("encoding %s: %w", o.Address, err)
	}
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", o.Address, err)
	}
	return m, nil
}

// IsSensitive reports whether the attribute at path is sensitive.
func (o *Object) IsSensitive(path string) bool {
	for _, s := range o.Sensitive {
		if s == path {
			return true
		}
	}
	return false
}

// Object returns the object at address, or nil.
func (d *Document) Object(address string) *Object {
	i := sort.Search(len(d.Objects), func(i int) bool { return d.Objects[i].Address >= address })
	if i < len(d.Objects) && d.Objects[i].Address == address {
		return &d.Objects[i]
	}
	return nil
}

// Normalize sorts objects and providers so that equal states encode to
// equal bytes. Build and Decode both call it.
func (d *Document) Normalize() {
	if d.FormatVersion == 0 {
		d.FormatVersion = FormatVersion
	}
	if d.Providers == nil {
		d.Providers = []Provider{}
	}
	if d.Objects == nil {
		d.Objects = []Object{}
	}
	sort.Slice(d.Providers, func(i, j int) bool { return d.Providers[i].Name < d.Providers[j].Name })
	sort.SliceStable(d.Objects, func(i, j int) bool { return d.Objects[i].Address < d.Objects[j].Address })
	for i := range d.Objects {
		sort.Strings(d.Objects[i].Sensitive)
	}
}

// Encode returns the canonical JSON encoding of the Document: the same state
// always gives the same bytes.
func (d *Document) Encode() ([]byte, error) {
	c := *d
	c.Objects = append([]Object(nil), d.Objects...)
	c.Providers = append([]Provider(nil), d.Providers...)
	c.Normalize()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(&c); err != nil {
		return nil, fmt.Errorf("encoding deployment of stack %q: %w", d.Stack, err)
	}
	return buf.Bytes(), nil
}

// Digest is the hex SHA-256 of the canonical encoding.
func (d *Document) Digest() (string, error) {
	b, err := d.Encode()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// Decode reads a Document, refusing unknown fields and newer formats.
func Decode(b []byte) (*Document, error) {
	var probe struct {
		FormatVersion int `json:"format_version"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return nil, fmt.Errorf("reading deployment: %w", err)
	}
	if probe.FormatVersion < 1 || probe.FormatVersion > FormatVersion {
		return nil, fmt.Errorf("deployment format_version %d is not supported (this build reads 1 to %d)", probe.FormatVersion, FormatVersion)
	}
	var d Document
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("reading deployment: %w", err)
	}
	d.Normalize()
	for i := range d.Objects {
		o := &d.Objects[i]
		if err := o.check(); err != nil {
			return nil, err
		}
		if i > 0 && d.Objects[i-1].Address == o.Address {
			return nil, fmt.Errorf("deployment has two objects at %s", o.Address)
		}
	}
	return &d, nil
}

func (o *Object) check() error {
	set := 0
	for _, p := range []bool{o.CustomerAttribute != nil, o.Event != nil, o.Channel != nil, o.Segment != nil,
		o.Journey != nil, o.Stage != nil, o.Action != nil, o.KPI != nil, o.Arbitration != nil} {
		if p {
			set++
		}
	}
	if set != 1 || o.Body() == nil {
		return fmt.Errorf("deployment object %s of kind %q must have exactly the %q body", o.Address, o.Kind, o.Kind)
	}
	return nil
}
