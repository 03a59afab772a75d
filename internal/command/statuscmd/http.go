package statuscmd

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/waymarkhq/waymark/runtime/analytics"
	"github.com/waymarkhq/waymark/runtime/client"
)

// Fetch asks the runtime at addr for a journey's analytics: GET
// /v1/journeys/{stack}/{journey}/analytics with token as the bearer token
// (none when empty). An answer of the API's error shape comes back as a
// *client.Error. hc may be nil for http.DefaultClient.
func Fetch(ctx context.Context, hc *http.Client, addr, token, stack, journey string) (*analytics.Report, error) {
	if addr == "" {
		addr = client.DefaultAddr
	}
	if !strings.Contains(addr, "://") {
		addr = "http://" + addr
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	u := strings.TrimRight(addr, "/") + "/v1/journeys/" + url.PathEscape(stack) + "/" + url.PathEscape(journey) + "/analytics"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("calling the runtime at %s: %w", addr, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("reading the runtime's answer: %w", err)
	}
	if resp.StatusCode >= 300 {
		var eb struct {
			Error struct {
				Code    string            `json:"code"`
				Message string            `json:"message"`
				Details []json.RawMessage `json:"details"`
			} `json:"error"`
		}
		e := &client.Error{Status: resp.StatusCode}
		if json.Unmarshal(data, &eb) == nil && eb.Error.Code != "" {
			e.Code, e.Message, e.Details = eb.Error.Code, eb.Error.Message, eb.Error.Details
		} else {
			e.Code, e.Message = "http_"+strconv.Itoa(resp.StatusCode), strings.TrimSpace(string(data))
		}
		return nil, e
	}
	var r analytics.Report
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("decoding the runtime's answer: %w", err)
	}
	return &r, nil
}
