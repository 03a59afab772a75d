package apiv1

// Segment's HTTP Tracking API, as Segment's SDKs send it (docs/trackers.md):
// one call per request on the routes named after it, a {"batch": [...]}
// envelope on RouteSegmentBatch and RouteSegmentImport, and the short
// forms analytics.js posts to (SegmentCall.Short). The write key is an
// ingest-scoped token, sent as the HTTP Basic auth username (the password
// empty), as "writeKey" in the body, or as a bearer token. Each is
// answered as POST RouteEvents is, with an IngestResult.
const (
	RouteSegmentTrack    = "/v1/track"
	RouteSegmentIdentify = "/v1/identify"
	RouteSegmentPage     = "/v1/page"
	RouteSegmentScreen   = "/v1/screen"
	RouteSegmentGroup    = "/v1/group"
	RouteSegmentAlias    = "/v1/alias"
	RouteSegmentBatch    = "/v1/batch"
	RouteSegmentImport   = "/v1/import"
)

// SegmentCall is a route of Segment's API, the short form of it that
// analytics.js posts to (empty for none), and the call it takes; Type is
// empty for a batch.
type SegmentCall struct {
	Route string `json:"route"`
	Short string `json:"short,omitempty"`
	Type  string `json:"type,omitempty"`
}

// SegmentCalls returns the routes of Segment's API.
func SegmentCalls() []SegmentCall {
	return []SegmentCall{
		{RouteSegmentTrack, "/v1/t", "track"},
		{RouteSegmentIdentify, "/v1/i", "identify"},
		{RouteSegmentPage, "/v1/p", "page"},
		{RouteSegmentScreen, "/v1/s", "screen"},
		{RouteSegmentGroup, "/v1/g", "group"},
		{RouteSegmentAlias, "/v1/a", "alias"},
		{RouteSegmentBatch, "/v1/b", ""},
		{RouteSegmentImport, "", ""},
	}
}

// The CloudEvents content types POST RouteEvents reads besides JSON and
// JSON Lines: a structured-mode event, and a batch of them. A request with
// a ce-specversion header is a binary-mode event: its ce-* headers are the
// attributes and its body the data.
const (
	ContentTypeCloudEvent      = "application/cloudevents+json"
	ContentTypeCloudEventBatch = "application/cloudevents-batch+json"
)
