package provschema

import (
	"context"
	"fmt"
	"sort"

	"github.com/zclconf/go-cty/cty"
)

// Schema is what one provider accepts.
type Schema struct {
	// Provider is the provider's source address, such as "waymark/smtp".
	Provider string
	// Version is the provider's version.
	Version string
	// Delivers is false for providers whose channels are answered through
	// the decide API and never delivered to (the built-in inbound).
	Delivers bool
	// Channel lists the attributes of a channel block using this provider,
	// beside the language's own (provider, consent, limit, quiet_hours).
	Channel []Attribute
	// Message lists the attributes of an action's message block.
	Message []Attribute
}

// Attribute describes one attribute of a channel or message block.
type Attribute struct {
	Name        string
	Type        cty.Type
	Required    bool
	Sensitive   bool
	Description string
	// PerDelivery marks a channel attribute that is a runtime expression
	// evaluated for each delivery (smtp's to). Message attributes are always
	// per delivery: they are templates rendered for each customer.
	PerDelivery bool
	// Recipient marks an attribute that may carry a sensitive customer
	// attribute (an address to deliver to); no other may.
	Recipient bool
}

// ChannelAttribute returns the named channel attribute, or nil.
func (s *Schema) ChannelAttribute(name string) *Attribute { return find(s.Channel, name) }

// MessageAttribute returns the named message attribute, or nil.
func (s *Schema) MessageAttribute(name string) *Attribute { return find(s.Message, name) }

func find(attrs []Attribute, name string) *Attribute {
	for i := range attrs {
		if attrs[i].Name == name {
			return &attrs[i]
		}
	}
	return nil
}

// Validate reports a schema that contradicts itself, such as a duplicate
// attribute or a message attribute that is not a string.
func (s *Schema) Validate() error {
	for _, set := range []struct {
		what  string
		attrs []Attribute
	}{{"channel", s.Channel}, {"message", s.Message}} {
		seen := map[string]bool{}
		for _, a := range set.attrs {
			if a.Name == "" {
				return fmt.Errorf("provider %s: a %s attribute has no name", s.Provider, set.what)
			}
			if seen[a.Name] {
				return fmt.Errorf("provider %s: %s attribute %q is declared twice", s.Provider, set.what, a.Name)
			}
			seen[a.Name] = true
			if a.Type == cty.NilType {
				return fmt.Errorf("provider %s: %s attribute %q has no type", s.Provider, set.what, a.Name)
			}
			if set.what == "message" && !a.Type.Equals(cty.String) {
				return fmt.Errorf("provider %s: message attribute %q must be a string: messages are templates", s.Provider, a.Name)
			}
		}
	}
	return nil
}

// Severity of a provider diagnostic.
type Severity int

const (
	Error Severity = iota
	Warning
)

// Diagnostic is a provider's finding about a channel or message. Path names
// the attribute it is about (empty for the block as a whole) so that the
// loader can point at the right line of the user's file.
type Diagnostic struct {
	Severity Severity
	Summary  string
	Detail   string
	Path     []string
}

// Source gives the loader the schemas of the providers a configuration uses
// and lets each provider check what the types alone cannot.
//
// name is the provider's local name in the configuration (smtp) and source
// its source address (waymark/smtp). Values handed to ValidateChannel and
// ValidateMessage are the config-time attributes; runtime expressions and
// templates arrive as unknown values of their type.
type Source interface {
	Schema(ctx context.Context, name, source string) (*Schema, error)
	ValidateChannel(ctx context.Context, name, source string, config map[string]cty.Value) ([]Diagnostic, error)
	ValidateMessage(ctx context.Context, name, source string, message map[string]cty.Value) ([]Diagnostic, error)
}

// Static is a Source over schemas held in memory, with no validation beyond
// the types. It serves tests and the built-in schemas before a provider
// process is available.
type Static map[string]*Schema

// Schema implements Source.
func (s Static) Schema(_ context.Context, name, source string) (*Schema, error) {
	if sc, ok := s[source]; ok {
		return sc, nil
	}
	known := make([]string, 0, len(s))
	for k := range s {
		known = append(known, k)
	}
	sort.Strings(known)
	return nil, fmt.Errorf("no provider %q (source %q) is available; known providers: %v", name, source, known)
}

// ValidateChannel implements Source; a static source checks nothing.
func (s Static) ValidateChannel(context.Context, string, string, map[string]cty.Value) ([]Diagnostic, error) {
	return nil, nil
}

// ValidateMessage implements Source; a static source checks nothing.
func (s Static) ValidateMessage(context.Context, string, string, map[string]cty.Value) ([]Diagnostic, error) {
	return nil, nil
}
