package engine

import (
	"encoding/binary"
	"errors"
	"time"

	"github.com/waymarkhq/waymark/runtime/internal/wire"
)

// AlertAction is an action a KPI alert triggers for one customer: the
// customer's run Run of the journey was in the stage the KPI measures when
// the KPI left its target, at Due (an hour boundary of event time).
type AlertAction struct {
	Customer, Stack, Journey string
	Run                      uint64
	Action                   string // the action's name in the journey
	Due                      time.Time
}

// EncodeAlertAction returns the log payload of an alert's action for one
// customer; Record puts it in the customer's partition.
func EncodeAlertAction(a AlertAction) []byte {
	b := []byte{tagAlertAction}
	for _, s := range []string{a.Customer, a.Stack, a.Journey, a.Action} {
		b = wire.AppendString(b, s)
	}
	b = binary.AppendUvarint(b, a.Run)
	return binary.AppendVarint(b, a.Due.UnixNano())
}

func decodeAlertAction(b []byte) (*AlertAction, error) {
	d := &wire.Reader{B: b}
	a := &AlertAction{Customer: d.String(), Stack: d.Intern(), Journey: d.Intern(), Action: d.Intern()}
	a.Run = d.Uvarint()
	n, k := binary.Varint(d.B)
	if d.Err || k <= 0 || len(d.B) != k || a.Customer == "" || a.Action == "" {
		return nil, errors.New("corrupt alert action record")
	}
	a.Due = time.Unix(0, n).UTC()
	return a, nil
}

// alertAction gives the customer's run named by a a timer of the action
// due at a.Due, which falls due as any trigger does (trigger.go): ranked
// with the others due then on its channel, under the same consent, caps,
// quiet hours and arbitration. A run that has ended or moved on since, or
// that has the timer already (the record read twice), gets nothing; so
// does an action no longer deployed or not offered in the run's stage.
func (w *work) alertAction(c *customer, a *AlertAction) {
	r := c.run(a.Stack, a.Journey)
	if r == nil || r.n != a.Run || r.status != StatusActive {
		return
	}
	act := w.action(r, a.Action)
	if act == nil {
		return
	}
	if j := w.cat.byName[r.stack].st.Journey(r.journey); j == nil || !act.InStage(j.Stage(r.stage)) {
		return
	}
	for _, t := range r.timers {
		if t.kind == timerAlert && t.action == a.Action && t.due.Equal(a.Due) {
			return
		}
	}
	r.timers = append(r.timers, timer{kind: timerAlert, due: a.Due, action: a.Action})
	c.dirty = true
}
