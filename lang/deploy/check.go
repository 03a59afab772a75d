package deploy

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/waymarkhq/waymark/lang/provschema"
)

// CheckChannel checks a deployed channel against its provider's schema as
// validate checks the channel block: every attribute is one the provider
// takes, per-delivery attributes are expressions and the others values of
// their type, and every required one is there. Messages name the
// attribute, never its value.
func CheckChannel(ch *Channel, s *provschema.Schema) []string {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	if ch.Delivers != s.Delivers {
		add("delivers is %t, but provider %s %s", ch.Delivers, s.Provider, map[bool]string{true: "delivers", false: "never delivers (inbound)"}[s.Delivers])
	}
	for _, k := range slices.Sorted(maps.Keys(ch.Config)) {
		sa := s.ChannelAttribute(k)
		switch {
		case sa == nil:
			add("config.%s: provider %s takes no attribute %q", k, s.Provider, k)
		case sa.PerDelivery:
			add("config.%s: provider %s takes %q as a per-delivery expression, not a value", k, s.Provider, k)
		default:
			var v any
			if err := json.Unmarshal(ch.Config[k], &v); err == nil && IsWithheld(v) {
				continue
			}
			if _, err := ctyjson.Unmarshal(ch.Config[k], sa.Type); err != nil {
				add("config.%s: provider %s takes %s here", k, s.Provider, sa.Type.FriendlyName())
			}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(ch.PerDelivery)) {
		if sa := s.ChannelAttribute(k); sa == nil || !sa.PerDelivery {
			add("per_delivery.%s: provider %s takes no per-delivery attribute %q", k, s.Provider, k)
		}
	}
	for _, sa := range s.Channel {
		_, inConfig := ch.Config[sa.Name]
		_, inDelivery := ch.PerDelivery[sa.Name]
		if sa.Required && !inConfig && !inDelivery {
			add("provider %s needs %q in every channel", s.Provider, sa.Name)
		}
	}
	return out
}

// CheckMessage checks an action's message against the schema of its
// channel's provider, as validate checks the message block.
func CheckMessage(ac *Action, s *provschema.Schema) []string {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	if !s.Delivers {
		if len(ac.Message) > 0 {
			add("message on channel %q, which is answered through the decide API: a message has no meaning there", ac.Channel)
		}
		return out
	}
	for _, k := range slices.Sorted(maps.Keys(ac.Message)) {
		if s.MessageAttribute(k) == nil {
			add("message.%s: messages of provider %s take no attribute %q", k, s.Provider, k)
		}
	}
	for _, sa := range s.Message {
		if _, ok := ac.Message[sa.Name]; sa.Required && !ok {
			add("messages of provider %s need %q", s.Provider, sa.Name)
		}
	}
	return out
}

// Recipients returns the per-delivery attributes of s that may carry a
// sensitive customer attribute.
func Recipients(s *provschema.Schema) map[string]bool {
	out := map[string]bool{}
	for _, a := range s.Channel {
		if a.PerDelivery && a.Recipient {
			out[a.Name] = true
		}
	}
	return out
}
