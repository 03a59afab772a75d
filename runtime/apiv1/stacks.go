package apiv1

import (
	"encoding/json"
	"time"
)

// Stack answers GET RouteStack (the active deployment) and GET
// RouteDeployment (any one deployment of the stack).
type Stack struct {
	Stack   string    `json:"stack"`
	Serial  int64     `json:"serial"`
	Time    time.Time `json:"time"`
	Who     string    `json:"who"`
	Digest  string    `json:"digest"`
	Summary string    `json:"summary"`
	// Document is the deployable form of the stack (lang/deploy) with
	// every sensitive value replaced by {"sensitive": true, "digest":
	// "<HMAC>"}.
	Document json.RawMessage `json:"document"`
	// DigestKey is the hex key of the stack's digests, with which a plan
	// compares a configured sensitive value against the deployed one.
	DigestKey string `json:"digest_key"`
}

// Deployment is one deployment of a stack: the answer of POST
// RouteDeployments and POST RouteRollback (201), and an entry of
// DeploymentList.
type Deployment struct {
	Stack   string    `json:"stack"`
	Serial  int64     `json:"serial"`
	Time    time.Time `json:"time"`
	Who     string    `json:"who"`
	Digest  string    `json:"digest"`
	Summary string    `json:"summary"`
}

// DeployRequest is the body of POST RouteDeployments: activate Document
// as the whole state of the stack, if the stack is still at BaseSerial.
// A refusal is CodeStaleSerial or CodeInvalidDeployment.
type DeployRequest struct {
	// BaseSerial is the stack's serial the plan was made against, 0 for a
	// new stack; required.
	BaseSerial *int64 `json:"base_serial"`
	// Document is the deployable form of the stack (lang/deploy).
	Document json.RawMessage `json:"document"`
}

// DeploymentList answers GET RouteDeployments: the stack's deployments,
// newest first.
type DeploymentList struct {
	Deployments []Deployment `json:"deployments"`
}

// RollbackRequest is the body of POST RouteRollback: deploy the stored
// document of deployment RollbackTo again, as a new deployment, if the
// stack is still at BaseSerial. Both are required.
type RollbackRequest struct {
	BaseSerial *int64 `json:"base_serial"`
	RollbackTo *int64 `json:"rollback_to"`
}

// ImpactRequest is the body of POST RouteImpact: a proposed deployment.
type ImpactRequest struct {
	Document json.RawMessage `json:"document"`
}

// ImpactList answers POST RouteImpact, by address.
type ImpactList struct {
	Changes []Impact `json:"changes"`
}

// Impact is how many customers in flight a proposed removal or move of a
// journey or stage touches.
type Impact struct {
	Address string `json:"address"`
	// Change is "remove" (its customers leave the journey) or "move".
	Change    string `json:"change"`
	To        string `json:"to,omitempty"`
	Customers int    `json:"customers"`
}
