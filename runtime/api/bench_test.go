package api_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/runtime/api"
	"github.com/waymarkhq/waymark/runtime/apiv1"
	"github.com/waymarkhq/waymark/runtime/events"
	"github.com/waymarkhq/waymark/runtime/internal/fixture"
	"github.com/waymarkhq/waymark/runtime/models"
	"github.com/waymarkhq/waymark/runtime/service"
	"github.com/waymarkhq/waymark/runtime/store"
	"github.com/waymarkhq/waymark/runtime/store/boltstore"
)

// load runs a closed loop of clients against url for d, each sending the
// next of bodies and waiting for the answer, and returns requests/s and the
// p99 latency.
func load(b *testing.B, url, token string, bodies [][]byte, clients int, d time.Duration) (float64, time.Duration) {
	b.Helper()
	tr := &http.Transport{MaxIdleConns: clients * 2, MaxIdleConnsPerHost: clients * 2, DisableCompression: true}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	var wg sync.WaitGroup
	lats := make([][]time.Duration, clients)
	stop := time.Now().Add(d)
	var failed error
	var mu sync.Mutex
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := c; time.Now().Before(stop); i += clients {
				req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(bodies[i%len(bodies)]))
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/json")
				start := time.Now()
				resp, err := hc.Do(req)
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						err = fmt.Errorf("status %d", resp.StatusCode)
					}
				}
				if err != nil {
					mu.Lock()
					failed = err
					mu.Unlock()
					return
				}
				lats[c] = append(lats[c], time.Since(start))
			}
		}()
	}
	wg.Wait()
	if failed != nil {
		b.Fatal(failed)
	}
	all := slices.Concat(lats...)
	slices.Sort(all)
	return float64(len(all)) / d.Seconds(), all[len(all)*99/100]
}

// loadInProcess runs the closed loop of load on svc.Decide itself, without
// HTTP, and returns decisions/s and the p99 latency.
func loadInProcess(b *testing.B, svc *service.Service, reqs []apiv1.DecideRequest, clients int, d time.Duration) (float64, time.Duration) {
	b.Helper()
	var wg sync.WaitGroup
	lats := make([][]time.Duration, clients)
	errs := make([]error, clients)
	stop := time.Now().Add(d)
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := c; time.Now().Before(stop); i += clients {
				start := time.Now()
				if _, err := svc.Decide(context.Background(), reqs[i%len(reqs)]); err != nil {
					errs[c] = err
					return
				}
				lats[c] = append(lats[c], time.Since(start))
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
	all := slices.Concat(lats...)
	slices.Sort(all)
	return float64(len(all)) / d.Seconds(), all[len(all)*99/100]
}

// emptyDecide is a handler of the same shape as POST /v1/decide that
// decides nothing: it reads the request as the API does and answers a
// decision of three actions. It is the machine's HTTP ceiling.
func emptyDecide() http.Handler {
	answer := apiv1.Decision{DecisionID: "0189e2a4c1d3f000a1b2c3d4e5f60718", CustomerID: "c-0000001", Channel: "web", Time: time.Now().UTC()}
	for i := 0; i < 3; i++ {
		answer.Actions = append(answer.Actions, apiv1.RankedAction{Stack: "bench", Journey: "journey0", Action: fmt.Sprintf("action%03d", i),
			Address: fmt.Sprintf("bench/journey.journey0.action.action%03d", i), Propensity: 0.25, Priority: 1.75, Explore: false})
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 16<<20))
		if err != nil {
			w.WriteHeader(400)
			return
		}
		var req apiv1.DecideRequest
		dec := json.NewDecoder(strings.NewReader(string(body)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			w.WriteHeader(400)
			return
		}
		out := answer
		out.CustomerID = req.CustomerID
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		enc.Encode(out)
	})
}

