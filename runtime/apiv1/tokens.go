package apiv1

// TokenRequest is the body of POST RouteTokens.
type TokenRequest struct {
	Name   string  `json:"name"`
	Scopes []Scope `json:"scopes"`
}

// Token answers POST RouteTokens (201). The secret is shown only in this
// answer.
type Token struct {
	Name   string  `json:"name"`
	Scopes []Scope `json:"scopes"`
	Token  string  `json:"token"`
}

// Scope is what a token may do.
type Scope string

// The scopes.
const (
	ScopeIngest Scope = "ingest"
	ScopeDecide Scope = "decide"
	ScopeDeploy Scope = "deploy"
	ScopeRead   Scope = "read"
	ScopeAdmin  Scope = "admin"
)
