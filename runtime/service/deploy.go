package service

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/waymarkhq/waymark/lang/addrs"
	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/lang/provschema"
	"github.com/waymarkhq/waymark/runtime/apiv1"
	"github.com/waymarkhq/waymark/runtime/catalog"
	"github.com/waymarkhq/waymark/runtime/engine"
	"github.com/waymarkhq/waymark/runtime/store"
)

// ValidationError refuses a deployment with every problem found.
type ValidationError struct {
	Problems catalog.Problems
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("the deployment is invalid: %v", e.Problems)
}

// activationWait bounds how long Deploy waits for the engine to reach the
// deployment's place in the log; it is durable and activates in order
// either way.
const activationWait = 30 * time.Second

// Deploy validates doc as the whole new state of stack and activates it if
// the stack is still at serial base. It returns the stored deployment, a
// *store.StaleError or a *ValidationError; a refused deployment changes
// nothing.
func (s *Service) Deploy(ctx context.Context, stack string, base int64, doc *deploy.Document, who string) (store.Deployment, error) {
	if !catalog.ValidStackName(stack) {
		return store.Deployment{}, &InvalidError{fmt.Sprintf("%q is not a valid stack name: use letters, digits, _ and -", stack)}
	}
	s.deployMu.Lock()
	defer s.deployMu.Unlock()
	prev, had := s.deployed[stack]
	cur, err := s.currentSerial(ctx, stack)
	if err != nil {
		return store.Deployment{}, err
	}
	if cur != base {
		return store.Deployment{}, &store.StaleError{Stack: stack, Base: base, Current: cur}
	}
	doc.Normalize()
	next := make(map[string]catalog.Deployed, len(s.deployed)+1)
	for k, v := range s.deployed {
		next[k] = v
	}
	if len(doc.Objects) == 0 {
		delete(next, stack)
	} else {
		next[stack] = catalog.Deployed{Serial: base + 1, Doc: doc}
	}
	if doc.Stack != stack {
		return store.Deployment{}, &ValidationError{catalog.Problems{{Message: fmt.Sprintf("the document is for stack %q, not %q", doc.Stack, stack)}}}
	}
	// The providers are checked first: their schemas check the channels
	// and messages. With a sink that takes every delivery (waymark test),
	// none need be installed.
	var ps catalog.Problems
	if s.cfg.Deliver == nil && !s.cfg.Record {
		ps = s.prov.check(doc)
	}
	var schemas map[string]*provschema.Schema
	if len(ps) == 0 {
		others := make([]*deploy.Document, 0, len(s.deployed))
		for _, d := range s.deployed {
			others = append(others, d.Doc)
		}
		schemas, ps = s.prov.schemas(ctx, doc, others)
	}
	var cat *catalog.Catalog
	if len(ps) == 0 {
		cat, ps = catalog.BuildWith(next, stack, schemas)
	}
	if len(ps) == 0 {
		_, ps = engine.Compile(cat)
	}
	if len(ps) == 0 {
		ps = s.prov.validateChannels(ctx, doc, schemas)
	}
	if len(ps) > 0 {
		return store.Deployment{}, &ValidationError{ps}
	}
	plain, err := doc.Encode()
	if err != nil {
		return store.Deployment{}, err
	}
	digest, _ := doc.Digest()
	var before *deploy.Document
	if had {
		before = prev.Doc
	}
	d, err := s.st.Deploy(ctx, store.Deployment{
		Stack: stack, Time: s.now().UTC(), Who: who, Digest: digest, Summary: summarize(before, doc),
		Document: s.keys.seal(plain),
	}, base, store.LogRecord{Partition: store.AllPartitions, Arrival: s.now().UTC(), Data: engine.EncodeActivation(stack, base+1)})
	if err != nil {
		return store.Deployment{}, err
	}
	if len(doc.Objects) == 0 {
		delete(s.deployed, stack)
	} else {
		s.deployed[stack] = catalog.Deployed{Serial: d.Serial, Doc: doc}
	}
	s.cat.Store(cat)
	s.eng.Notify()
	wctx, cancel := context.WithTimeout(ctx, activationWait)
	defer cancel()
	if err := s.eng.WaitProcessed(wctx, d.Seq); err != nil && ctx.Err() == nil {
		s.log.Warn("deployment is durable but not active yet: the runtime is behind", "stack", stack, "serial", d.Serial)
	}
	d.Document = nil
	return d, nil
}

// currentSerial is the stack's serial in the store, 0 if never deployed.
func (s *Service) currentSerial(ctx context.Context, stack string) (int64, error) {
	d, err := s.st.Deployment(ctx, stack, 0)
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil
	}
	return d.Serial, err
}

// summarize counts what a deployment adds, changes and destroys.
func summarize(before, after *deploy.Document) string {
	old := map[string][]byte{}
	if before != nil {
		for i := range before.Objects {
			b, _ := json.Marshal(before.Objects[i])
			old[before.Objects[i].Address] = b
		}
	}
	add, change := 0, 0
	for i := range after.Objects {
		b, _ := json.Marshal(after.Objects[i])
		prev, ok := old[after.Objects[i].Address]
		switch {
		case !ok:
			add++
		case !bytes.Equal(prev, b):
			change++
		}
		delete(old, after.Objects[i].Address)
	}
	return fmt.Sprintf("%d to add, %d to change, %d to destroy", add, change, len(old))
}

