package lang

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/waymarkhq/waymark/lang/deploy"
)

// Config is a loaded configuration.
type Config struct {
	// Dir is the directory the configuration was read from.
	Dir string
	// Sources holds the text of every file read, by the filename that
	// diagnostics carry, so that callers can print snippets.
	Sources map[string][]byte
	// Files lists the configuration files read, in lexical order.
	Files []string

	Stack             string
	RequiredVersion   string
	RequiredProviders map[string]ProviderRequirement
	// RuntimeAddress is the waymark { runtime { address } } setting.
	RuntimeAddress string

	Variables map[string]*Variable
	// VariableValues are the final values of the variables, sensitive ones
	// marked.
	VariableValues map[string]cty.Value

	// Document is the deployable form: every object by address.
	Document *deploy.Document
	// Ranges holds each object's declaration range by address.
	Ranges map[string]hcl.Range

	// scope is what expressions were resolved against, kept for Console.
	scope *scope
}

// ProviderRequirement is an entry of required_providers, or an implied
// built-in provider.
type ProviderRequirement struct {
	Name       string // local name
	Source     string // namespace/name
	Constraint string // version constraint, may be empty
	Builtin    bool   // implied: not declared in required_providers
	DeclRange  hcl.Range
}

// Variable is a declared input variable.
type Variable struct {
	Name        string
	Type        cty.Type
	Default     cty.Value // cty.NilVal when there is none
	Description string
	Sensitive   bool
	Nullable    bool
	Validations []*VariableValidation
	DeclRange   hcl.Range
	// literal: a value set on the command line or in the environment is
	// a string, converted to Type, rather than an HCL expression; true for
	// a variable of no type or of a primitive type, as in Terraform.
	literal bool
}

// VariableValidation is a validation block of a variable.
type VariableValidation struct {
	Condition    hcl.Expression
	ErrorMessage hcl.Expression
	DeclRange    hcl.Range
}
