package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"

	"github.com/waymarkhq/waymark/runtime/apiv1"
)

// DefaultMaxInflightBytes bounds the request bodies held at once by the
// API when Options.MaxInflightBytes is not set.
const DefaultMaxInflightBytes = 256 << 20

// chunkBytes is how much more a body of unknown length reserves each time
// it reads past what it holds.
const chunkBytes = 1 << 20

// budget is the bytes of request bodies the API holds at once.
type budget struct {
	mu   sync.Mutex
	max  int64
	used int64
}

// take reserves n bytes; false when they are not free.
func (b *budget) take(n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.used+n > b.max {
		return false
	}
	b.used += n
	return true
}

func (b *budget) give(n int64) {
	b.mu.Lock()
	b.used -= n
	b.mu.Unlock()
}

// errNoBudget is a body of unknown length that grew past what the
// in-flight budget had free.
var errNoBudget = errors.New("the runtime holds as many request bytes as it takes")

// admission is the bytes one request's body holds of the budget.
type admission struct {
	b    *budget
	held int64
}

// admit reserves the body of r before any of it is read: its declared
// length, or a first chunk when it has none. False when it answered 413 or
// 429 instead.
func (s *Server) admit(w http.ResponseWriter, r *http.Request) (*admission, bool) {
	n := r.ContentLength
	if n > s.opts.MaxBodyBytes {
		writeError(w, http.StatusRequestEntityTooLarge, apiv1.CodeBodyTooLarge,
			fmt.Sprintf("the request body is larger than %d bytes; send smaller batches", s.opts.MaxBodyBytes))
		return nil, false
	}
	if n < 0 {
		n = min(chunkBytes, s.opts.MaxBodyBytes)
	}
	if !s.inflight.take(n) {
		s.overloaded(w, "the runtime is reading as many request bodies as it takes at once")
		return nil, false
	}
	return &admission{b: s.inflight, held: n}, true
}

func (a *admission) release() {
	if a != nil {
		a.b.give(a.held)
		a.held = 0
	}
}

// overloaded answers 429 with Retry-After.
func (s *Server) overloaded(w http.ResponseWriter, msg string) {
	w.Header().Set("Retry-After", fmt.Sprint(s.opts.RetryAfter))
	// The body is not read: the connection is not worth keeping.
	w.Header().Set("Connection", "close")
	writeError(w, http.StatusTooManyRequests, apiv1.CodeOverloaded, msg+"; retry after "+fmt.Sprint(s.opts.RetryAfter)+"s")
}

// budgetReader reads a body, reserving more of the budget in chunks as it
// reads past what its admission holds.
type budgetReader struct {
	r    io.Reader
	a    *admission
	read int64
}

func (br *budgetReader) Read(p []byte) (int, error) {
	if br.read+int64(len(p)) > br.a.held {
		more := max(int64(chunkBytes), br.read+int64(len(p))-br.a.held)
		if !br.a.b.take(more) {
			return 0, errNoBudget
		}
		br.a.held += more
	}
	n, err := br.r.Read(p)
	br.read += int64(n)
	return n, err
}
