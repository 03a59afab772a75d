// Package events reads the event batches that POST /v1/events accepts and
// checks each event against the declared event types and customer
// attributes.
//
// Decode takes a JSON array or JSON Lines of events in Waymark's own shape,
// Segment's track and identify, or structured CloudEvents, and returns them
// in one form (Raw); a malformed line of JSON Lines rejects that line only.
// Validate resolves types and aliases, types every attribute and trait, and
// rejects bad events one by one with a code and a reason, dropping (and
// counting) what was not declared. Event is the validated form, with a
// compact binary encoding for the event log.
//
// It must not know about deployments, journeys, stores or HTTP: the caller
// builds the Schema from what is deployed.
package events
