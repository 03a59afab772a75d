package analytics

// conversion(action.<name>) is attributed to an action's sends: of the
// journey runs that were sent the action, counted by the hour of their
// first send of it once they have ended, the share that reached the goal
// after that send. The engine remembers each run's first send of each
// action (the moment it queued the delivery, as the outbox and the
// simulation's deliveries per action count it) and hands them over on the
// transition that ends the run (Transition.Sent), so that one record
// carries all a run contributes: the counts are the same however records
// are batched, and a snapshot holds nothing of a run in flight for them.

// sendAgg counts, in the bucket of the hour of their first send of an
// action, the runs that have ended and those of them that reached the
// goal.
type sendAgg struct{ runs, converted int64 }

func (b *bucket) send(action string) *sendAgg {
	if b.sends == nil {
		b.sends = map[string]*sendAgg{}
	}
	s := b.sends[action]
	if s == nil {
		s = &sendAgg{}
		b.sends[action] = s
	}
	return s
}

// attribute counts the sends of a run that ended at t, reaching the goal
// when goal: each in the hour of its send, converted when the goal was
// not before it.
func (j *journey) attribute(sent []Sent, t int64, goal bool) {
	for _, x := range sent {
		at := msOf(x.Time)
		if at == noTime || x.Action == "" {
			continue
		}
		conv := b2i(goal && t != noTime && t >= at)
		// Only KPIs read these counts: the hourly ring keeps them, the
		// daily figures do not (as for rate()'s).
		j.touchHour(hourOf(at), func(b *bucket) {
			s := b.send(x.Action)
			s.runs++
			s.converted += conv
		})
	}
}

// attributed reports whether a KPI is attributed to an action's sends.
func (k *KPI) attributed() bool { return k.Function == FuncConversion && k.Action != "" }

// renameSends moves a bucket's counts of moved actions to their new
// names.
func renameSends(b *bucket, moved map[string]string) {
	var from []string // the names first: renaming adds names
	for name := range b.sends {
		if to, ok := moved[name]; ok && to != name {
			from = append(from, name)
		}
	}
	for _, name := range from {
		x := b.sends[name]
		delete(b.sends, name)
		y := b.send(moved[name])
		y.runs += x.runs
		y.converted += x.converted
	}
}
