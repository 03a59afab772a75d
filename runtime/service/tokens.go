package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/waymarkhq/waymark/runtime/store"
)

// tokenPrefix starts every token, so that leaked ones are easy to find.
const tokenPrefix = "wm_"

// ErrUnauthenticated is returned for a missing or unknown token.
var ErrUnauthenticated = errors.New("a valid bearer token is required")

var tokenNameRe = regexp.MustCompile(`^[A-Za-z0-9_.@-]{1,64}$`)

func hashToken(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// tokenCacheTTL is how long a token found in the store is taken on trust
// without reading it again.
const tokenCacheTTL = 30 * time.Second

// maxCachedTokens bounds the cache; it is emptied when full.
const maxCachedTokens = 1024

type cachedToken struct {
	t       store.Token
	expires time.Time
}

// Authenticate returns the token whose secret was presented. Tokens found
// are kept in memory for tokenCacheTTL, so that a decide request does not
// read the store to check its token; unknown secrets are never kept.
func (s *Service) Authenticate(ctx context.Context, secret string) (store.Token, error) {
	if secret == "" {
		return store.Token{}, ErrUnauthenticated
	}
	h := hashToken(secret)
	key := string(h)
	now := time.Now()
	s.tokensMu.Lock()
	c, ok := s.tokens[key]
	s.tokensMu.Unlock()
	if ok && now.Before(c.expires) {
		return c.t, nil
	}
	t, err := s.st.TokenByHash(ctx, h)
	if errors.Is(err, store.ErrNotFound) {
		return store.Token{}, ErrUnauthenticated
	}
	if err != nil {
		return store.Token{}, err
	}
	s.tokensMu.Lock()
	if s.tokens == nil || len(s.tokens) >= maxCachedTokens {
		s.tokens = map[string]cachedToken{}
	}
	s.tokens[key] = cachedToken{t, now.Add(tokenCacheTTL)}
	s.tokensMu.Unlock()
	return t, nil
}

// HasScope reports whether t may act with scope; admin may do anything.
func HasScope(t store.Token, scope store.Scope) bool {
	return slices.Contains(t.Scopes, scope) || slices.Contains(t.Scopes, store.ScopeAdmin)
}

// InvalidError is a request that is wrong in itself.
type InvalidError struct{ Msg string }

func (e *InvalidError) Error() string { return e.Msg }

// CreateToken makes a token and returns its secret, which is shown once
// and never stored.
func (s *Service) CreateToken(ctx context.Context, name string, scopes []store.Scope) (string, error) {
	return CreateToken(ctx, s.st, name, scopes, s.now())
}

// CreateToken makes a token in st, as the service does, and returns its
// secret: for runtime token create -bootstrap, which opens the store
// directly when no admin token is at hand.
func CreateToken(ctx context.Context, st store.Store, name string, scopes []store.Scope, now time.Time) (string, error) {
	if !tokenNameRe.MatchString(name) {
		return "", &InvalidError{fmt.Sprintf("token name %q must be 1 to 64 letters, digits or _ . @ -", name)}
	}
	if len(scopes) == 0 {
		return "", &InvalidError{"a token needs at least one scope: ingest, decide, deploy, read or admin"}
	}
	for _, sc := range scopes {
		if !slices.Contains(store.Scopes, sc) {
			return "", &InvalidError{fmt.Sprintf("unknown scope %q: use ingest, decide, deploy, read or admin", sc)}
		}
	}
	raw := make([]byte, 32)
	rand.Read(raw)
	secret := tokenPrefix + base64.RawURLEncoding.EncodeToString(raw)
	err := st.CreateToken(ctx, store.Token{Name: name, Hash: hashToken(secret), Scopes: slices.Clone(scopes), Created: now.UTC()})
	if errors.Is(err, store.ErrExists) {
		return "", fmt.Errorf("a token named %q: %w", name, err)
	}
	if err != nil {
		return "", err
	}
	return secret, nil
}

// Bootstrap creates the first admin token when the store has none, and
// returns its secret; "" when tokens already exist.
func (s *Service) Bootstrap(ctx context.Context) (string, error) {
	ts, err := s.st.Tokens(ctx)
	if err != nil || len(ts) > 0 {
		return "", err
	}
	return s.CreateToken(ctx, "admin", []store.Scope{store.ScopeAdmin})
}

func (s *Service) now() time.Time { return s.cfg.Now() }
