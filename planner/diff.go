package planner

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"sort"
	"sync"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/planner/plans"
)

// ProviderWaymark is the provider name of every object the runtime serves
// itself, that is every object but a channel.
const ProviderWaymark = "waymark"

// Diff compares what a stack has deployed (prior; nil or with a nil
// Document when nothing is) with the deployable form of its configuration,
// and returns one Change per address, sorted by address, no-ops included.
//
// An object whose moved block (or whose journey's moved block) takes it
// from an address that is deployed to one that is not is compared with the
// object at its old address, and the Change carries that PreviousAddress.
// Sensitive values are compared by their digests.
func Diff(prior *Deployment, desired *deploy.Document) ([]plans.Change, error) {
	return diff(prior, desired, nil)
}

// diff is Diff where desired may itself have withheld values (a deployment
// read back from the runtime, for a rollback): desiredDigests, made with
// prior's digest key, stand for them.
func diff(prior *Deployment, desired *deploy.Document, desiredDigests deploy.Digests) ([]plans.Change, error) {
	d := differ{desiredDigests: desiredDigests}
	old := &deploy.Document{}
	if prior != nil {
		d.key, d.digests = prior.DigestKey, prior.Digests
		if prior.Document != nil {
			old = prior.Document
		}
	}
	if desired == nil {
		desired = &deploy.Document{}
	}
	priorAt := index(old)
	desiredAt := index(desired)
	from := resolveMoves(old, desired, priorAt, desiredAt)
	movedAway := make(map[string]bool, len(from))
	for _, p := range from {
		movedAway[p] = true
	}

	addresses := make([]string, 0, len(desired.Objects)+len(old.Objects))
	for i := range desired.Objects {
		addresses = append(addresses, desired.Objects[i].Address)
	}
	for i := range old.Objects {
		a := old.Objects[i].Address
		if desiredAt[a] == nil && !movedAway[a] {
			addresses = append(addresses, a)
		}
	}
	sort.Strings(addresses)

	// Objects are compared independently: in parallel, each worker filling
	// its own stretch of changes.
	changes := make([]plans.Change, len(addresses))
	workers := min(runtime.GOMAXPROCS(0), 1+len(addresses)/500)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(addresses); i += workers {
				a := addresses[i]
				n := desiredAt[a]
				o, prev := priorAt[a], ""
				if p, ok := from[a]; ok {
					o, prev = priorAt[p], p
				}
				c, err := d.change(o, n)
				if err != nil {
					errs[w] = err
					return
				}
				c.PreviousAddress = prev
				changes[i] = c
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return changes, nil
}

type differ struct {
	key            []byte
	digests        deploy.Digests // of prior's withheld values
	desiredDigests deploy.Digests // of desired's withheld values
}

func index(d *deploy.Document) map[string]*deploy.Object {
	m := make(map[string]*deploy.Object, len(d.Objects))
	for i := range d.Objects {
		m[d.Objects[i].Address] = &d.Objects[i]
	}
	return m
}

// change compares the object as deployed (o, nil when there is none) with
// the object as desired (n, nil when there is none).
func (d *differ) change(o, n *deploy.Object) (plans.Change, error) {
	ref := n
	if ref == nil {
		ref = o
	}
	c := plans.Change{Address: ref.Address, Kind: ref.Kind, Provider: ProviderWaymark}
	if o != nil && n != nil && o.Address == n.Address && len(o.Sensitive) == 0 && len(n.Sensitive) == 0 {
		// The common case, an object that did not change: equal encodings
		// decoded once, Before and After sharing the map.
		ob, err := json.Marshal(o.Body())
		if err != nil {
			return c, fmt.Errorf("encoding %s: %w", o.Address, err)
		}
		nb, err := json.Marshal(n.Body())
		if err != nil {
			return c, fmt.Errorf("encoding %s: %w", n.Address, err)
		}
		if bytes.Equal(ob, nb) {
			attrs, err := decodeAttributes(ob)
			if err != nil {
				return c, fmt.Errorf("decoding %s: %w", o.Address, err)
			}
			c.Before, c.After, c.Action = attrs, attrs, plans.NoOp
			c.Name, _ = attrs["name"].(string)
			c.Provider = provider(c.After, c.Before)
			return c, nil
		}
	}
	var err error
	if o != nil {
		if c.Before, err = d.attributes(o, true); err != nil {
			return c, err
		}
		c.BeforeSensitive = o.Sensitive
	}
	if n != nil {
		if c.After, err = d.attributes(n, false); err != nil {
			return c, err
		}
		c.AfterSensitive = n.Sensitive
	}
	if n != nil {
		c.Name, _ = c.After["name"].(string)
	} else {
		c.Name, _ = c.Before["name"].(string)
	}
	c.Provider = provider(c.After, c.Before)
	switch {
	case o == nil:
		c.Action = plans.Create
	case n == nil:
		c.Action = plans.Delete
	case equalBodies(c.Before, c.After) && sameStrings(o.Sensitive, n.Sensitive):
		c.Action = plans.NoOp
	default:
		c.ReplacePaths = replacePaths(c.Kind, c.Before, c.After)
		c.Action = plans.Update
		if len(c.ReplacePaths) > 0 {
			c.Action = plans.Replace
		}
	}
	return c, nil
}

func decodeAttributes(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	return m, nil
}

// attributes returns the object's attributes with each sensitive value
// replaced by its digest: from the runtime's Digests for a withheld value,
// else computed.
func (d *differ) attributes(o *deploy.Object, prior bool) (map[string]any, error) {
	m, err := o.Attributes()
	if err != nil {
		return nil, err
	}
	digests := d.digests
	if !prior {
		digests = d.desiredDigests
	}
	for _, path := range o.Sensitive {
		if dg, ok := digests.Digest(o.Address, path); ok {
			deploy.SetPathValue(m, path, withheld(dg))
			continue
		}
		v, ok := deploy.PathValue(m, path)
		if !ok || deploy.IsWithheld(v) {
			continue
		}
		dg, err := deploy.SensitiveDigest(d.key, v)
		if err != nil {
			return nil, err
		}
		deploy.SetPathValue(m, path, withheld(dg))
	}
	return m, nil
}

func withheld(digest string) map[string]any {
	return map[string]any{"sensitive": true, "digest": digest}
}

// provider is the provider that serves an object: a channel's provider
// source, else waymark. Only a channel has a source.
func provider(attrs ...map[string]any) string {
	for _, a := range attrs {
		if s, ok := a["source"].(string); ok && s != "" {
			return s
		}
	}
	return ProviderWaymark
}

// isIdentity reports whether an attribute repeats the address: a move
// changes it without changing the object.
func isIdentity(k string) bool { return k == "journey" || k == "name" }

// equalBodies compares two objects' attributes, but for those that repeat
// the address.
func equalBodies(a, b map[string]any) bool {
	for k, av := range a {
		if isIdentity(k) {
			continue
		}
		bv, ok := b[k]
		if !ok || !reflect.DeepEqual(av, bv) {
			return false
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok && !isIdentity(k) {
			return false
		}
	}
	return true
}

func sameStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
