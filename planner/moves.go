package planner

import (
	"github.com/waymarkhq/waymark/lang/addrs"
	"github.com/waymarkhq/waymark/lang/deploy"
)

// resolveMoves pairs each deployed object that the desired Document's moved
// blocks move with the object at its new address, and returns the old
// address by new address. A move applies when its old address is deployed
// and no longer desired, and its new address is desired and not deployed.
// Moving a journey moves its stages, actions and KPIs with it, unless a
// moved block of their own says otherwise. (Moves do not chain: the loader
// requires each move's new address to be declared.)
func resolveMoves(prior, desired *deploy.Document, priorAt, desiredAt map[string]*deploy.Object) map[string]string {
	from := map[string]string{}
	if len(desired.Moves) == 0 {
		return from
	}
	next := make(map[string]string, len(desired.Moves))
	journeys := map[string]string{} // journey name moves: old → new
	for _, m := range desired.Moves {
		if _, dup := next[m.From]; dup {
			continue // the loader refuses a second move of one address
		}
		next[m.From] = m.To
		f, err1 := addrs.Parse(m.From)
		t, err2 := addrs.Parse(m.To)
		if err1 == nil && err2 == nil && f.Kind == addrs.Journey && t.Kind == addrs.Journey {
			journeys[f.Journey] = t.Journey
		}
	}
	// A journey's move implies its children's.
	if len(journeys) > 0 {
		for i := range prior.Objects {
			a, err := addrs.Parse(prior.Objects[i].Address)
			if err != nil {
				continue
			}
			to, ok := journeys[a.Journey]
			if !ok || a.Kind == addrs.Journey {
				continue
			}
			old := a.String()
			if _, explicit := next[old]; explicit {
				continue
			}
			a.Journey = to
			next[old] = a.String()
		}
	}
	claimed := map[string]bool{}
	for i := range prior.Objects {
		p := prior.Objects[i].Address
		if desiredAt[p] != nil {
			continue
		}
		cur, ok := next[p]
		if !ok || desiredAt[cur] == nil || priorAt[cur] != nil || claimed[cur] {
			continue
		}
		if desiredAt[cur].Kind != prior.Objects[i].Kind {
			continue
		}
		claimed[cur] = true
		from[cur] = p
	}
	return from
}