// Stack returns a stack's active deployment; ErrNotFound if it has none.
func (s *Service) Stack(ctx context.Context, stack string) (apiv1.Stack, error) {
	d, err := s.st.Deployment(ctx, stack, 0)
	if errors.Is(err, store.ErrNotFound) {
		return apiv1.Stack{}, ErrNotFound
	}
	if err != nil {
		return apiv1.Stack{}, err
	}
	key := s.keys.stackDigestKey(stack)
	red, ok := s.withheld.get(d, key)
	if !ok {
		doc, err := s.readDocument(ctx, stack, d.Serial)
		if err != nil {
			return apiv1.Stack{}, err
		}
		if red, err = deploy.EncodeWithheld(doc, key); err != nil {
			return apiv1.Stack{}, err
		}
		s.withheld.put(d, key, red)
	}
	return apiv1.Stack{Stack: stack, Serial: d.Serial, Time: d.Time, Who: d.Who, Digest: d.Digest, Summary: d.Summary, Document: red,
		DigestKey: hex.EncodeToString(key)}, nil
}

// withheldCache keeps, for each stack, the document that Stack last gave
// out: the active deployment with its sensitive values withheld, which
// takes decrypting, decoding and encoding the whole deployment again to
// make (a fifth of a second for 15,000 objects), for every plan. An entry
// answers only for the same serial, document digest and digest key.
type withheldCache struct {
	mu      sync.Mutex
	entries map[string]withheldEntry // by stack
}

type withheldEntry struct {
	serial   int64
	digest   string
	key, doc []byte
}

// maxWithheld bounds the cache; it is emptied when full.
const maxWithheld = 64

func (c *withheldCache) get(d store.Deployment, key []byte) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[d.Stack]
	if !ok || e.serial != d.Serial || e.digest != d.Digest || !bytes.Equal(e.key, key) {
		return nil, false
	}
	return e.doc, true
}

func (c *withheldCache) put(d store.Deployment, key, doc []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= maxWithheld {
		c.entries = map[string]withheldEntry{}
	}
	c.entries[d.Stack] = withheldEntry{serial: d.Serial, digest: d.Digest, key: key, doc: doc}
}

// replaceAt replaces the value at path (object keys and list indexes) in v.
func replaceAt(v any, path []string, f func(any) any) {
	if len(path) == 0 {
		return
	}
	switch x := v.(type) {
	case map[string]any:
		child, ok := x[path[0]]
		if !ok {
			return
		}
		if len(path) == 1 {
			x[path[0]] = f(child)
			return
		}
		replaceAt(child, path[1:], f)
	case []any:
		i, err := strconv.Atoi(path[0])
		if err != nil || i < 0 || i >= len(x) {
			return
		}
		if len(path) == 1 {
			x[i] = f(x[i])
			return
		}
		replaceAt(x[i], path[1:], f)
	}
}

// History returns a stack's deployments, newest first.
func (s *Service) History(ctx context.Context, stack string) ([]store.Deployment, error) {
	return s.st.History(ctx, stack)
}

// Impact says, for a proposed deployment of stack, how many customers in
// flight each removal or move of a journey or stage touches.
func (s *Service) Impact(ctx context.Context, stack string, doc *deploy.Document) ([]apiv1.Impact, error) {
	doc.Normalize()
	moved := map[string]string{}
	for _, m := range doc.Moves {
		moved[m.From] = m.To
	}
	journeys := map[string]int{}
	stages := map[string]int{}
	counts, err := s.eng.StageCounts(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range counts {
		if c.Stack != stack {
			continue
		}
		journeys[addrs.JourneyAddress(c.Journey)] += c.Customers
		stages[addrs.Address{Kind: addrs.Stage, Journey: c.Journey, Name: c.Stage}.String()] += c.Customers
	}
	var out []apiv1.Impact
	add := func(addr string, n int) {
		if to, ok := moved[addr]; ok {
			out = append(out, apiv1.Impact{Address: addr, Change: "move", To: to, Customers: n})
		} else if doc.Object(addr) == nil {
			out = append(out, apiv1.Impact{Address: addr, Change: "remove", Customers: n})
		}
	}
	for addr, n := range journeys {
		add(addr, n)
	}
	for addr, n := range stages {
		if _, ok := moved[addr]; !ok && doc.Object(addr) == nil {
			// A stage of a journey that is itself removed or moved is
			// counted with its journey.
			a, _ := addrs.Parse(addr)
			j := addrs.JourneyAddress(a.Journey)
			if _, jm := moved[j]; jm || doc.Object(j) == nil {
				continue
			}
		}
		add(addr, n)
	}
	// Moves of objects that hold no customers are listed too.
	for from, to := range moved {
		if journeys[from] == 0 && stages[from] == 0 {
			out = append(out, apiv1.Impact{Address: from, Change: "move", To: to})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Address < out[j].Address })
	return out, nil
}
