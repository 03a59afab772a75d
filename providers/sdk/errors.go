package sdk

import "errors"

// Retryable marks err as a failure that a later attempt may not have (a
// timeout, a 5xx response, a refused connection).
func Retryable(err error) error {
	if err == nil {
		return nil
	}
	return &deliveryError{err: err, retryable: true}
}

// Permanent marks err as a failure that retrying cannot fix (a rejected
// address, a 4xx response); the runtime parks the delivery instead.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &deliveryError{err: err, retryable: false}
}

// IsPermanent reports whether err, or an error it wraps, was marked with
// Permanent.
func IsPermanent(err error) bool {
	var de *deliveryError
	return errors.As(err, &de) && !de.retryable
}

type deliveryError struct {
	err       error
	retryable bool
}

func (e *deliveryError) Error() string { return e.err.Error() }
func (e *deliveryError) Unwrap() error { return e.err }
