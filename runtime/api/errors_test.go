package api

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/waymarkhq/waymark/runtime/apiv1"
)

// An error's details are encoded as the rest of the answer is, HTML
// characters as they are, and are [] when there are none.
func TestWriteErrorShape(t *testing.T) {
	for _, c := range []struct {
		details []any
		want    string
	}{
		{nil, `{"error":{"code":"bad_request","message":"a <b> & c","details":[]}}` + "\n"},
		{[]any{apiv1.Problem{Address: "journey.a", Message: "x <= y"}, apiv1.StaleSerial{CurrentSerial: 3}},
			`{"error":{"code":"bad_request","message":"a <b> & c","details":[{"address":"journey.a","message":"x <= y"},{"current_serial":3}]}}` + "\n"},
	} {
		rec := httptest.NewRecorder()
		writeError(rec, http.StatusBadRequest, apiv1.CodeBadRequest, "a <b> & c", c.details...)
		if got := rec.Body.String(); got != c.want || rec.Code != http.StatusBadRequest {
			t.Errorf("%d %s, want\n%s", rec.Code, got, c.want)
		}
	}
}
