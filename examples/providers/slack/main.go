// Command waymark-provider-slack is an example Waymark channel provider: it
// posts each delivery as {"text": ...} to a Slack-style incoming webhook.
// It is the whole provider; README.md shows how to build, install and use
// it.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/waymarkhq/waymark/lang/provschema"
	"github.com/waymarkhq/waymark/providers/sdk"
)

func main() { sdk.Serve(provider()) }

func provider() sdk.Provider {
	return sdk.Provider{
		// The schema: what a channel block using this provider, and an
		// action's message block on such a channel, may hold. Version must
		// match the directory the executable is installed in.
		Schema: provschema.Schema{
			Provider: "example/slack",
			Version:  "1.0.0",
			Delivers: true,
			Channel: []provschema.Attribute{
				{Name: "url", Type: cty.String, Required: true, Sensitive: true,
					Description: "The incoming webhook URL; it is a secret, so set it from a variable."},
				{Name: "username", Type: cty.String, Description: "The name to post as."},
			},
			Message: []provschema.Attribute{
				{Name: "text", Type: cty.String, Required: true, Description: "The message, rendered per customer."},
			},
		},

		// Checks beyond types, shown by waymark validate at the attribute's
		// line. Values not known until delivery arrive unknown: skip them.
		ValidateChannel: func(_ context.Context, cfg map[string]cty.Value) []provschema.Diagnostic {
			if v := cfg["url"]; v.IsKnown() && !v.IsNull() && !validURL(v.AsString()) {
				// Never echo a sensitive value in a diagnostic.
				return []provschema.Diagnostic{sdk.AttributeError("url", "Invalid webhook URL",
					"The url must be an https URL (or http to localhost, for testing).")}
			}
			return nil
		},

		Deliver: deliver,
	}
}

func validURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return false
	}
	local := u.Hostname() == "localhost" || u.Hostname() == "127.0.0.1" || u.Hostname() == "::1"
	return u.Scheme == "https" || u.Scheme == "http" && local
}

// deliver posts one action's text, or a KPI alert, to the channel's URL.
// The runtime retries errors marked Retryable (and unmarked ones) with
// backoff and parks those marked Permanent.
func deliver(ctx context.Context, d *sdk.Delivery) (string, error) {
	text := d.Message["text"]
	if d.Kind == sdk.KindAlert {
		text = fmt.Sprintf(":warning: %s: KPI %s is %g against a target of %g (%s)", d.Journey, d.Alert.KPI, d.Alert.Value, d.Alert.Target, d.Alert.State)
	}
	body, err := json.Marshal(map[string]string{"text": text, "username": sdk.String(d.Config["username"])})
	if err != nil {
		return "", sdk.Permanent(err)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sdk.String(d.Config["url"]), bytes.NewReader(body))
	if err != nil {
		return "", sdk.Permanent(fmt.Errorf("invalid webhook URL"))
	}
	req.Header.Set("Content-Type", "application/json")
	// Deliveries are at least once: a receiver that understands this header
	// can drop repeats.
	req.Header.Set("Idempotency-Key", d.IdempotencyKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		// The error names the URL, which is a secret: say less.
		return "", sdk.Retryable(fmt.Errorf("posting to the webhook failed (timeout or connection error)"))
	}
	resp.Body.Close()
	switch {
	case resp.StatusCode < 300:
		return d.IdempotencyKey, nil
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return "", sdk.Retryable(fmt.Errorf("the webhook answered %s", resp.Status))
	default:
		return "", sdk.Permanent(fmt.Errorf("the webhook answered %s", resp.Status))
	}
}
