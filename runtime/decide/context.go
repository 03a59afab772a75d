package decide

import (
	"encoding/binary"
	"math"
	"slices"

	"github.com/waymarkhq/waymark/runtime/expr"
	"github.com/waymarkhq/waymark/runtime/internal/wire"
)

// The kinds of a context value as encoded; a value of another kind (null,
// a list) is not kept: as a predictor it reads the missing bin anyway.
const (
	ctxString = 's'
	ctxNumber = 'n'
	ctxBool   = 'b'
)

// AppendContext appends a decide request's context, its keys in order, so
// that the response to the decision can be learnt with the context it was
// decided in (Features).
func AppendContext(b []byte, ctx map[string]expr.Value) []byte {
	var small [16]string // no allocation for a context of a few keys
	keys := small[:0]
	for k, v := range ctx {
		switch v.Kind() {
		case expr.KindString, expr.KindNumber, expr.KindBool:
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	b = binary.AppendUvarint(b, uint64(len(keys)))
	for _, k := range keys {
		b = wire.AppendString(b, k)
		switch v := ctx[k]; v.Kind() {
		case expr.KindString:
			b = wire.AppendString(append(b, ctxString), v.AsString())
		case expr.KindNumber:
			b = binary.BigEndian.AppendUint64(append(b, ctxNumber), math.Float64bits(v.AsNumber()))
		case expr.KindBool:
			c := byte(0)
			if v.AsBool() {
				c = 1
			}
			b = append(b, ctxBool, c)
		}
	}
	return b
}

// ReadContext reads what AppendContext wrote; nil for no keys. A value of
// an unknown kind sets d.Err.
func ReadContext(d *wire.Reader) map[string]expr.Value {
	n := d.Count()
	if n == 0 || d.Err {
		return nil
	}
	ctx := make(map[string]expr.Value, n)
	for ; n > 0 && !d.Err; n-- {
		k := d.String()
		switch d.Byte() {
		case ctxString:
			ctx[k] = expr.String(d.String())
		case ctxNumber:
			hi, lo := d.Uint32(), d.Uint32()
			ctx[k] = expr.Number(math.Float64frombits(uint64(hi)<<32 | uint64(lo)))
		case ctxBool:
			ctx[k] = expr.Bool(d.Byte() == 1)
		default:
			d.Err = true
		}
	}
	return ctx
}
