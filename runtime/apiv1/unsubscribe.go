package apiv1

// UnsubscribeResult answers POST RouteUnsubscribe, the one-click
// unsubscribe of RFC 8058 (body List-Unsubscribe=One-Click; no bearer
// token: the token in the path is signed by the runtime). The customer's
// consent to Channel is off from then on; Duplicate is set when the link
// was used before. A malformed token is answered 400 bad_request, one the
// runtime did not sign (altered, forged) 404 not_found.
type UnsubscribeResult struct {
	Channel      string `json:"channel"`
	Unsubscribed bool   `json:"unsubscribed"` // always true
	Duplicate    bool   `json:"duplicate,omitempty"`
}

// OneClickBody is the body RFC 8058 has mail clients POST to a one-click
// unsubscribe URL, as application/x-www-form-urlencoded (or
// multipart/form-data).
const OneClickBody = "List-Unsubscribe=One-Click"

// UnsubscribePath is RouteUnsubscribe for token.
func UnsubscribePath(token string) string { return "/v1/unsubscribe/" + esc(token) }
