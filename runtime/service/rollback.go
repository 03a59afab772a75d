package service

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/runtime/apiv1"
	"github.com/waymarkhq/waymark/runtime/store"
)

// Deployment returns one earlier or current deployment of a stack as the
// API shows it: sensitive values withheld, with the stack's digest key, so
// that a plan can compare it with the active one. ErrNotFound if the stack
// has no deployment with that serial.
func (s *Service) Deployment(ctx context.Context, stack string, serial int64) (apiv1.Stack, error) {
	if serial < 1 {
		return apiv1.Stack{}, ErrNotFound
	}
	d, err := s.st.Deployment(ctx, stack, serial)
	if errors.Is(err, store.ErrNotFound) {
		return apiv1.Stack{}, ErrNotFound
	}
	if err != nil {
		return apiv1.Stack{}, err
	}
	doc, err := s.readDocument(ctx, stack, serial)
	if err != nil {
		return apiv1.Stack{}, err
	}
	key := s.keys.stackDigestKey(stack)
	red, err := deploy.EncodeWithheld(doc, key)
	if err != nil {
		return apiv1.Stack{}, err
	}
	return apiv1.Stack{Stack: stack, Serial: d.Serial, Time: d.Time, Who: d.Who, Digest: d.Digest, Summary: d.Summary, Document: red,
		DigestKey: hex.EncodeToString(key)}, nil
}

// Rollback deploys the stored document of deployment to again, as a new
// deployment of stack, if the stack is still at serial base. It goes
// through Deploy: the same validation against the other stacks as they are
// now, and the same atomic activation. The CLI cannot send the document
// itself, since the API never gives it the sensitive values.
func (s *Service) Rollback(ctx context.Context, stack string, base, to int64, who string) (store.Deployment, error) {
	if to < 1 {
		return store.Deployment{}, &InvalidError{fmt.Sprintf("there is no deployment %d: serials start at 1", to)}
	}
	doc, err := s.readDocument(ctx, stack, to)
	if errors.Is(err, store.ErrNotFound) {
		return store.Deployment{}, ErrNotFound
	}
	if err != nil {
		return store.Deployment{}, err
	}
	return s.Deploy(ctx, stack, base, doc, who)
}
