package engine

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/waymarkhq/waymark/lang/addrs"
	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/runtime/catalog"
	"github.com/waymarkhq/waymark/runtime/models"
	"github.com/waymarkhq/waymark/runtime/store"
)

// catalogs compiles the catalogs the partitions run, once for each set of
// deployments however many partitions activate it, and keeps the last
// few.
type catalogs struct {
	load func(ctx context.Context, stack string, serial int64) (*deploy.Document, error)
	reg  *models.Registry

	mu    sync.Mutex
	docs  map[string]*docEntry // by stack@serial: every partition activates the same document
	byKey map[string]*catalogEntry
	order []string // keys, oldest first
	bySeq []seqKey // the sets active at log positions asked for
}

type catalogEntry struct {
	once sync.Once
	cc   *compiled
	err  error
}

type docEntry struct {
	once sync.Once
	doc  *deploy.Document
	err  error
}

// document loads a stack's deployment once however many partitions
// activate it; the last few are kept.
func (cs *catalogs) document(ctx context.Context, stack string, serial int64) (*deploy.Document, error) {
	key := fmt.Sprintf("%s@%d", stack, serial)
	cs.mu.Lock()
	e, ok := cs.docs[key]
	if !ok {
		if cs.docs == nil || len(cs.docs) >= keptCatalogs {
			cs.docs = map[string]*docEntry{}
		}
		e = &docEntry{}
		cs.docs[key] = e
	}
	cs.mu.Unlock()
	e.once.Do(func() { e.doc, e.err = cs.load(ctx, stack, serial) })
	if e.err != nil {
		cs.mu.Lock()
		if cs.docs[key] == e {
			delete(cs.docs, key) // a failed load is tried again
		}
		cs.mu.Unlock()
	}
	return e.doc, e.err
}

type seqKey struct {
	seq uint64
	key map[string]catalog.Deployed
}

const keptCatalogs = 8

func (cs *catalogs) init(load func(context.Context, string, int64) (*deploy.Document, error), reg *models.Registry) {
	cs.load, cs.reg, cs.byKey = load, reg, map[string]*catalogEntry{}
}

// empty is the catalog of no deployment.
func (cs *catalogs) empty() *compiled {
	cc, err := cs.get(map[string]catalog.Deployed{}, "")
	if err != nil {
		panic(fmt.Sprintf("the empty catalog does not compile: %v", err)) // a bug, not input
	}
	return cc
}

func deployedKey(d map[string]catalog.Deployed) string {
	keys := make([]string, 0, len(d))
	for stack, dep := range d {
		keys = append(keys, fmt.Sprintf("%s@%d", stack, dep.Serial))
	}
	sort.Strings(keys)
	return strings.Join(keys, "\x00")
}

// get returns the catalog of a set of deployments, focus being the stack
// just deployed (for messages), compiling it the first time.
func (cs *catalogs) get(deployed map[string]catalog.Deployed, focus string) (*compiled, error) {
	key := deployedKey(deployed)
	cs.mu.Lock()
	ent := cs.byKey[key]
	if ent == nil {
		ent = &catalogEntry{}
		cs.byKey[key] = ent
		cs.order = append(cs.order, key)
		if len(cs.order) > keptCatalogs {
			delete(cs.byKey, cs.order[0])
			cs.order = cs.order[1:]
		}
	}
	cs.mu.Unlock()
	ent.once.Do(func() {
		cat, ps := catalog.Build(deployed, focus)
		if len(ps) > 0 {
			ent.err = ps
			return
		}
		cc, ps := Compile(cat)
		if len(ps) > 0 {
			ent.err = ps
			return
		}
		cc.dec.Bind(cs.reg)
		cc.deployed = deployed
		ent.cc = cc
	})
	return ent.cc, ent.err
}

