package api_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/runtime/api"
	"github.com/waymarkhq/waymark/runtime/service"
	"github.com/waymarkhq/waymark/runtime/store/memstore"
)

// heldBody gives all of data but its last byte, then waits for release.
type heldBody struct {
	data    []byte
	off     int
	release <-chan struct{}
}

func (b *heldBody) Read(p []byte) (int, error) {
	if b.off == len(b.data)-1 {
		<-b.release
	}
	if b.off == len(b.data) {
		return 0, io.EOF
	}
	end := len(b.data)
	if b.off < len(b.data)-1 {
		end = len(b.data) - 1
	}
	n := copy(p, b.data[b.off:end])
	b.off += n
	return n, nil
}

// countedBody signals once the server has read all of a body but its
// last byte.
type countedBody struct {
	io.ReadCloser
	n, want int
	once    sync.Once
	read    chan<- struct{}
}

func (c *countedBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n += n
	if c.n >= c.want {
		c.once.Do(func() { c.read <- struct{}{} })
	}
	return n, err
}

// TestAdmissionBeforeBody: many large bodies at once are admitted up to
// the in-flight budget before any is read; the rest are answered 429 with
// Retry-After unread, so that the heap holds at most the budget.
func TestAdmissionBeforeBody(t *testing.T) {
	const (
		bodies = 50
		size   = 4 << 20
		limit  = 32 << 20
	)
	svc, err := service.New(context.Background(), service.Config{Store: memstore.New(memstore.Options{}), SecretKey: make([]byte, service.KeySize)})
	if err != nil {
		t.Fatal(err)
	}
	settled := make(chan struct{}, 2*bodies)
	apiSrv := api.New(svc, api.Options{Insecure: true, MaxInflightBytes: limit})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = &countedBody{ReadCloser: r.Body, want: size - 1, read: settled}
		apiSrv.ServeHTTP(w, r)
	}))
	defer srv.Close()
	data := bytes.Repeat([]byte("x"), size)
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: bodies, ExpectContinueTimeout: time.Minute}}
	defer hc.CloseIdleConnections()

	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)

	release := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	retryAfter := 0
	for range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("POST", srv.URL+"/v1/events", &heldBody{data: data, release: release})
			req.ContentLength = size
			// The body is sent once the server reads it: a request
			// refused before is answered without it.
			req.Header.Set("Expect", "100-continue")
			resp, err := hc.Do(req)
			if err != nil {
				t.Error(err)
				settled <- struct{}{}
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			mu.Lock()
			statuses[resp.StatusCode]++
			if resp.StatusCode == http.StatusTooManyRequests && resp.Header.Get("Retry-After") != "" {
				retryAfter++
			}
			mu.Unlock()
			if resp.StatusCode == http.StatusTooManyRequests {
				settled <- struct{}{}
			}
		}()
	}
	// Every request is either answered or read by the server up to its
	// last byte.
	for range bodies {
		<-settled
	}
	var during runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&during)
	close(release)
	wg.Wait()

	grown := int64(during.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("heap grew by %.1f MB holding %d bodies of %d MB; statuses %v", float64(grown)/(1<<20), bodies, size>>20, statuses)
	if grown > limit*3/2 {
		t.Errorf("the heap grew by %d MB with a budget of %d MB", grown>>20, limit>>20)
	}
	if statuses[http.StatusTooManyRequests] == 0 || retryAfter != statuses[http.StatusTooManyRequests] {
		t.Errorf("statuses %v, %d with Retry-After", statuses, retryAfter)
	}
	if statuses[http.StatusTooManyRequests] > bodies-limit/size {
		t.Errorf("%d of %d refused; the budget admits %d", statuses[http.StatusTooManyRequests], bodies, limit/size)
	}
}

// TestAdmissionChunked: a body of undeclared length reserves the budget as
// it is read, and is answered 429 once it grows past what is free.
func TestAdmissionChunked(t *testing.T) {
	svc, err := service.New(context.Background(), service.Config{Store: memstore.New(memstore.Options{}), SecretKey: make([]byte, service.KeySize)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.New(svc, api.Options{Insecure: true, MaxInflightBytes: 2 << 20}))
	defer srv.Close()
	for _, tc := range []struct {
		size int
		want int
	}{{1 << 20, http.StatusBadRequest}, {3 << 20, http.StatusTooManyRequests}} {
		// A reader that is not a bytes.Reader is sent chunked.
		body := io.MultiReader(bytes.NewReader(bytes.Repeat([]byte("x"), tc.size)))
		resp, err := http.Post(srv.URL+"/v1/events", "application/x-ndjson", body)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%d bytes chunked: %d, want %d", tc.size, resp.StatusCode, tc.want)
		}
	}
}
