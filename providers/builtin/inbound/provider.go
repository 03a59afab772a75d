package inbound

import (
	"context"
	"errors"

	"github.com/waymarkhq/waymark/providers/sdk"
)

// Provider is the inbound provider: it delivers nothing.
func Provider() sdk.Provider {
	return sdk.Provider{
		Schema: Schema(),
		Deliver: func(context.Context, *sdk.Delivery) (string, error) {
			return "", sdk.Permanent(errors.New("inbound channels deliver nothing: they are answered through the decide API"))
		},
	}
}
