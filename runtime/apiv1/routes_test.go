package apiv1_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/waymarkhq/waymark/runtime/apiv1"
)

// Every path function builds a path its route's pattern matches, with the
// values it was given, escaped or not.
func TestPaths(t *testing.T) {
	odd := "a b/c%d?é"
	for _, c := range []struct {
		path, route string
		want        map[string]string
	}{
		{apiv1.StackPath(odd), apiv1.RouteStack, map[string]string{"stack": odd}},
		{apiv1.DeploymentsPath("growth"), apiv1.RouteDeployments, map[string]string{"stack": "growth"}},
		{apiv1.DeploymentPath(odd, 12), apiv1.RouteDeployment, map[string]string{"stack": odd, "serial": "12"}},
		{apiv1.ImpactPath("growth"), apiv1.RouteImpact, map[string]string{"stack": "growth"}},
		{apiv1.RollbackPath("growth"), apiv1.RouteRollback, map[string]string{"stack": "growth"}},
		{apiv1.AnalyticsPath(odd, "cart_recovery"), apiv1.RouteAnalytics, map[string]string{"stack": odd, "journey": "cart_recovery"}},
		{apiv1.CustomerPath(odd), apiv1.RouteCustomer, map[string]string{"id": odd}},
		{apiv1.DecisionPath("0189e2a4"), apiv1.RouteDecision, map[string]string{"id": "0189e2a4"}},
		{apiv1.DeliveriesPath(apiv1.DeliveryFailed, "k&1", 5), apiv1.RouteDeliveries, map[string]string{"?state": "failed", "?after": "k&1", "?limit": "5"}},
		{apiv1.DeliveriesPath(apiv1.DeliveryPending, "", 0), apiv1.RouteDeliveries, map[string]string{"?state": "pending", "?after": "", "?limit": ""}},
		{apiv1.EventsPath(apiv1.EventsQuery{After: "12", Limit: 3}), apiv1.RouteEvents, map[string]string{"?after": "12", "?limit": "3"}},
		{apiv1.RetryPath(odd), apiv1.RouteRetry, map[string]string{"id": odd}},
		{apiv1.OutcomePath(odd), apiv1.RouteOutcome, map[string]string{"id": odd}},
		{apiv1.UnsubscribePath("AbC-_9"), apiv1.RouteUnsubscribe, map[string]string{"token": "AbC-_9"}},
		{apiv1.ModelPath("growth/journey.cart.action.banner@web"), apiv1.RouteModel, map[string]string{"id": "growth/journey.cart.action.banner@web"}},
	} {
		mux := http.NewServeMux()
		for _, r := range []string{apiv1.RouteStack, apiv1.RouteDeployments, apiv1.RouteDeployment, apiv1.RouteImpact,
			apiv1.RouteRollback, apiv1.RouteAnalytics, apiv1.RouteEvents, apiv1.RouteSync, apiv1.RouteCustomer,
			apiv1.RouteTokens, apiv1.RouteDecide, apiv1.RouteResponses, apiv1.RouteDecision, apiv1.RouteModels,
			apiv1.RouteModel, apiv1.RouteDeliveries, apiv1.RouteRetry, apiv1.RouteOutcome, apiv1.RouteUnsubscribe} {
			mux.HandleFunc(r, func(w http.ResponseWriter, req *http.Request) {
				if r != c.route {
					t.Errorf("%s went to %s, not %s", c.path, r, c.route)
				}
				for k, want := range c.want {
					got := req.PathValue(k)
					if k[0] == '?' {
						got = req.URL.Query().Get(k[1:])
					}
					if got != want {
						t.Errorf("%s: %s is %q, want %q", c.path, k, got, want)
					}
				}
				w.WriteHeader(http.StatusNoContent)
			})
		}
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, c.path, nil))
		if rec.Code != http.StatusNoContent {
			t.Errorf("%s matched no route: %d", c.path, rec.Code)
		}
	}
}
