package decide

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math"
	"math/rand/v2"
	"time"

	"github.com/waymarkhq/waymark/runtime/expr"
	"github.com/waymarkhq/waymark/runtime/internal/wire"
	"github.com/waymarkhq/waymark/runtime/store"
)

// NewID returns a decision id: the time in nanoseconds and 8 random bytes,
// in hex, so that ids sort by time.
func NewID(t time.Time, r *rand.Rand) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(t.UnixNano()))
	binary.BigEndian.PutUint64(b[8:], r.Uint64())
	return hex.EncodeToString(b[:])
}

// DerivedID returns the id of a decision that must come out the same when
// it is made again (a replay of the log): the time and a hash of key.
func DerivedID(t time.Time, key string) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(t.UnixNano()))
	sum := sha256.Sum256([]byte(key))
	copy(b[8:], sum[:8])
	return hex.EncodeToString(b[:])
}

// Record is a decision as it is kept: its candidates name their actions by
// stack, the stack's deployment serial and the action's place in that
// deployment.
type Record struct {
	ID       string
	Customer string
	Time     time.Time
	Channel  string
	Trigger  bool
	Control  bool
	Holdout  bool
	Deferred time.Time
	// Candidates are the chosen ones first, in rank order.
	Candidates []RecordCandidate
	Chosen     int
	// Context is the decide request's context (its strings, numbers and
	// bools), for the response to be learnt with.
	Context map[string]expr.Value
}

// RecordCandidate is a candidate of a Record.
type RecordCandidate struct {
	Stack  string
	Serial int64
	Object int
	// Address is the action's address, "" when its deployment is unknown.
	Address string
	// Treatment names the action's treatment, "" for an action without.
	Treatment  string
	Reason     Reason
	Scored     bool
	Explore    bool
	Propensity float64
	Priority   float64
	// Variant is the candidate's variant of its action's experiment. It
	// is not encoded: a decision read back from the store has none.
	Variant string
}

// Ref is the candidate's action outside its stack: <stack>/<address>.
func (c RecordCandidate) Ref() string { return c.Stack + "/" + c.Address }

// Record returns the decision in its kept form; unlike Encode, it keeps
// the scores of every candidate.
func (d *Decision) Record() *Record {
	r := &Record{ID: d.ID, Customer: d.Customer, Time: d.Time, Channel: d.Channel, Trigger: d.Trigger, Control: d.Control,
		Holdout: d.Holdout, Deferred: d.Deferred, Chosen: d.Chosen, Candidates: make([]RecordCandidate, len(d.Candidates)), Context: d.Context}
	for i, c := range d.Candidates {
		a := c.Action
		r.Candidates[i] = RecordCandidate{Stack: a.Stack.Name, Serial: a.Stack.Serial, Object: a.Object, Address: a.Address,
			Treatment: a.Treatment, Reason: c.Reason, Scored: c.Scored, Explore: c.Explore, Propensity: c.Propensity, Priority: c.Priority, Variant: c.VariantName()}
	}
	return r
}

// The record encoding, version 1: a header (time, channel, flags), the
// stacks the candidates belong to (name and serial), then per candidate one
// byte of its reason and flags, its stack when it differs from the one
// before, its object's place as a difference from the one before (they
// mostly ascend: a record of 200 candidates takes about 400 bytes), and
// for a chosen candidate its propensity and priority. The scores of the
// candidates not chosen are not kept: the answer to the request had them.
const recordVersion = 1

const (
	flagTrigger = 1 << iota
	flagControl
	flagDeferred
	flagHoldout
	// flagTreatments: a candidate is a treatment of its action. Each
	// candidate's name of its treatment ("" for none) then follows its
	// object, and there are no runs.
	flagTreatments
	flagContext // the request's context follows the candidates (AppendContext)
)

// A candidate's byte: the reason in the low four bits, then these.
const (
	candStack   = 1 << 4 // its stack differs from the previous one's
	candScored  = 1 << 5
	candExplore = 1 << 6
	// candRun: as many candidates as the count that follows come after
	// this one, alike but for their objects, which follow on one by one.
	candRun = 1 << 7
)

