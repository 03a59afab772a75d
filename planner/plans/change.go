package plans

import "github.com/waymarkhq/waymark/lang/deploy"

// Change is what a plan does to the object at one address.
type Change struct {
	Address string `json:"address"`
	// PreviousAddress is the address the object had before a moved block
	// moved it here; empty when it did not move.
	PreviousAddress string      `json:"previous_address,omitempty"`
	Action          Action      `json:"action"`
	Kind            deploy.Kind `json:"kind"`
	// Name is the object's label; empty for arbitration.
	Name string `json:"name"`
	// Provider is the provider that serves the object: the channel's provider
	// source for a channel, "waymark" for everything the runtime serves.
	Provider string `json:"provider"`
	// Before and After are the object's attributes as generic JSON values
	// (deploy.Object.Attributes); Before is nil for a create, After for a
	// delete. A sensitive value never appears in them: a
	// {"sensitive": true, "digest": "..."} object stands in its place. They
	// are read-only: for an object that did not change they may be the same
	// map.
	Before map[string]any `json:"before"`
	After  map[string]any `json:"after"`
	// BeforeSensitive and AfterSensitive list the paths of Before and After
	// (object keys and list indexes joined with dots) that are sensitive.
	BeforeSensitive []string `json:"before_sensitive,omitempty"`
	AfterSensitive  []string `json:"after_sensitive,omitempty"`
	// ReplacePaths lists the attributes whose change forces a Replace.
	ReplacePaths []string `json:"replace_paths,omitempty"`
	// Impact is what the change does to customers in flight, as the runtime
	// counted them; nil when the runtime reported nothing for it.
	Impact *Impact `json:"impact,omitempty"`
}

// Moved reports whether a moved block moved the object.
func (c *Change) Moved() bool { return c.PreviousAddress != "" && c.PreviousAddress != c.Address }

// Impact is how many customers in flight a change touches.
type Impact struct {
	// Customers in the journey or stage that is removed or moved.
	Customers int64 `json:"customers"`
}
