package protocol

import (
	"fmt"
	"sort"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/waymarkhq/waymark/providers/proto/providerv1"
)

// EncodeValue converts a cty value to its protobuf form. Marks (such as
// sensitivity) are dropped: the value is handed to the provider as it is. A
// value that is not wholly known is sent as unknown of its type.
func EncodeValue(v cty.Value) (*providerv1.Value, error) {
	if v == cty.NilVal {
		v = cty.NullVal(cty.DynamicPseudoType)
	}
	v, _ = v.UnmarkDeep()
	ty, err := ctyjson.MarshalType(v.Type())
	if err != nil {
		return nil, err
	}
	if !v.IsWhollyKnown() {
		return &providerv1.Value{Type: ty, Unknown: true}, nil
	}
	js, err := ctyjson.Marshal(v, v.Type())
	if err != nil {
		return nil, err
	}
	return &providerv1.Value{Json: js, Type: ty}, nil
}

// DecodeValue converts a value from its protobuf form.
func DecodeValue(pv *providerv1.Value) (cty.Value, error) {
	if pv == nil {
		return cty.NullVal(cty.DynamicPseudoType), nil
	}
	ty, err := ctyjson.UnmarshalType(pv.GetType())
	if err != nil {
		return cty.NilVal, fmt.Errorf("value type: %w", err)
	}
	if pv.GetUnknown() {
		return cty.UnknownVal(ty), nil
	}
	return ctyjson.Unmarshal(pv.GetJson(), ty)
}

// EncodeValues converts a map of attribute values; an error names the
// attribute.
func EncodeValues(vals map[string]cty.Value) (map[string]*providerv1.Value, error) {
	out := make(map[string]*providerv1.Value, len(vals))
	for _, k := range sortedKeys(vals) {
		pv, err := EncodeValue(vals[k])
		if err != nil {
			return nil, fmt.Errorf("attribute %q: %w", k, err)
		}
		out[k] = pv
	}
	return out, nil
}

// DecodeValues converts a map of attribute values; an error names the
// attribute.
func DecodeValues(pvs map[string]*providerv1.Value) (map[string]cty.Value, error) {
	out := make(map[string]cty.Value, len(pvs))
	for _, k := range sortedKeys(pvs) {
		v, err := DecodeValue(pvs[k])
		if err != nil {
			return nil, fmt.Errorf("attribute %q: %w", k, err)
		}
		out[k] = v
	}
	return out, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
