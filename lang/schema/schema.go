package schema

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// Kind says how an attribute's expression is read.
type Kind int

const (
	// Value is a config-time value of Type, evaluated with var, local and
	// functions.
	Value Kind = iota
	// Expression is a runtime expression of Type, type-checked against the
	// customer and event schemas and evaluated by the runtime.
	Expression
	// Template is a message template: a string whose interpolations may
	// hold runtime references.
	Template
	// Reference is a static reference to a block of kind Ref
	// (channel.email, stage.checkout, event.order_placed).
	Reference
	// References is a list of static references to blocks of kind Ref.
	References
	// Duration is a config-time string such as "90s", "2h", "7d".
	Duration
	// Name is a bare name, such as provider = smtp.
	Name
	// Metric is a KPI function call, such as dropoff(stage.checkout).
	Metric
	// Address is the address of a deployable object, for moved blocks.
	Address
	// TypeConstraint is a type, such as string or list(string).
	TypeConstraint
	// ValueOrExpression is a number that is either config-time or a
	// runtime expression (an action's value).
	ValueOrExpression
)

// String names the kind as the reference documents it.
func (k Kind) String() string {
	switch k {
	case Value:
		return "value"
	case Expression:
		return "runtime expression"
	case Template:
		return "message template"
	case Reference:
		return "reference"
	case References:
		return "list of references"
	case Duration:
		return "duration"
	case Name:
		return "name"
	case Metric:
		return "metric function"
	case Address:
		return "address"
	case TypeConstraint:
		return "type"
	case ValueOrExpression:
		return "value or runtime expression"
	}
	return "unknown"
}

// Attribute is one attribute of a block.
type Attribute struct {
	Name     string
	Kind     Kind
	Type     cty.Type // for Value, Expression, ValueOrExpression
	Ref      string   // for Reference, References: the block kind referred to
	Required bool
	// Default is the default as the reference documents it ("3", "\"UTC\"").
	Default string
	// Enum lists the allowed values of a string Value.
	Enum        []string
	Description string
}

// Block is one kind of block.
type Block struct {
	Type        string
	Labels      []string // label names, as documented ("name")
	Description string
	Attributes  []*Attribute
	Blocks      []*Block
	// Repeat allows the block more than once in its parent.
	Repeat bool
	// Required demands the block once in its parent.
	Required bool
	// Open accepts attributes beyond the declared ones, described by Extra
	// (a channel's provider attributes, a message's fields).
	Open  bool
	Extra string
	// Later marks a block that is reserved for a later version: it is
	// documented and refused with a clear error.
	Later bool
}

// Attribute returns the named attribute, or nil.
func (b *Block) Attribute(name string) *Attribute {
	for _, a := range b.Attributes {
		if a.Name == name {
			return a
		}
	}
	return nil
}

// Block returns the named nested block, or nil.
func (b *Block) Block(typ string) *Block {
	for _, n := range b.Blocks {
		if n.Type == typ {
			return n
		}
	}
	return nil
}

// BodySchema is the hcl schema of the block's body. Open blocks are read
// with PartialContent, and their remaining attributes checked against the
// provider's schema.
func (b *Block) BodySchema() *hcl.BodySchema {
	s := &hcl.BodySchema{}
	for _, a := range b.Attributes {
		s.Attributes = append(s.Attributes, hcl.AttributeSchema{Name: a.Name, Required: a.Required})
	}
	for _, n := range b.Blocks {
		s.Blocks = append(s.Blocks, hcl.BlockHeaderSchema{Type: n.Type, LabelNames: n.Labels})
	}
	return s
}

// File is the schema of the top level of a configuration file.
func File() *Block { return file }

// Journey is the schema of a journey block.
func Journey() *Block { return file.Block("journey") }
