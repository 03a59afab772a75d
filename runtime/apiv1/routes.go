package apiv1

import (
	"net/url"
	"strconv"
	"time"
)

// The routes, as net/http.ServeMux patterns; the path functions below
// build a path that each matches.
const (
	RouteStack       = "/v1/stacks/{stack}"
	RouteDeployments = "/v1/stacks/{stack}/deployments"
	RouteDeployment  = "/v1/stacks/{stack}/deployments/{serial}"
	RouteImpact      = "/v1/stacks/{stack}/impact"
	RouteRollback    = "/v1/stacks/{stack}/rollback"
	RouteAnalytics   = "/v1/journeys/{stack}/{journey}/analytics"
	RouteEvents      = "/v1/events"
	RouteSync        = "/v1/sync"
	RouteCustomer    = "/v1/customers/{id...}"
	RouteTokens      = "/v1/tokens"
	RouteDecide      = "/v1/decide"
	RouteResponses   = "/v1/responses"
	RouteDecision    = "/v1/decisions/{id}"
	RouteModels      = "/v1/models"
	RouteModel       = "/v1/models/{id...}"
	RouteDeliveries  = "/v1/deliveries"
	RouteRetry       = "/v1/deliveries/{id}/retry"
	RouteOutcome     = "/v1/deliveries/{id}/outcome"
	// RouteUnsubscribe needs no bearer token: its token is the runtime's
	// signature (UnsubscribeResult).
	RouteUnsubscribe = "/v1/unsubscribe/{token}"

	// The operational routes, outside /v1 and without tokens.
	RouteHealthz = "/healthz"
	RouteReadyz  = "/readyz"
	RouteMetrics = "/metrics"
)

func esc(s string) string { return url.PathEscape(s) }

// StackPath is RouteStack for stack.
func StackPath(stack string) string { return "/v1/stacks/" + esc(stack) }

// DeploymentsPath is RouteDeployments for stack.
func DeploymentsPath(stack string) string { return StackPath(stack) + "/deployments" }

// DeploymentPath is RouteDeployment for stack and serial.
func DeploymentPath(stack string, serial int64) string {
	return DeploymentsPath(stack) + "/" + strconv.FormatInt(serial, 10)
}

// ImpactPath is RouteImpact for stack.
func ImpactPath(stack string) string { return StackPath(stack) + "/impact" }

// RollbackPath is RouteRollback for stack.
func RollbackPath(stack string) string { return StackPath(stack) + "/rollback" }

// AnalyticsPath is RouteAnalytics for a journey of stack, with the query
// of q (none for the zero AnalyticsQuery).
func AnalyticsPath(stack, journey string, q ...AnalyticsQuery) string {
	p := "/v1/journeys/" + esc(stack) + "/" + esc(journey) + "/analytics"
	if len(q) > 0 {
		if v := q[0].Values(); len(v) > 0 {
			p += "?" + v.Encode()
		}
	}
	return p
}

// AnalyticsQuery chooses the window of an analytics report: Window is a
// duration ("24h", "7d", "30d") or "all"; From and To (RFC 3339) bound a
// custom range instead, To defaulting to the runtime's clock. The zero
// query is the runtime's default window (7d).
type AnalyticsQuery struct {
	Window   string
	From, To time.Time
}

// The query parameters of RouteAnalytics.
const (
	QueryWindow = "window"
	QueryFrom   = "from"
	QueryTo     = "to"
	// WindowAll is the window of everything a journey has seen.
	WindowAll = "all"
)

// ParseTime reads a From or To as the query gives it: an RFC 3339 time
// or a date (midnight UTC).
func ParseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t, err = time.Parse(time.DateOnly, s)
	}
	return t, err
}

// Values is q as query parameters.
func (q AnalyticsQuery) Values() url.Values {
	v := url.Values{}
	if q.Window != "" {
		v.Set(QueryWindow, q.Window)
	}
	if !q.From.IsZero() {
		v.Set(QueryFrom, q.From.UTC().Format(time.RFC3339))
	}
	if !q.To.IsZero() {
		v.Set(QueryTo, q.To.UTC().Format(time.RFC3339))
	}
	return v
}

// CustomerPath is RouteCustomer for customer id.
func CustomerPath(id string) string { return "/v1/customers/" + esc(id) }

// ModelPath is RouteModel for a model key (<stack>/<action>@<channel>).
func ModelPath(key string) string { return "/v1/models/" + esc(key) }

// DecisionPath is RouteDecision for decision id.
func DecisionPath(id string) string { return "/v1/decisions/" + esc(id) }

// DeliveriesPath is RouteDeliveries with its query: the entries in state
// whose ids sort after after (none when empty), at most limit (the
// runtime's page size when 0).
func DeliveriesPath(state DeliveryState, after string, limit int) string {
	q := url.Values{"state": {string(state)}}
	if after != "" {
		q.Set("after", after)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	return RouteDeliveries + "?" + q.Encode()
}

// RetryPath is RouteRetry for delivery id.
func RetryPath(id string) string { return "/v1/deliveries/" + esc(id) + "/retry" }

// OutcomePath is RouteOutcome for delivery id.
func OutcomePath(id string) string { return "/v1/deliveries/" + esc(id) + "/outcome" }
