package protocol

import (
	"fmt"

	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/waymarkhq/waymark/lang/provschema"
	"github.com/waymarkhq/waymark/providers/proto/providerv1"
)

// EncodeSchema converts a schema to its protobuf form.
func EncodeSchema(s *provschema.Schema) (*providerv1.Schema, error) {
	ch, err := encodeAttributes(s.Channel)
	if err != nil {
		return nil, fmt.Errorf("channel %w", err)
	}
	msg, err := encodeAttributes(s.Message)
	if err != nil {
		return nil, fmt.Errorf("message %w", err)
	}
	return &providerv1.Schema{
		Provider: s.Provider,
		Version:  s.Version,
		Delivers: s.Delivers,
		Channel:  ch,
		Message:  msg,
	}, nil
}

func encodeAttributes(attrs []provschema.Attribute) ([]*providerv1.Attribute, error) {
	out := make([]*providerv1.Attribute, 0, len(attrs))
	for _, a := range attrs {
		ty, err := ctyjson.MarshalType(a.Type)
		if err != nil {
			return nil, fmt.Errorf("attribute %q: %w", a.Name, err)
		}
		out = append(out, &providerv1.Attribute{
			Name:        a.Name,
			Type:        ty,
			Required:    a.Required,
			Sensitive:   a.Sensitive,
			PerDelivery: a.PerDelivery,
			Recipient:   a.Recipient,
			Description: a.Description,
		})
	}
	return out, nil
}

// DecodeSchema converts a schema from its protobuf form and checks that it
// is consistent.
func DecodeSchema(ps *providerv1.Schema) (*provschema.Schema, error) {
	if ps == nil {
		return nil, fmt.Errorf("the provider returned no schema")
	}
	ch, err := decodeAttributes(ps.GetChannel())
	if err != nil {
		return nil, fmt.Errorf("channel %w", err)
	}
	msg, err := decodeAttributes(ps.GetMessage())
	if err != nil {
		return nil, fmt.Errorf("message %w", err)
	}
	s := &provschema.Schema{
		Provider: ps.GetProvider(),
		Version:  ps.GetVersion(),
		Delivers: ps.GetDelivers(),
		Channel:  ch,
		Message:  msg,
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return s, nil
}

func decodeAttributes(pas []*providerv1.Attribute) ([]provschema.Attribute, error) {
	var out []provschema.Attribute
	for _, pa := range pas {
		ty, err := ctyjson.UnmarshalType(pa.GetType())
		if err != nil {
			return nil, fmt.Errorf("attribute %q: type: %w", pa.GetName(), err)
		}
		out = append(out, provschema.Attribute{
			Name:        pa.GetName(),
			Type:        ty,
			Required:    pa.GetRequired(),
			Sensitive:   pa.GetSensitive(),
			PerDelivery: pa.GetPerDelivery(),
			Recipient:   pa.GetRecipient(),
			Description: pa.GetDescription(),
		})
	}
	return out, nil
}