// after returns the catalog that activating a stack's deployment makes of
// cur.
func (cs *catalogs) after(ctx context.Context, cur *compiled, stack string, serial int64) (*compiled, error) {
	doc, err := cs.document(ctx, stack, serial)
	if err != nil {
		return nil, err
	}
	next := make(map[string]catalog.Deployed, len(cur.deployed)+1)
	for k, v := range cur.deployed {
		next[k] = v
	}
	if len(doc.Objects) == 0 {
		delete(next, stack) // destroyed
	} else {
		next[stack] = catalog.Deployed{Serial: serial, Doc: doc}
	}
	return cs.get(next, stack)
}

// at returns the catalog of the deployments active at log position seq.
func (cs *catalogs) at(ctx context.Context, st store.Deployments, seq uint64) (*compiled, error) {
	cs.mu.Lock()
	for _, sk := range cs.bySeq {
		if sk.seq == seq {
			cs.mu.Unlock()
			return cs.get(sk.key, "")
		}
	}
	cs.mu.Unlock()
	stacks, err := st.Stacks(ctx)
	if err != nil {
		return nil, err
	}
	deployed := map[string]catalog.Deployed{}
	for _, d := range stacks {
		serial := d.Serial
		if d.Seq > seq {
			hist, err := st.History(ctx, d.Stack)
			if err != nil {
				return nil, err
			}
			serial = 0
			for _, h := range hist {
				if h.Seq <= seq {
					serial = h.Serial
					break
				}
			}
		}
		if serial == 0 {
			continue
		}
		doc, err := cs.load(ctx, d.Stack, serial)
		if err != nil {
			return nil, fmt.Errorf("loading deployment %d of stack %q: %w", serial, d.Stack, err)
		}
		if len(doc.Objects) > 0 {
			deployed[d.Stack] = catalog.Deployed{Serial: serial, Doc: doc}
		}
	}
	cc, err := cs.get(deployed, "")
	if err != nil {
		return nil, fmt.Errorf("the deployed stacks do not build: %w", err)
	}
	cs.mu.Lock()
	cs.bySeq = append(cs.bySeq, seqKey{seq, deployed})
	if len(cs.bySeq) > keptCatalogs {
		cs.bySeq = cs.bySeq[1:]
	}
	cs.mu.Unlock()
	return cc, nil
}

// offerCatalog makes cc the catalog of decide and rendering if it is at
// least as new as the one they use.
func (e *Engine) offerCatalog(cc *compiled, seq uint64) {
	for {
		cur := e.catSeq.Load()
		if seq < cur {
			return
		}
		if e.catSeq.CompareAndSwap(cur, seq) {
			e.cat.Store(cc)
			return
		}
	}
}

// activate switches a partition to the catalog that a stack's deployment
// makes, at its place in the log, and brings the partition's customers in
// flight in line: those in memory, and, when the deployment changes what
// customers in flight are subject to (moves, journeys, stages, timers),
// those in the store too.
func (e *Engine) activate(ctx context.Context, s *shard, seq uint64, stack string, serial int64, at time.Time) error {
	cc, err := e.cats.after(ctx, s.cat, stack, serial)
	if err != nil {
		return err
	}
	var moves []catalog.Move
	if cst := cc.byName[stack]; cst != nil {
		moves = cst.st.Moves
	}
	sweep := len(moves) > 0 || cc.flight(stack) != s.cat.flight(stack)
	s.mu.Lock()
	s.cat = cc
	w := e.work(s)
	for _, c := range s.customers {
		w.reconcile(c, stack, moves, at)
		s.touch(c)
		c.scheduled = time.Time{}
	}
	s.rebuildTimers()
	s.mu.Unlock()
	if len(moves) > 0 {
		// The models of moved actions follow them, as their customers'
		// pending triggers and contacts do; committed with the partition.
		if err := e.opts.Models.Move(s.p, movedModel(stack, moves)); err != nil {
			return fmt.Errorf("moving the models of stack %q: %w", stack, err)
		}
	}
	if sweep {
		if err := e.sweep(ctx, s, stack, moves, at); err != nil {
			return err
		}
	}
	e.offerCatalog(cc, seq)
	return nil
}

