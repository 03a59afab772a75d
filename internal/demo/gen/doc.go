// Package gen generates a seeded, deterministic stream of shop events for
// examples/cart-recovery: customers who browse, fill carts, start checkout
// and payment, order, abandon and sometimes come back, open support
// tickets and unsubscribe, over simulated weeks, in the runtime's event
// shape (Event, written as JSON Lines by Write) with increasing
// timestamps, for a runtime on the event clock.
//
// Recount replays such a stream through the cart_recovery journey's rules
// (Rules), written out here independently of the runtime, and returns
// every journey run with its stages and outcome: the figures the
// runtime's analytics must agree with.
//
// It must not import the runtime: it is the independent account.
package gen