// Encode returns the decision as the store keeps it.
func (d *Decision) Encode() store.Decision {
	type sk struct {
		name   string
		serial int64
	}
	var stacks []sk
	var last *Stack
	lastIndex := -1
	index := func(s *Stack) int {
		if s == last {
			return lastIndex
		}
		for i, x := range stacks {
			if x.name == s.Name && x.serial == s.Serial {
				last, lastIndex = s, i
				return i
			}
		}
		stacks = append(stacks, sk{s.Name, s.Serial})
		last, lastIndex = s, len(stacks)-1
		return lastIndex
	}
	for _, c := range d.Candidates {
		index(c.Action.Stack)
	}
	b := make([]byte, 0, 48+len(d.Channel)+3*len(d.Candidates)+8*d.Chosen)
	b = append(b, recordVersion)
	b = binary.AppendVarint(b, d.Time.UnixNano())
	b = wire.AppendString(b, d.Channel)
	var flags byte
	if d.Trigger {
		flags |= flagTrigger
	}
	if d.Control {
		flags |= flagControl
	}
	if !d.Deferred.IsZero() {
		flags |= flagDeferred
	}
	if d.Holdout {
		flags |= flagHoldout
	}
	treatments := false
	for i := range d.Candidates {
		treatments = treatments || d.Candidates[i].Action.Treatment != ""
	}
	if treatments {
		flags |= flagTreatments
	}
	if len(d.Context) > 0 {
		flags |= flagContext
	}
	b = append(b, flags)
	if !d.Deferred.IsZero() {
		b = binary.AppendVarint(b, d.Deferred.UnixNano())
	}
	b = binary.AppendUvarint(b, uint64(len(stacks)))
	for _, s := range stacks {
		b = wire.AppendString(b, s.name)
		b = binary.AppendUvarint(b, uint64(s.serial))
	}
	b = binary.AppendUvarint(b, uint64(len(d.Candidates)))
	b = binary.AppendUvarint(b, uint64(d.Chosen))
	prevStack, prevObject := -1, 0
	cs := d.Candidates
	for i := 0; i < len(cs); {
		c := &cs[i]
		cb := byte(c.Reason)
		scored := i < d.Chosen && c.Scored
		si := index(c.Action.Stack)
		// A run: the candidates after this one, not chosen, of its stack
		// and reason, whose objects follow on one by one.
		run := 0
		if i >= d.Chosen && !c.Explore && !treatments {
			for j := i + 1; j < len(cs) && !cs[j].Explore && cs[j].Reason == c.Reason && cs[j].Action.Stack == c.Action.Stack &&
				cs[j].Action.Object == c.Action.Object+(j-i); j++ {
				run++
			}
		}
		if si != prevStack {
			cb |= candStack
		}
		if scored {
			cb |= candScored
		}
		if c.Explore {
			cb |= candExplore
		}
		if run > 0 {
			cb |= candRun
		}
		b = append(b, cb)
		if si != prevStack {
			b = binary.AppendUvarint(b, uint64(si))
			prevStack = si
		}
		b = binary.AppendVarint(b, int64(c.Action.Object-prevObject))
		prevObject = c.Action.Object + run
		if run > 0 {
			b = binary.AppendUvarint(b, uint64(run))
		}
		if treatments {
			b = wire.AppendString(b, c.Action.Treatment)
		}
		if scored {
			b = binary.BigEndian.AppendUint32(b, math.Float32bits(float32(c.Propensity)))
			b = binary.BigEndian.AppendUint32(b, math.Float32bits(float32(c.Priority)))
		}
		i += 1 + run
	}
	if len(d.Context) > 0 {
		b = AppendContext(b, d.Context)
	}
	return store.Decision{ID: d.ID, Customer: d.Customer, Time: d.Time, Data: b, Facts: d.Facts}
}

var errCorrupt = errors.New("corrupt decision record")

// maxCandidates bounds the candidates a record may say it has.
const maxCandidates = 1 << 20

// Resolver names the action at an object's place in a stack's deployment;
// "" when the deployment is unknown.
type Resolver func(stack string, serial int64, object int) string

// Decode reads a decision record; resolve names its actions.
func Decode(sd store.Decision, resolve Resolver) (*Record, error) {
	d := &wire.Reader{B: sd.Data}
	if d.Byte() != recordVersion {
		return nil, errCorrupt
	}
	r := &Record{ID: sd.ID, Customer: sd.Customer}
	r.Time = time.Unix(0, d.Varint()).UTC()
	r.Channel = d.String()
	flags := d.Byte()
	r.Trigger, r.Control, r.Holdout = flags&flagTrigger != 0, flags&flagControl != 0, flags&flagHoldout != 0
	if flags&flagDeferred != 0 {
		r.Deferred = time.Unix(0, d.Varint()).UTC()
	}
	type sk struct {
		name   string
		serial int64
	}
	var stacks []sk
	for n := d.Count(); n > 0 && !d.Err; n-- {
		stacks = append(stacks, sk{d.String(), int64(d.Uvarint())})
	}
	n := d.Uvarint()
	if n > maxCandidates {
		return nil, errCorrupt
	}
	r.Chosen = int(d.Uvarint())
	si, obj := -1, 0
	for uint64(len(r.Candidates)) < n && !d.Err {
		cb := d.Byte()
		c := RecordCandidate{Reason: Reason(cb & 0x0f), Scored: cb&candScored != 0, Explore: cb&candExplore != 0}
		if cb&candStack != 0 {
			si = int(d.Uvarint())
		}
		obj += int(d.Varint())
		c.Object = obj
		run := uint64(0)
		if cb&candRun != 0 {
			run = d.Uvarint()
		}
		if flags&flagTreatments != 0 {
			c.Treatment = d.String()
		}
		if c.Scored {
			c.Propensity = float64(math.Float32frombits(d.Uint32()))
			c.Priority = float64(math.Float32frombits(d.Uint32()))
		}
		if si < 0 || si >= len(stacks) || c.Reason >= numReasons || obj < 0 || run >= n-uint64(len(r.Candidates)) {
			return nil, errCorrupt
		}
		c.Stack, c.Serial = stacks[si].name, stacks[si].serial
		for k := uint64(0); k <= run; k++ {
			x := c
			x.Object = obj + int(k)
			if resolve != nil {
				x.Address = resolve(x.Stack, x.Serial, x.Object)
			}
			r.Candidates = append(r.Candidates, x)
		}
		obj += int(run)
	}
	if flags&flagContext != 0 {
		r.Context = ReadContext(d)
	}
	if d.Err || len(d.B) != 0 || r.Chosen > len(r.Candidates) {
		return nil, errCorrupt
	}
	return r, nil
}
