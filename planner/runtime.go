package planner

import (
	"context"
	"fmt"

	"github.com/waymarkhq/waymark/lang/deploy"
)

// Runtime is what plan and apply need of the runtime.
type Runtime interface {
	// Stack returns the stack's active deployment: a Deployment with a nil
	// Document and serial 0 when the stack was never deployed.
	Stack(ctx context.Context, stack string) (*Deployment, error)
	// Impact says how many customers in flight each removal or move of a
	// journey or stage in desired touches, compared with what is deployed.
	Impact(ctx context.Context, stack string, desired *deploy.Document) ([]Impact, error)
	// Deploy activates doc as the whole state of stack if the stack is still
	// at baseSerial, atomically, and returns the new serial. When the stack
	// has moved on it returns a *StaleError and changes nothing.
	Deploy(ctx context.Context, stack string, baseSerial int64, doc *deploy.Document) (serial int64, err error)
}

// Deployment is a stack's active deployment as the runtime shows it.
type Deployment struct {
	Serial int64
	// Document is what is deployed, with each sensitive value withheld (see
	// deploy.DecodeWithheld); nil when the stack was never deployed.
	Document *deploy.Document
	// Digests are the digests of the withheld values.
	Digests deploy.Digests
	// DigestKey is the stack's key for deploy.SensitiveDigest. Without it a
	// withheld value cannot be compared, and plan shows it as changed.
	DigestKey []byte
}

// Impact is the runtime's count of the customers in flight that one removal
// or move touches.
type Impact struct {
	Address   string // the journey or stage as deployed
	Change    string // ImpactRemove or ImpactMove
	To        string // where a move takes it
	Customers int64
}

// The changes that Impact reports.
const (
	ImpactRemove = "remove"
	ImpactMove   = "move"
)

// StaleError is the refusal of a plan made against a deployment that is no
// longer the stack's active one.
type StaleError struct {
	Stack      string
	BaseSerial int64 // the serial the plan was made against
	Serial     int64 // the stack's serial now
}

func (e *StaleError) Error() string {
	return fmt.Sprintf("the plan is stale: the stack was changed by deployment %d after this plan was made", e.Serial)
}
