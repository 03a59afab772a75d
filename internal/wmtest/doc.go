// Package wmtest runs the scenario tests of *.wmtest.hcl files (decoded by
// lang.LoadTests) for waymark test. Each test gets its own runtime: the
// real service (runtime/service, with its engine, analytics and delivery
// outbox) over an in-memory store, on the event clock, with the test's
// configuration deployed. Events are ingested as the API would ingest
// them; an expectation first moves the event clock to its time (a clock
// record in the log), so the timers due by then fire, then reads the
// runtime: a customer's journeys, a decision, the outbox, analytics.
//
// Unless a test says providers = "real", the channels' provider processes
// are replaced by a recording sink (Sink): every delivery succeeds and is
// kept with its rendered message, for expect_delivery and expect_alert.
//
// Deliveries are made by the outbox on the wall clock. A test's times lie
// in the past (by default from 2024-01-01), so every delivery the engine
// enqueues is due at once; an expectation at T counts the deliveries due
// by T.
package wmtest
