// Package analytics keeps the journey aggregates that KPIs and the
// analytics API are computed from, and computes them.
//
// It is fed records of what happened, in order: the engine's journey
// transitions (Transition), the events of customers in a journey that a
// KPI reads (Event), the actions decided (Decision), delivered
// (Delivery) and responded to (Response). Each record lands in the bucket
// of its UTC hour, per stack and journey; a journey keeps as many hours as
// its longest window needs and no more. Time quantiles are DDSketch-style
// log-bucketed sketches (Sketch), mergeable and within 1% relative error.
// Reading a KPI or a Report merges the buckets of one window: its cost
// depends on the window and the journey's shape, never on how many records
// were fed.
//
// Besides the buckets it keeps a little state per journey run in flight
// (the stages it visited, when it entered, when it last sent an event a
// rate() reads) and the runs that ended before their goal.within ran out,
// so that conversion() counts each entry once its cohort has matured.
//
// With a global holdout (Journey.Holdout) a journey also keeps the same
// figures of the held-out customers' runs alone (holdout.go), so that each
// KPI that is a share of runs reports the treated side against the held-out
// one (KPIReport.Holdout).
//
// An action's experiment (Journey.Experiments) counts its customers per
// variant from Assignment records and the variant a Delivery carries:
// assigned, delivered and converted after the assignment, each once per
// customer and so the same however records come (experiments.go); its
// report is since the experiment started (Report.Experiments).
//
// Records are numbered in their partition (Record.Partition, Seq), and
// one already applied of its partition is skipped, so a replay applies
// none twice. Partitions are processed apart, so records of different
// partitions come in any interleaving: Merge applies them in order of time
// up to a low watermark and evaluates the KPI alerts at each hour
// boundary, so that the alerts do not depend on the interleaving or on
// how the records were batched.
//
// State survives a restart through a snapshot (Snapshot, Restore), which
// holds the position applied of each partition, plus the records fed after
// it; Store, Open and MemStore do that for a caller whose records are all
// of one partition.
//
// It must not know about HTTP, the engine's internals or how the store
// keeps its bytes: the runtime feeds it records and a clock, and serves
// what it returns.
package analytics