// sweep reconciles the customers of a partition that are only in the
// store with a new deployment of stack, keeping in memory those it
// changes until they are committed.
func (e *Engine) sweep(ctx context.Context, s *shard, stack string, moves []catalog.Move, at time.Time) error {
	after := ""
	for {
		page, err := e.st.Customers(ctx, s.p, after, 500)
		if err != nil {
			return fmt.Errorf("reading the customers of partition %d: %w", s.p, err)
		}
		s.mu.Lock()
		w := e.work(s)
		for _, sc := range page {
			after = sc.ID
			if s.customers[sc.ID] != nil || containsString(s.deleted, sc.ID) {
				continue
			}
			c, err := e.openCustomer(ctx, sc)
			if err != nil {
				s.mu.Unlock()
				return fmt.Errorf("customer %q: %w", sc.ID, err)
			}
			if !c.inStack(stack) && c.nextDue(s.cat.held).Equal(sc.Due) {
				continue
			}
			c.storedDue = sc.Due
			w.reconcile(c, stack, moves, at)
			if c.dirty || !c.nextDue(s.cat.held).Equal(sc.Due) {
				s.put(c)
				s.touch(c)
			}
		}
		s.mu.Unlock()
		if len(page) < 500 {
			return nil
		}
	}
}

func containsString(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func (c *customer) inStack(stack string) bool {
	for _, r := range c.runs {
		if r.stack == stack {
			return true
		}
	}
	return false
}

// flight describes what customers in flight in a stack's journeys are
// subject to: journeys, their states, stages, timeouts and goal windows,
// and the triggered actions of each stage. Two catalogs with the same
// flight for a stack treat its customers in flight alike.
func (c *compiled) flight(stack string) string {
	cs := c.byName[stack]
	if cs == nil {
		return ""
	}
	var b strings.Builder
	for _, j := range cs.st.Journeys {
		fmt.Fprintf(&b, "j %s %s %v %d|", j.Name, j.State, j.Goal != nil, j.Within)
		for _, st := range j.Stages {
			fmt.Fprintf(&b, "s %s %d %d|", st.Name, st.Timeout, st.TimeoutTo)
		}
		if dj := c.decJourney(stack, j.Index); dj != nil {
			for _, a := range dj.Actions {
				if a.Trigger == nil {
					continue
				}
				fmt.Fprintf(&b, "a %s %d", a.Name, a.Trigger.After)
				for i := range j.Stages {
					if a.InStage(i) {
						fmt.Fprintf(&b, " %d", i)
					}
				}
				b.WriteString("|")
			}
		}
	}
	return b.String()
}

// movedModel maps the key of a model of stack (decide.ModelKey: the
// action's reference and channel) to the key moves give it: a moved
// journey's actions, then a moved action, in or out of a module.
func movedModel(stack string, moves []catalog.Move) func(key string) (string, bool) {
	action := func(journey, name string) string {
		return addrs.Address{Kind: addrs.Action, Journey: journey, Name: name}.String()
	}
	journeyTo := map[string]string{}
	for _, m := range moves {
		if m.Journey {
			journeyTo[m.FromJourney] = m.ToJourney
		}
	}
	return func(key string) (string, bool) {
		rest, ok := strings.CutPrefix(key, stack+"/")
		at := strings.LastIndexByte(rest, '@')
		if !ok || at < 0 {
			return "", false
		}
		addr, channel := rest[:at], rest[at:]
		for _, m := range moves {
			if !m.Journey {
				continue
			}
			if tail, ok := strings.CutPrefix(addr, addrs.JourneyAddress(m.FromJourney)+".action."); ok {
				addr = addrs.JourneyAddress(m.ToJourney) + ".action." + tail
				break
			}
		}
		for _, m := range moves {
			if !m.Action {
				continue
			}
			from := action(m.FromJourney, m.FromAction)
			if to, ok := journeyTo[m.FromJourney]; ok && addr != from {
				from = action(to, m.FromAction) // the journey moved too
			}
			if addr == from {
				addr = action(m.ToJourney, m.ToAction)
				break
			}
		}
		return stack + "/" + addr + channel, addr != rest[:at]
	}
}