// BenchmarkDecideHTTP measures decide over HTTP on loopback: 64 clients in
// a closed loop on the same two cores as the runtime, 200 candidate
// actions per decision, 10,000 customers, the embedded store recording
// every decision, bearer tokens checked; beside it, in the same run, an
// empty handler of the same shape (the machine's HTTP ceiling), and
// decide in process (Service.Decide) by the same clients and by one alone.
// It prints each round and the ratios (targets: ≥ 50% of the ceiling's
// requests/s, p99 ≤ 3× the ceiling's), and reports the in-process p99 of
// one client and the HTTP/in-process ratio of decisions/s, so that a change
// to the runtime shows in one run whether decide got slower and whether
// HTTP costs more of it.
func BenchmarkDecideHTTP(b *testing.B) {
	const customers, clients = 10000, 64
	ctx := context.Background()
	st, err := boltstore.Open(b.TempDir(), boltstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	key := make([]byte, service.KeySize)
	rand.Read(key)
	reg := models.NewRegistry()
	svc, err := service.New(ctx, service.Config{Store: st, SecretKey: key, Models: reg})
	if err != nil {
		b.Fatal(err)
	}
	rctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- svc.Run(rctx) }()
	defer func() { stop(); <-done }()
	if _, err := svc.Deploy(ctx, "bench", 0, fixture.Decisions("bench"), "bench"); err != nil {
		b.Fatal(err)
	}
	var batch strings.Builder
	bodies := make([][]byte, customers)
	for i := 0; i < customers; i++ {
		fmt.Fprintf(&batch, `{"type":"cart_updated","customer_id":"c-%07d","attributes":{"cart_value":80},"traits":{"tier":%q,"email_opt_in":%v}}`+"\n",
			i, []string{"standard", "gold", "silver"}[i%3], i%2 == 0)
		bodies[i] = []byte(fmt.Sprintf(`{"customer_id":"c-%07d","channel":"web","context":{"page":"cart","cart_value":80},"limit":3}`, (i*7919)%customers))
		if (i+1)%500 == 0 {
			if _, err := svc.Ingest(ctx, []byte(batch.String()), events.DefaultLimits); err != nil {
				b.Fatal(err)
			}
			batch.Reset()
		}
	}
	if err := svc.Sync(ctx); err != nil {
		b.Fatal(err)
	}
	// The models have learnt enough to be trusted, as in a runtime that
	// has run a while; a new one also draws for every candidate (see
	// BenchmarkDecide of the engine for both).
	ms := svc.Models()
	if len(ms) != 200 {
		b.Fatalf("%d models", len(ms))
	}
	for a, m := range ms {
		for i := 0; i < models.TrustAfter; i++ {
			reg.Observe(0, m.Key, nil, i%(3+a%17) == 0, false, 1)
		}
	}
	token, err := svc.CreateToken(ctx, "bench", []store.Scope{store.ScopeDecide})
	if err != nil {
		b.Fatal(err)
	}
	decideSrv := httptest.NewServer(api.New(svc, api.Options{}))
	defer decideSrv.Close()
	emptySrv := httptest.NewServer(emptyDecide())
	defer emptySrv.Close()
	// Every customer is at 200 candidates.
	var d apiv1.Decision
	req, _ := http.NewRequest(http.MethodPost, decideSrv.URL+"/v1/decide", bytes.NewReader(bodies[0]))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	json.NewDecoder(resp.Body).Decode(&d)
	resp.Body.Close()
	if len(d.Actions) != 3 {
		b.Fatalf("decision %+v", d)
	}
	reqs := make([]apiv1.DecideRequest, len(bodies))
	for i, body := range bodies {
		if err := json.Unmarshal(body, &reqs[i]); err != nil {
			b.Fatal(err)
		}
	}
	// Rounds alternate between the servers and decide in process, so
	// that the machine's other load weighs on all alike; the medians are
	// compared.
	const rounds, dur = 5, time.Second
	var rates, ceilings, ratios, p99s, ceilingP99s, inRates, inRatios, inP99s []float64
	b.ResetTimer()
	for round := 1; round <= rounds; round++ {
		ceiling, ceilingP99 := load(b, emptySrv.URL, token, bodies, clients, dur)
		rate, p99 := load(b, decideSrv.URL+"/v1/decide", token, bodies, clients, dur)
		inRate, _ := loadInProcess(b, svc, reqs, clients, dur)
		_, inP99 := loadInProcess(b, svc, reqs, 1, dur)
		rates, ceilings, ratios = append(rates, rate), append(ceilings, ceiling), append(ratios, rate/ceiling)
		p99s, ceilingP99s = append(p99s, float64(p99)), append(ceilingP99s, float64(ceilingP99))
		inRates, inRatios, inP99s = append(inRates, inRate), append(inRatios, rate/inRate), append(inP99s, float64(inP99))
		fmt.Printf("decide over HTTP, round %d: %.0f decisions/s, p99 %v; empty handler %.0f req/s, p99 %v; in process %.0f decisions/s, one client's p99 %v\n",
			round, rate, p99.Round(10*time.Microsecond), ceiling, ceilingP99.Round(10*time.Microsecond), inRate, inP99.Round(time.Microsecond))
	}
	b.StopTimer()
	med := func(xs []float64) float64 { slices.Sort(xs); return xs[len(xs)/2] }
	rate, ceiling, p99, ceilingP99 := med(rates), med(ceilings), time.Duration(med(p99s)), time.Duration(med(ceilingP99s))
	inRate, inRatio, inP99 := med(inRates), med(inRatios), time.Duration(med(inP99s))
	b.ReportMetric(rate, "decisions/s")
	b.ReportMetric(ceiling, "empty-req/s")
	b.ReportMetric(float64(inP99.Microseconds()), "inproc-p99-µs")
	b.ReportMetric(inRatio, "http/inproc")
	fmt.Printf("decide over HTTP, %d clients, 200 candidates, medians of %d rounds: %.0f decisions/s, p99 %v; empty handler %.0f req/s, p99 %v; ratio %.0f%% (target ≥ 50%%), p99 %.1f× (target ≤ 3×)\n",
		clients, rounds, rate, p99.Round(10*time.Microsecond), ceiling, ceilingP99.Round(10*time.Microsecond), 100*med(ratios), float64(p99)/float64(ceilingP99))
	fmt.Printf("decide in process, same run: %.0f decisions/s by %d clients, p99 %v for one client; HTTP/in process %.0f%%\n",
		inRate, clients, inP99.Round(time.Microsecond), 100*inRatio)
}
